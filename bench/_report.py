"""Pieces of bench/RESULTS.md: Markdown tables with ratio columns, target lines, run conditions.

Nothing here measures anything; bench/_sections.py turns each benchmark's figures into a section
with these, and bench/run_all.py puts the sections together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

NOT_MEASURED = "not measured"


def ratio(value: float, baseline: float, digits: int = 2) -> str:
    """``value`` as a multiple of ``baseline``: ``1.23×``."""
    return f"{value / baseline:.{digits}f}×"


def number(value: float, digits: int = 1) -> str:
    """A figure with thousands separators."""
    return f"{value:,.{digits}f}"


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A Markdown table; every column but the first is right-aligned."""
    lines = [
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * (len(header) - 1),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    return "\n".join(lines)


def rounds(count: int) -> str:
    return f"{count} round" if count == 1 else f"{count} rounds"


def not_measured_row(label: str, reason: str, columns: int) -> list[str]:
    """A table row for a run that could not happen, saying why."""
    return [label, f"{NOT_MEASURED}: {reason}", *("–" for _ in range(columns - 2))]


@dataclass(frozen=True)
class Target:
    """A figure's target: met when the figure is at least (or at most) ``limit``.

    ``why`` explains what usually makes the figure miss; it is printed only on a miss, with the
    conditions the figure was measured in.
    """

    name: str
    measured: float | None
    limit: float
    at_least: bool
    why: str
    digits: int = 2
    unit: str = "×"
    load_sensitive: bool = True  # whether a loaded machine can move the figure

    @property
    def met(self) -> bool | None:
        if self.measured is None:
            return None
        return self.measured >= self.limit if self.at_least else self.measured <= self.limit

    @property
    def status(self) -> str:
        return {True: "met", False: "MISSED", None: NOT_MEASURED}[self.met]

    @property
    def shown(self) -> str:
        if self.measured is None:
            return "–"
        return f"{self.measured:.{self.digits}f}{self.unit}"

    def line(self, conditions: Conditions | None) -> str:
        """The target's sentence in its section; on a miss, why, and whether load explains it."""
        text = f"**Target: {self.name} — {self.status}**"
        text += "." if self.measured is None else f" (measured {self.shown})."
        if self.met is False:
            text += f" Why: {self.why}"
            if conditions is not None and self.load_sensitive:
                text += f" In this run, {conditions.verdict()}."
            elif conditions is not None:
                text += f" In this run, {conditions.describe()}"
        return text

    def summary_row(self) -> list[str]:
        return [self.name, self.shown, self.status]


@dataclass(frozen=True)
class Conditions:
    """How loaded the machine was while one benchmark ran.

    ``other_cores`` is the CPU the rest of the machine used meanwhile, in cores on average: all
    busy CPU time less the benchmark's own (its process tree), over its wall time.
    """

    seconds: float
    load_before: Sequence[float]
    load_after: Sequence[float]
    other_cores: float | None
    cores: int
    quick: bool

    def describe(self) -> str:
        text = (
            f"it ran {self.seconds:.0f} s; 1-minute load average {self.load_before[0]:.2f} at its "
            f"start and {self.load_after[0]:.2f} at its end on {self.cores} cores"
        )
        if self.other_cores is not None:
            text += f"; other processes kept {self.other_cores:.1f} of {self.cores} cores busy"
        return text + "."

    def verdict(self) -> str:
        """Whether the machine's load or the run's sizes can explain a missed target."""
        if self.quick:
            return "the sizes were `--quick` ones, too small for this target to mean anything"
        busy = self.other_cores if self.other_cores is not None else self.load_before[0]
        share = (
            f"other processes kept {busy:.1f} of {self.cores} cores busy"
            if self.other_cores is not None
            else f"1-minute load average {busy:.2f} on {self.cores} cores"
        )
        if busy >= self.cores / 2:
            return (
                f"the machine was heavily shared ({share}), which may explain the miss: rerun it "
                "on a quiet machine"
            )
        if busy >= self.cores / 4:
            return f"the machine was partly shared ({share}), which may explain part of the miss"
        return f"the machine was otherwise nearly idle ({share}), so load does not explain the miss"


@dataclass
class Section:
    """One benchmark's part of the report: what was measured and the tables, the targets it
    checked, and what earlier work found (fixed prose, kept with the figures it explains)."""

    title: str
    body: list[str]
    targets: list[Target] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)

    def markdown(self, conditions: Conditions | None) -> str:
        parts = [f"## {self.title}", *self.body]
        parts += [target.line(conditions) for target in self.targets]
        parts += self.findings
        if conditions is not None:
            parts.append(f"Conditions: {conditions.describe()}")
        return "\n\n".join(parts)


def figure(figures: dict[str, Any], *keys: str) -> Any:
    """A nested figure, or None where the run has none."""
    found: Any = figures
    for key in keys:
        if not isinstance(found, dict) or key not in found:
            return None
        found = found[key]
    return found
