"""The completeness chart (``coverage.png``): articles per day, stored against listed in the
site's sitemaps, with the missing ones, the days without a stored article and those far below
their usual count marked, withdrawn articles shown, and the Jalali months labelled in Persian.

matplotlib (Agg, no display) draws it; this module is imported only by ``mizan-crawler
coverage``, never by a crawl. Persian labels need text shaping (joined letter forms, right to
left): matplotlib 3.11 lays text out with libraqm (HarfBuzz and FriBiDi), and its own DejaVu Sans
has the Arabic-script letters, so no system font or reshaping library is needed. Without libraqm
(a matplotlib built without it) the labels would come out as separate letters in the wrong order:
``ChartError`` says so instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # before pyplot: files only, no display

import matplotlib.pyplot as plt
from matplotlib import dates, font_manager, ft2font
from matplotlib.axes import Axes

from . import findings
from .report import jalali_day, month_name
from .tally import Tally, jalali_month

PNG_NAME = "coverage.png"
FONT = "DejaVu Sans"  # shipped with matplotlib; covers Persian letters and digits
COLOURS = {"stored": "#3b6ea8", "missing": "#d1453b", "listed": "#222222", "withdrawn": "#e69a1c"}
MAX_MONTH_LABELS = 24
FIRST_LABEL_ROOM = 7  # days: a label at the span's start unless a month starts this soon


class ChartError(RuntimeError):
    """The chart cannot be drawn right (one line for the operator)."""


def check_text_layout() -> None:
    """Fail with one line unless Persian can be shaped: libraqm in matplotlib, and the font."""
    if not getattr(ft2font, "__libraqm_version__", None):
        raise ChartError(
            f"matplotlib {matplotlib.__version__} lays out text without libraqm, so Persian "
            "labels would be unshaped: install matplotlib>=3.11 from its wheels"
        )
    try:
        font_manager.findfont(FONT, fallback_to_default=False)
    except ValueError:
        raise ChartError(f"matplotlib has no {FONT} font (its own copy is missing)") from None


def _month_ticks(days: Sequence[date]) -> tuple[list[float], list[str]]:
    """Ticks at the first day of each Jalali month (and at the span's first day when its month
    starts well before it), labelled with the month's Persian name."""
    starts = [day for day in days if jalali_day(day).endswith("-01")]
    if not starts or (starts[0] - days[0]).days > FIRST_LABEL_ROOM:
        starts.insert(0, days[0])
    step = max(1, -(-len(starts) // MAX_MONTH_LABELS))
    chosen = starts[::step]
    return [_x(day) for day in chosen], [month_name(jalali_month(day)) for day in chosen]


def _x(day: date) -> float:
    return float(dates.date2num(day))


def _shade(axes: Axes, counted: Tally, days: Sequence[date]) -> None:
    """Days without a stored article (hatched) and the other days far below their usual count."""
    for number, run in enumerate(findings.empty_runs(counted, days)):
        axes.axvspan(
            _x(run.first) - 0.5, _x(run.last) + 0.5, color=COLOURS["missing"], alpha=0.15,
            hatch="//", label="no stored article (روز بی‌مقاله)" if number == 0 else None,
        )  # fmt: skip
    thin = [low for low in findings.low_days(counted, days) if low.stored]
    for number, low in enumerate(thin):
        axes.axvspan(
            _x(low.day) - 0.5, _x(low.day) + 0.5, color=COLOURS["withdrawn"], alpha=0.2,
            label="far below the usual count" if number == 0 else None,
        )  # fmt: skip


def _series(counted: Tally, days: Sequence[date], name: str) -> list[int]:
    return [getattr(counted.days[day], name) if day in counted.days else 0 for day in days]


def _bars(axes: Axes, counted: Tally, days: Sequence[date]) -> None:
    """Stored, missing on top of them, the listed count as a line, withdrawn as markers."""
    xs = [_x(day) for day in days]
    stored, missing = _series(counted, days, "stored"), _series(counted, days, "missing")
    axes.bar(xs, stored, width=0.9, color=COLOURS["stored"], label="stored (ذخیره‌شده)")
    axes.bar(
        xs, missing, width=0.9, bottom=stored, color=COLOURS["missing"],
        label="missing: listed, not stored (جاافتاده)",
    )  # fmt: skip
    axes.step(
        xs, _series(counted, days, "listed"), where="mid", color=COLOURS["listed"],
        linewidth=1.2, label="listed in the sitemaps (فهرست نقشهٔ سایت)",
    )  # fmt: skip
    marked = [(x, height) for x, height, day in zip(xs, stored, days, strict=True)
              if day in counted.days and counted.days[day].withdrawn]  # fmt: skip
    if marked:
        axes.scatter(
            [x for x, _ in marked], [height for _, height in marked], marker="v", s=60,
            color=COLOURS["withdrawn"], edgecolors="black", linewidths=0.5, zorder=3,
            label=f"withdrawn (حذف‌شده از سایت): {counted.total.withdrawn}",
        )  # fmt: skip


def draw(counted: Tally, path: Path, title: str) -> None:
    """Draw the chart of ``counted`` into ``path`` (PNG); ``ChartError`` when Persian cannot be
    laid out or there is nothing to draw."""
    check_text_layout()
    days = findings.span(counted)
    if not days:
        raise ChartError("no stored or listed article in the chosen days: nothing to draw")
    plt.rcParams["font.family"] = FONT
    figure, axes = plt.subplots(figsize=(12, 5), dpi=100)
    try:
        _shade(axes, counted, days)
        _bars(axes, counted, days)
        ticks, labels = _month_ticks(days)
        axes.set_xticks(ticks, labels)
        axes.set_xticks([_x(day) for day in days], minor=True)
        axes.set_xlim(_x(days[0]) - 1, _x(days[-1]) + 1)
        axes.set_ylim(
            0, max(1, *_series(counted, days, "listed"), *_series(counted, days, "stored")) * 1.1
        )
        axes.set_ylabel("articles per day")
        axes.set_title(title)
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=3, fontsize=9)
        axes.grid(axis="y", alpha=0.3)
        figure.tight_layout()
        figure.savefig(path, format="png")
    finally:
        plt.close(figure)
