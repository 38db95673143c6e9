"""Every benchmark in one command, and bench/RESULTS.md written from their figures.

    python bench/run_all.py [--quick] [--output bench/RESULTS.md] [--only NAME ...] [--figures PATH]
    python bench/run_all.py --from-figures PATH [--output bench/RESULTS.md]

Each benchmark runs as its own process (``bench/NAME.py ... --json FILE``), so one's memory and
imports do not weigh on the next, and each stays runnable alone. The report puts every figure
next to its baseline from the same run as a ratio, checks the targets, says why where one is
missed, and records the machine and how loaded it was while each benchmark ran. ``--quick`` runs
tiny sizes (a smoke test of the whole thing in about a minute; its figures mean nothing).
``--figures`` also writes the raw figures and run conditions as JSON; ``--from-figures`` writes the
report anew from such a file (the same run's figures, the report's current text).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import memory_gib
from _report import Conditions, Target, table
from _sections import sections

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
ORDER = ("parse", "reparse", "store", "crawl", "browser", "memory", "startup")
SIZES = {
    "full": {
        # trafilatura takes about 0.1 s a page of the live site's weight: fewer pages than before.
        "parse": ["--pages", "300", "--rounds", "3"],
        "reparse": ["--articles", "20000", "--sample", "300", "--rounds", "2"],
        "store": ["--items", "5000", "--crawl", "2000", "--rounds", "2"],
        "crawl": ["--articles", "5000", "--rounds", "2", "--weight", "live"],
        "browser": ["--pages", "100", "--rounds", "3"],
        "memory": ["--small", "1000", "--large", "20000", "--weight", "live"],
        "startup": ["--rounds", "5"],
    },
    "quick": {
        "parse": ["--pages", "20", "--rounds", "1"],
        "reparse": ["--articles", "60", "--sample", "10", "--rounds", "1", "--parse-rounds", "1"],
        "store": ["--items", "300", "--crawl", "60", "--rounds", "1"],
        "crawl": ["--articles", "200"],
        "browser": ["--pages", "3", "--rounds", "1"],
        "memory": ["--small", "200", "--large", "600"],
        "startup": ["--rounds", "1"],
    },
}


@dataclass
class Run:
    """One benchmark's figures (None if it failed, with why) and the conditions it ran in."""

    name: str
    figures: dict[str, Any] | None
    failure: str | None
    conditions: Conditions


def cpu_busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (Linux), or None."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_cpu_seconds() -> float:
    """CPU seconds of this process's finished children (a benchmark and its crawls)."""
    times = os.times()
    return times.children_user + times.children_system


@dataclass(frozen=True)
class Snapshot:
    """The machine's load, busy CPU time, our children's CPU time and the clock, at one moment."""

    load: tuple[float, float, float]
    busy: float | None
    own: float
    clock: float

    @classmethod
    def take(cls) -> Snapshot:
        return cls(os.getloadavg(), cpu_busy_seconds(), own_cpu_seconds(), time.perf_counter())


def conditions(before: Snapshot, after: Snapshot, quick: bool) -> Conditions:
    """How loaded the machine was between two snapshots, a benchmark's own CPU time set apart."""
    seconds = after.clock - before.clock
    other = None
    if before.busy is not None and after.busy is not None:
        others = after.busy - before.busy - (after.own - before.own)
        other = max(others, 0.0) / seconds
    return Conditions(seconds, before.load, after.load, other, os.cpu_count() or 1, quick)


def run(name: str, options: list[str], folder: Path, quick: bool) -> Run:
    """``bench/NAME.py OPTIONS --json FILE``; its stdout goes to ours as it runs."""
    out = folder / f"{name}.json"
    command = [sys.executable, str(BENCH / f"{name}.py"), *options, "--json", str(out)]
    before = Snapshot.take()
    done = subprocess.run(command, cwd=ROOT, stderr=subprocess.PIPE, text=True, check=False)
    measured = conditions(before, Snapshot.take(), quick)
    sys.stderr.write(done.stderr)
    if done.returncode == 0 and out.exists():
        return Run(name, json.loads(out.read_text()), None, measured)
    last = (done.stderr.strip().splitlines() or ["no output"])[-1]
    failure = f"`bench/{name}.py` exited with status {done.returncode} ({last})"
    return Run(name, None, failure, measured)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git(*arguments: str) -> str | None:
    """A git command's output in the checkout, or None where it fails."""
    done = subprocess.run(
        ["git", "-C", str(ROOT), *arguments], capture_output=True, text=True, check=False
    )
    return done.stdout if done.returncode == 0 else None


def code_state(output: Path) -> str:
    """The commit checked out, and which top-level folders the working tree changed (leaving out
    the report itself)."""
    head = git("rev-parse", "--short", "HEAD")
    if head is None:
        return "not a git checkout"
    status = git("status", "--porcelain", "--untracked-files=no") or ""
    report = output.resolve()
    paths = [line[3:] for line in status.splitlines() if (ROOT / line[3:]).resolve() != report]
    changed = sorted({path.split("/")[0] for path in paths})
    extra = f", with uncommitted changes in {', '.join(changed)}" if changed else ""
    return f"commit {head.strip()}{extra}"


