#!/usr/bin/env python3
"""One entry point for people and CI: installs into .venv/ when needed, then runs the task.

    python3 tasks.py crawl [SPIDER] [options]       crawl (default: the news spider into data/)
    python3 tasks.py test [pytest options]          lint with ruff, then the whole test suite
    python3 tasks.py replica [--port 8000 ...]       serve the local replica site
    python3 tasks.py bench                           run the benchmarks
    python3 tasks.py demo                            the whole pipeline against the replica, offline
    python3 tasks.py audit [pip-audit options]       known vulnerabilities in the installed packages
    python3 tasks.py audit --pypi-json               the same from PyPI's JSON API (see SECURITY.md)

Only the standard library is used here, so it runs on a fresh machine with Python 3.11+.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"
AUDIT_VENV = VENV / "audit"  # pip-audit apart, so that its own packages are not audited
AUDITOR = "pip-audit>=2.7,<3"
DEFAULT_OUTPUT = "data/articles.jsonl"


def run(*command: str | Path) -> None:
    """Run a command in the checkout; stop with its exit status if it fails."""
    status = subprocess.call([str(part) for part in command], cwd=ROOT)
    if status != 0:
        raise SystemExit(status)


def install() -> None:
    """Create .venv and install the project with its dev extras, unless already up to date."""
    if sys.version_info < (3, 11):  # noqa: UP036 - this file may be run by an older python3
        raise SystemExit(f"Python 3.11+ is needed; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        sys.stderr.write(f"Creating {VENV} ...\n")
        venv.create(VENV, with_pip=True)
    # the setuptools a venv starts with is old, with known advisories; nothing here needs it old
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip", "setuptools")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[dev]")
    STAMP.write_text(wanted)


def crawl(args: list[str]) -> None:
    if not args or args[0].startswith("-"):
        args = ["news", *args]
    if not any(flag in args for flag in ("-o", "-O", "--output", "--overwrite-output")):
        (ROOT / "data").mkdir(exist_ok=True)
        args += ["-o", DEFAULT_OUTPUT]
    run(BIN / "mizan-crawler", "crawl", *args)


def test(args: list[str]) -> None:
    run(BIN / "ruff", "check", ".")
    run(BIN / "python", "-m", "pytest", *args)


def replica(args: list[str]) -> None:
    run(BIN / "mizan-crawler", "replica", *args)


def bench(args: list[str]) -> None:
    """Every benchmark, then bench/RESULTS.md from their figures (options: bench/run_all.py -h)."""
    run(BIN / "python", ROOT / "bench" / "run_all.py", *args)


def demo(args: list[str]) -> None:
    run(BIN / "python", "-m", "mizan_crawler.demo", *args)


def audit(args: list[str]) -> None:
    """pip-audit over the packages installed in .venv (the project itself excepted), strict: a
    package that could not be checked fails the audit as a vulnerable one does. With
    ``--pypi-json``, the same question put to PyPI's JSON API directly (see SECURITY.md)."""
    if args[:1] == ["--pypi-json"]:
        pypi_json_audit()
        return
    auditor = AUDIT_VENV / BIN.name
    if not (auditor / "pip-audit").exists():
        venv.create(AUDIT_VENV, with_pip=True)
        run(auditor / "python", "-m", "pip", "install", "--quiet", AUDITOR)
    site_packages = subprocess.check_output(
        [BIN / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], text=True
    ).strip()
    run(auditor / "pip-audit", "--strict", "--skip-editable", "--progress-spinner", "off",
        "--path", site_packages, *args)  # fmt: skip


def pypi_json_audit() -> None:
    """PyPI's advisories for each installed package: those of its release where PyPI answers
    for the release, else those of the project's latest release when that is the installed one.
    Any advisory, or a package neither answer covers, fails the audit."""
    listing = subprocess.check_output(
        [BIN / "python", "-c", "import importlib.metadata as m, json; "
         "print(json.dumps(sorted({(d.metadata['Name'], d.version) for d in m.distributions()})))"],
        text=True,
    )  # fmt: skip
    found, unaudited, audited = [], [], 0
    for name, version in json.loads(listing):
        if name.lower().replace("_", "-") == "mizan-crawler":
            continue
        advisories = pypi_advisories(name, version)
        if advisories is None:
            unaudited.append(f"{name} {version}")
            continue
        audited += 1
        found += [f"  {name} {version}: {advisory}" for advisory in advisories]
    report = [f"{audited} packages audited: {len(found)} known vulnerabilities", *found]
    if unaudited:
        report.append(f"Not audited (PyPI has no data on these releases): {', '.join(unaudited)}")
    sys.stdout.write("\n".join(report) + "\n")
    if found or unaudited:
        raise SystemExit(1)


def pypi_advisories(name: str, version: str) -> list[str] | None:
    """Advisory ids and fixed versions for one release; ``None`` when PyPI does not say."""

    def fetch(url: str) -> dict | None:
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:
                return json.load(answer)
        except urllib.error.HTTPError as error:
            if error.code == 404:
                return None
            raise

    data = fetch(f"https://pypi.org/pypi/{name}/{version}/json")
    if data is None:
        data = fetch(f"https://pypi.org/pypi/{name}/json")
        if data is None or data["info"]["version"] != version:
            return None
    return [
        f"{v['id']} (fixed in {', '.join(v.get('fixed_in') or ['no release'])})"
        for v in data.get("vulnerabilities") or []
    ]


TASKS = {
    "crawl": crawl, "test": test, "replica": replica, "bench": bench, "demo": demo, "audit": audit,
}  # fmt: skip


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in TASKS:
        raise SystemExit(__doc__)
    install()
    TASKS[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    main()
