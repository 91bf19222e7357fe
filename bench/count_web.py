"""Instructions an answer on the web path, counted by callgrind: the service's and the floor's.

Wall-clock throughput on a shared machine moves by a fifth from one run to the next; the
instructions a server executes for the same answers do not. Each server of bench_web.py
(the service with the shipped defaults, and the floor) runs under valgrind's callgrind twice
on fresh rounds: once while grantees answer, once left idle for as long; the difference over
the answers is what one answer costs, start-up and idle work left out. Needs valgrind.

    python bench/count_web.py          # prints a Markdown table
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_web

import storage
from bot.conversation.frameworks import framework_for
from conversations.framework import ChoiceQuestion

GRANTEES = 10  # answering one after another's page, five at a time: valgrind is slow
AT_ONCE = 5
TOTALS = re.compile(rb"^(?:summary|totals): (\d+)", re.MULTILINE)


async def counted(
    command: list[str], tokens: list[str], answers: dict[str, dict[str, str]], idle: float | None
) -> tuple[int, int, float]:
    """Instructions the server executed, answers given, and seconds it ran for. With `idle`,
    nobody answers and the server runs for that many seconds."""
    out = Path(tempfile.mkdtemp(prefix="count-web-")) / "callgrind.out"
    child = await asyncio.create_subprocess_exec(
        "valgrind",
        "--tool=callgrind",
        f"--callgrind-out-file={out}",
        sys.executable,
        *command,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=bench_web.ROOT,
        env={**os.environ, "BENCH_WEB_TOKENS": ",".join(tokens)},
    )
    assert child.stdout is not None and child.stdin is not None
    port = int((await child.stdout.readline()).decode().split()[1])
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    given = 0
    if idle is None:
        limit = asyncio.Semaphore(AT_ONCE)
        async with aiohttp.ClientSession() as session:

            async def one(token: str) -> int:
                async with limit:
                    times = await bench_web.grantee(session, base, token, answers, 0.0)
                    return len(times)

            given = sum(await asyncio.gather(*(one(t) for t in tokens)))
    else:
        await asyncio.sleep(idle)
    seconds = time.perf_counter() - started
    child.stdin.close()
    await child.stdout.read()
    await child.wait()
    found = TOTALS.search(out.read_bytes())
    assert found is not None, "callgrind wrote no totals"
    shutil.rmtree(out.parent)
    return int(found.group(1)), given, seconds


async def main() -> None:
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (Debian: apt-get install valgrind)")
    folder = Path(tempfile.mkdtemp(prefix="count-web-"))
    db_url = f"sqlite://{folder / 'checkins.sqlite3'}"
    rounds = [r[:GRANTEES] for r in await bench_web.setup(db_url)]
    async with storage.database(db_url):
        context = await storage.load_checkin_context(1)
    answers = {
        q.id: {"answer": q.options[0].value}
        if isinstance(q, ChoiceQuestion)
        else bench_web.ANSWERS[q.kind]
        for q in framework_for(context.programme).questions
    }
    me = str(Path(bench_web.__file__).resolve())
    rows = []
    each: dict[str, float] = {}
    for n, (name, mode) in enumerate([("service, SQLite", "serve"), ("floor", "serve-floor")]):
        command = [me, mode, db_url]
        busy, given, seconds = await counted(command, rounds[2 * n], answers, None)
        idle, _, _ = await counted(command, rounds[2 * n + 1], answers, seconds)
        each[name] = (busy - idle) / given
        rows.append(f"| {name} | {given:,} | {each[name] / 1e6:.2f} M |")
    ratio = each["floor"] / each["service, SQLite"]
    print(
        "\n".join(
            [
                "| server | answers | instructions an answer |",
                "|---|---:|---:|",
                *rows,
                "",
                f"- The floor's instructions an answer are {ratio:.0%} of the service's "
                "(callgrind, `python bench/count_web.py`).",
            ]
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