def code_text(start: str, end: str) -> str:
    if start == end:
        return start
    return (
        f"{start} at the start and {end} at the end: the checkout changed while the benchmarks "
        "ran, so they may not all have measured the same code"
    )


def load_text(load: Sequence[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in load)


def header(started: datetime, whole: Conditions, code: str) -> list[str]:
    lines = [
        "# Benchmark results",
        f"Written by `bench/run_all.py` (`python3 tasks.py bench`) on {started:%Y-%m-%d %H:%M} UTC, "
        f"in {whole.seconds / 60:.1f} min; rerun it rather than editing this file.",
        f"Machine: {whole.cores} cores ({cpu_model()}), {memory_gib():.0f} GiB memory, "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{platform.system()} {platform.release()}. Load average (1, 5, 15 min): "
        f"{load_text(whole.load_before)} at the start, {load_text(whole.load_after)} at the end"
        f"{busy_text(whole)}. Code: {code}.",
        "In every table the first row is the baseline run (1.00×), measured in the same run as the "
        "rows under it, and each other row's figure is divided by the baseline's. Each section ends "
        "with the conditions its benchmark ran in: its time, the load average at its start and end, "
        "and how many cores other processes kept busy meanwhile.",
    ]
    if whole.quick:
        lines.append(
            "**Quick run (`--quick`)**: tiny sizes, a smoke test of the benchmarks and this report; "
            "the figures are not representative, and a target missed here says nothing about the "
            "project."
        )
    return lines


def busy_text(whole: Conditions) -> str:
    if whole.other_cores is None:
        return ""
    return f"; other processes kept {whole.other_cores:.1f} of {whole.cores} cores busy throughout"


def targets_summary(targets: list[Target]) -> str:
    missed = sum(1 for target in targets if target.met is False)
    rows = [target.summary_row() for target in targets]
    note = f"{missed} missed: each section says why." if missed else "All measured targets met."
    return "\n\n".join(["## Targets", table(["target", "measured", "status"], rows), note])


def report(
    runs: dict[str, Run], started: datetime, whole: Conditions, code: str
) -> tuple[str, list[Target]]:
    """The report's text, and every target it checked."""
    results = {name: found.figures for name, found in runs.items()}
    reasons = {name: found.failure or "" for name, found in runs.items()}
    for name in ORDER:
        reasons.setdefault(name, "not run (left out with `--only`)")
    built = sections(results, reasons)
    targets = [target for _, section in built for target in section.targets]
    parts = [*header(started, whole, code), targets_summary(targets)]
    for name, section in built:
        found = runs.get(name)
        parts.append(section.markdown(found.conditions if found else None))
    return "\n\n".join(parts) + "\n", targets


def save_figures(
    path: Path, runs: dict[str, Run], started: datetime, whole: Conditions, code: str
) -> None:
    """The raw figures and conditions of every benchmark, and of the whole run."""
    data: dict[str, Any] = {
        name: {"figures": r.figures, "failure": r.failure, "conditions": asdict(r.conditions)}
        for name, r in runs.items()
    }
    data["run"] = {"started": started.isoformat(), "conditions": asdict(whole), "code": code}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False))


def load_figures(path: Path) -> tuple[dict[str, Run], datetime, Conditions, str]:
    """What ``save_figures`` wrote: the runs, and the start, conditions and code of the whole."""
    data = json.loads(path.read_text())
    whole = data.pop("run")
    runs = {
        name: Run(name, saved["figures"], saved["failure"], Conditions(**saved["conditions"]))
        for name, saved in data.items()
    }
    started = datetime.fromisoformat(whole["started"])
    return runs, started, Conditions(**whole["conditions"]), whole["code"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument("--output", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--only", nargs="+", choices=ORDER, help="run only these benchmarks")
    parser.add_argument("--figures", type=Path, help="also write the raw figures here (JSON)")
    parser.add_argument(
        "--from-figures", type=Path, metavar="PATH",
        help="run nothing: write the report anew from the figures an earlier run saved there "
        "(after a change to the report's text)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.from_figures:
        runs, started, whole, code = load_figures(args.from_figures)
        text, _ = report(runs, started, whole, code)
        args.output.write_text(text)
        print(f"wrote {args.output} from {args.from_figures}")  # noqa: T201 - the command's result
        return
    sizes = SIZES["quick" if args.quick else "full"]
    started, first, code = datetime.now(UTC), Snapshot.take(), code_state(args.output)
    with tempfile.TemporaryDirectory() as tmp:
        runs = {
            name: run(name, sizes[name], Path(tmp), args.quick)
            for name in ORDER
            if not args.only or name in args.only
        }
    whole = conditions(first, Snapshot.take(), args.quick)
    code = code_text(code, code_state(args.output))
    text, targets = report(runs, started, whole, code)
    args.output.write_text(text)
    if args.figures:
        save_figures(args.figures, runs, started, whole, code)
    statuses = ", ".join(f"{t.status}: {t.name}" for t in targets)
    print(f"wrote {args.output}; targets: {statuses}")  # noqa: T201 - the command's result
    if any(found.failure for found in runs.values()):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
