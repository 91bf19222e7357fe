"""Run every benchmark in bench/ and rewrite docs/benchmarks.md with the figures, machine and date.

Each `bench/bench_*.py` is run as its own process (so one's memory does not colour another's) and
must print a Markdown section (starting with `## `) on stdout. Arguments name benchmarks to run
(`python bench/run.py email slack`); with none, all of them run.
"""

from __future__ import annotations

import contextlib
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "benchmarks.md"


def machine() -> str:
    """Cores, processor, memory and system, as far as this platform tells them."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):  # no /proc/cpuinfo: keep platform's name
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(ValueError, OSError):  # sysconf names differ by platform
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB memory"
    return (
        f"{os.cpu_count()} cores ({cpu}){memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}"
    )


def main(names: list[str]) -> int:
    scripts = sorted((ROOT / "bench").glob("bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
    sections: list[str] = []
    failed = 0
    for script in scripts:
        print(f"running {script.name} ...", flush=True)
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, str(script)], cwd=ROOT, capture_output=True, text=True
        )
        took = time.monotonic() - started
        if result.returncode != 0:
            failed += 1
            print(result.stdout[-2000:], result.stderr[-4000:], sep="\n", file=sys.stderr)
            sections.append(
                f"## {script.stem}\n\nFailed (exit {result.returncode}); see the log.\n"
            )
            continue
        print(f"  done in {took:.0f} s", flush=True)
        sections.append(result.stdout.strip() + "\n")
    header = (
        "# Benchmarks\n\n"
        f"Written by `make bench` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n\n"
        f"Machine: {machine()}.\n\n"
        "Each section says what was measured, the target, and the floor it is compared with.\n"
    )
    OUTPUT.write_text(header + "\n" + "\n".join(sections))
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
