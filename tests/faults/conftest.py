"""Fixtures for the faults suite, and its closing summary of how many cases were tried and lost."""

from __future__ import annotations

import pytest

from tests.faults.tally import TALLY, Tally


@pytest.fixture(scope="session")
def tally() -> Tally:
    return TALLY


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    lines = TALLY.lines()
    if lines:
        terminalreporter.section("faults and attacks")
        for line in lines:
            terminalreporter.write_line(line)


# ---- the running service: scale-out, kills, restarts, outages (test_scale_out.py, ...) ---------


@pytest.hookimpl(specname="pytest_terminal_summary")
def pytest_terminal_summary_service(terminalreporter: pytest.TerminalReporter) -> None:
    """The counts the service-level fault tests printed, again at the end of the run."""
    from tests.faults.cluster import REPORTED  # only once the run is over: it imports the bot

    if REPORTED:
        terminalreporter.section("faults: the running service")
        for line in REPORTED:
            terminalreporter.write_line(line)
