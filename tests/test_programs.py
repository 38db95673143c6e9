"""Tests that need a system program: skipped without it (named in one line at the end of the run,
with the command that installs it), failed without it in CI. Checked by running pytest itself in a
child process with a ``PATH`` that lacks the program."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from .programs import MissingProgram, missing_from_reason, skip_reason, summary_line

ROOT = Path(__file__).resolve().parent.parent

NEEDS = """
from tests.programs import require_program


def test_needs_present():
    require_program("mizan-present", "present tests", "mizan-present-package")


def test_needs_absent_one():
    require_program("mizan-absent", "absent tests", "mizan-absent-package")


def test_needs_absent_two():
    require_program("mizan-absent", "absent tests", "mizan-absent-package")


def test_needs_browser_at_a_path():
    require_program("chromium", "browser tests", "chromium", at="/nonexistent/chromium")
"""


def _pytest(
    cwd: Path, path: Path, *arguments: str, ci: bool = False
) -> subprocess.CompletedProcess[str]:
    """pytest in a child process whose ``PATH`` is only ``path`` (and ``CI`` set or not)."""
    environment = {name: value for name, value in os.environ.items() if name != "CI"}
    environment.update(PATH=str(path), PYTHONPATH=str(ROOT))
    if ci:
        environment["CI"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *arguments],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _bin_with_present_program(tmp_path: Path) -> Path:
    folder = tmp_path / "bin"
    folder.mkdir()
    present = folder / "mizan-present"
    present.write_text("#!/bin/sh\n")
    present.chmod(0o755)
    return folder


def _summary_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("skipped for missing programs")]


def test_reason_names_program_group_and_package() -> None:
    missing = MissingProgram("compose tests", "docker-compose", "docker-compose")
    assert missing_from_reason("Skipped: " + skip_reason(missing, "not on PATH")) == missing
    assert missing_from_reason("Skipped: no PostgreSQL at postgresql://127.0.0.1") is None


def test_summary_line_names_each_group_and_one_install_command() -> None:
    line = summary_line(
        [
            MissingProgram("browser tests", "chromium", "chromium"),
            MissingProgram("compose tests", "docker-compose", "docker-compose"),
            MissingProgram("ext4 disk tests", "losetup", "mount"),
            MissingProgram("ext4 disk tests", "mkfs.ext4", "e2fsprogs"),
        ],
        as_root=False,
    )
    assert line == (
        "skipped for missing programs: browser tests (chromium), compose tests (docker-compose), "
        "ext4 disk tests (losetup), ext4 disk tests (mkfs.ext4) — install with: "
        "sudo apt-get install chromium docker-compose mount e2fsprogs"
    )


def test_run_ends_with_one_line_naming_what_skipped_for_a_missing_program(tmp_path: Path) -> None:
    (tmp_path / "test_needs.py").write_text(NEEDS)
    done = _pytest(tmp_path, _bin_with_present_program(tmp_path), "-p", "tests.programs", "-ra")
    assert done.returncode == 0, done.stdout + done.stderr
    expected = summary_line(
        [
            MissingProgram("absent tests", "mizan-absent", "mizan-absent-package"),
            MissingProgram("browser tests", "chromium", "chromium"),
        ],
        as_root=os.geteuid() == 0,
    )
    assert _summary_lines(done.stdout) == [expected]
    *_, line, counts = done.stdout.splitlines()  # after pytest's own short summary
    assert line == expected
    assert counts.startswith("1 passed, 3 skipped")
    assert "present tests" not in done.stdout


def test_in_ci_a_missing_program_fails_the_run(tmp_path: Path) -> None:
    (tmp_path / "test_needs.py").write_text(NEEDS)
    done = _pytest(tmp_path, _bin_with_present_program(tmp_path), "-p", "tests.programs", ci=True)
    assert done.returncode == 1
    assert "3 failed, 1 passed" in done.stdout
    assert (
        "mizan-absent is required in CI (absent tests): apt-get install mizan-absent-package"
        in (done.stdout)
    )
    assert _summary_lines(done.stdout) == []


def test_the_suite_names_compose_tests_when_docker_compose_is_off_path(tmp_path: Path) -> None:
    """A real group of the suite, through the project's own conftest, with an empty ``PATH``."""
    folder = tmp_path / "bin"
    folder.mkdir()
    done = _pytest(
        ROOT, folder, "tests/test_deploy.py::test_compose_needs_a_password_from_the_environment"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 skipped" in done.stdout
    [line] = _summary_lines(done.stdout)
    assert line.startswith("skipped for missing programs: compose tests (docker-compose) — ")
    assert line.endswith("apt-get install docker-compose")
