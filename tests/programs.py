"""Programs some tests need from the system (Chromium, docker-compose, redis-server ...): one
place that finds them, fails without them in CI (where ``.ci/run`` installs them) and otherwise
skips, and, at the end of the run, one line naming what did not run and how to install it.

The skip reason itself carries the program, the group of tests and the Debian package, so the
summary is read back from the run's skip reports: no state is kept between tests.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

_REASON = re.compile(
    r"missing program (?P<program>\S+) \((?P<group>[^;]+); apt-get install (?P<package>\S+)\)"
)


@dataclass(frozen=True, order=True)
class MissingProgram:
    """A program a group of tests needs, and the Debian package that installs it."""

    group: str
    program: str
    package: str


def skip_reason(missing: MissingProgram, where: str = "") -> str:
    """The skip reason for ``missing``, in the form ``missing_programs`` reads back."""
    return (
        f"missing program {missing.program} ({missing.group}; apt-get install {missing.package})"
        + (f": {where}" if where else "")
    )


def missing_from_reason(reason: str) -> MissingProgram | None:
    """The program a skip reason names, or ``None`` for a skip of another kind."""
    found = _REASON.search(reason)
    return MissingProgram(found["group"], found["program"], found["package"]) if found else None


def require_program(program: str, group: str, package: str, at: str | None = None) -> str:
    """The path of ``program`` (at ``at`` when given, else found on ``PATH``). Without it the
    test fails when ``CI`` is set and is skipped otherwise, with a reason naming ``group`` and
    ``package``."""
    path = at if at is not None else shutil.which(program)
    if path is not None and os.path.isfile(path) and os.access(path, os.X_OK):
        return path
    missing = MissingProgram(group, program, package)
    where = f"nothing executable at {at}" if at is not None else "not on PATH"
    if os.environ.get("CI"):
        pytest.fail(f"{program} is required in CI ({group}): apt-get install {package}; {where}")
    pytest.skip(skip_reason(missing, where))


def missing_programs(reporter: pytest.TerminalReporter) -> list[MissingProgram]:
    """Each program some test of this run skipped for, once, by group."""
    found = set()
    for report in reporter.stats.get("skipped", []):
        if isinstance(report.longrepr, tuple):
            missing = missing_from_reason(str(report.longrepr[2]))
            if missing is not None:
                found.add(missing)
    return sorted(found)


def summary_line(missing: list[MissingProgram], as_root: bool) -> str:
    """``skipped for missing programs: browser tests (chromium), ... — install with: ...``."""
    groups = ", ".join(f"{m.group} ({m.program})" for m in missing)
    packages = " ".join(dict.fromkeys(m.package for m in missing))
    install = f"{'' if as_root else 'sudo '}apt-get install {packages}"
    return f"skipped for missing programs: {groups} — install with: {install}"


@pytest.hookimpl(wrapper=True, tryfirst=True)  # outside pytest's own summary
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Iterator[None]:
    """After pytest's own summaries, just before the final counts: what did not run for want of
    a program, and the one command that installs it."""
    yield
    missing = missing_programs(terminalreporter)
    if missing:
        terminalreporter.write_line(summary_line(missing, os.geteuid() == 0), yellow=True)
