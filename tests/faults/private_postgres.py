"""A throwaway PostgreSQL cluster of the test's own, so that restarting it disturbs nobody else."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

OWNER = "postgres"  # initdb refuses to run as root; the cluster belongs to this OS user


def find_binaries() -> Path | None:
    """The newest /usr/lib/postgresql/N/bin that has initdb and pg_ctl."""
    found = [
        path
        for path in Path("/usr/lib/postgresql").glob("*/bin")
        if (path / "initdb").exists() and (path / "pg_ctl").exists()
    ]
    found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


def why_unavailable() -> str | None:
    """Why a private cluster cannot be made here, or None when it can."""
    if find_binaries() is None:
        return "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (initdb, pg_ctl)"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root without runuser, so initdb cannot run as another user"
        try:
            import pwd

            pwd.getpwnam(OWNER)
        except KeyError:
            return f"running as root and there is no {OWNER!r} user for initdb to run as"
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivatePostgres:
    """initdb in a temporary folder, a port chosen now, trust auth on loopback, its own socket."""

    def __init__(self) -> None:
        binaries = find_binaries()
        assert binaries is not None, why_unavailable()
        self.bin = binaries
        self.root = Path(tempfile.mkdtemp(prefix="checkins-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        command = [str(self.bin / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", OWNER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.root, user=OWNER)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()

    def start(self) -> None:
        # fsync off: a throwaway cluster, and the restarts below are clean shutdowns
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c full_page_writes=off"
        )
        log = str(self.root / "server.log")
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", log, "-o", options, "-w", "-t", "30", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """fast: what a restart does (sessions ended, clean shutdown); immediate: a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def destroy(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)
