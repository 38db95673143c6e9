"""``mizan-crawler coverage``: stored against listed in the site's sitemaps.

End to end against the replica: May backfilled in two ranges that leave out two days (whose
sitemap entries the urlsets still list) and three stored articles withdrawn from the site; the
report names the hole, its missing articles, its news-code range, the ledger's unread stretch
and the withdrawn articles; the chart is a PNG of the expected size; the dataset card carries the
same per-month table. Then the rules of the tally (which day a listed entry has) and of the
findings on store rows and counts written by hand, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
import struct
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from matplotlib import ft2font

from mizan_crawler.cli import main
from mizan_crawler.completeness import findings
from mizan_crawler.completeness.report import day_label, month_name, report
from mizan_crawler.completeness.tally import Counts, Tally, jalali_month, tally
from mizan_crawler.dates import TEHRAN
from mizan_crawler.replica import Corpus, ReplicaServer
from mizan_crawler.store import open_store
from mizan_crawler.store.observations import Observations, SitemapEntry

from .crawling import run_crawl
from .records import record

MAY = {"start": datetime(2024, 5, 1, tzinfo=TEHRAN), "end": datetime(2024, 6, 1, tzinfo=TEHRAN)}
HOLE = (date(2024, 5, 15), date(2024, 5, 16))  # 1403-02-26 and 1403-02-27
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _database(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'data' / 'mizan.sqlite'}"


def _backfill(site: ReplicaServer, workdir: Path, *args: str) -> None:
    result = run_crawl("backfill", site.base_url, workdir, *args)
    assert result.returncode == 0, result.log


def _day(published_at: str) -> date:
    return datetime.fromisoformat(published_at).astimezone(TEHRAN).date()


@pytest.fixture(scope="module")
def holed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict, list[int]]]:
    """A store of May with 15-16 May left out and three articles withdrawn: the workdir, the
    replica's truth by news code, and the withdrawn codes."""
    workdir = tmp_path_factory.mktemp("holed")
    with ReplicaServer(Corpus(300, seed=41, **MAY)) as site:
        truth = {int(row["news_code"]): row for row in site.truth_records()}
        _backfill(site, workdir, "from=2024-05-01", "to=2024-05-14")
        _backfill(site, workdir, "from=2024-05-17", "to=2024-05-31")
        early = sorted(code for code, row in truth.items() if _day(row["published_at"]).day < 14)
        gone = [early[10], early[40], early[70]]
        for code in gone:
            site.withdraw(code)
        _backfill(site, workdir, "from=2024-05-01", "to=2024-05-14", "refresh=missing")
    yield workdir, truth, gone


def _coverage(workdir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "mizan_crawler", "coverage"]
    command += ["--database-url", _database(workdir), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_report_names_the_hole_and_the_withdrawn_articles(
    holed: tuple[Path, dict, list[int]],
) -> None:
    workdir, truth, gone = holed
    out = workdir / "coverage"
    done = _coverage(workdir, "--out", str(out))
    assert done.returncode == 0, done.stderr
    in_hole = sorted(code for code, row in truth.items() if _day(row["published_at"]) in HOLE)
    assert len(in_hole) >= 15
    assert done.stdout.strip().endswith(
        f"{len(truth) - len(in_hole)} stored, {len(truth)} listed, {len(in_hole)} missing, "
        "3 withdrawn"
    )
    text = (out / "coverage.md").read_text("utf-8")

    # Each missing article by news code, on its lastmod's day while that lies in its urlset's
    # month (Ordibehesht ends on 20 May), else with no day: an edit moved it out.
    expected = {code: _listed_day(truth[code]) for code in in_hole}
    assert any(day is None for day in expected.values())  # edited after the month: no day
    for code, day in expected.items():
        dated_by = "unknown" if day is None else "lastmod"
        assert f"| {code} | {day_label(day)} | {dated_by} |" in text
    # The two days, as one run of days without a stored article, and each as a low day.
    first, last = (day_label(day) for day in HOLE)
    on_hole = sum(day in HOLE for day in expected.values())
    assert f"| {first} | {last} | 2 | {on_hole} |" in text
    assert first == "1403-02-26 (2024-05-15)"
    low = text.split("## Days far below their usual count")[1].split("## ")[0]
    assert [line.split(" | ")[0] for line in low.splitlines() if line.startswith("| 14")] == [
        f"| {first}",
        f"| {last}",
    ]
    codes = sorted(truth)
    after, before = codes[codes.index(in_hole[0]) - 1], codes[codes.index(in_hole[-1]) + 1]
    assert f"| {after} | {before} | {before - after - 1} | {len(in_hole)} |" in text
    # Per month: Ordibehesht holds the hole and the withdrawn articles; Khordad is whole.
    months = Counter(_month(row["published_at"]) for row in truth.values())
    ordibehesht = months["1403-02"]
    assert (
        f"| 1403-02 (اردیبهشت ۱۴۰۳) | {ordibehesht - len(in_hole)} | {ordibehesht} | "
        f"{len(in_hole)} | 3 |"
    ) in text
    assert f"| 1403-03 (خرداد ۱۴۰۳) | {months['1403-03']} | {months['1403-03']} | 0 | 0 |" in text
    # The withdrawn articles by news code; the ledger's unread stretch is the hole.
    withdrawn = text.split("## Withdrawn articles")[1].split("## ")[0]
    assert [int(line.split(" | ")[0][2:]) for line in withdrawn.splitlines() if line[2:3].isdigit()
            ] == gone  # fmt: skip
    assert "- 2024-05-14T23:59+03:30 to 2024-05-17T00:00+03:30" in text

    assert _png_size(out / "coverage.png") == (1200, 500)
    assert (out / "coverage.png").stat().st_size > 20_000


def _listed_day(truth: dict) -> date | None:
    lastmod = datetime.fromisoformat(truth["lastmod"])
    return (
        lastmod.astimezone(TEHRAN).date()
        if lastmod < datetime(2024, 5, 21, tzinfo=TEHRAN)
        else None
    )


def _month(published_at: str) -> str:
    return jalali_month(_day(published_at))


def test_a_range_of_days_and_the_dataset_card(holed: tuple[Path, dict, list[int]]) -> None:
    workdir, truth, _gone = holed
    out = workdir / "range"
    done = _coverage(workdir, "--out", str(out), "--from", "1403-02-20", "--to", "2024-05-20")
    assert done.returncode == 0, done.stderr
    text = (out / "coverage.md").read_text("utf-8")
    assert "days from 1403-02-20 (2024-05-09) to 1403-02-31 (2024-05-20)" in text
    chosen = [row for row in truth.values() if date(2024, 5, 9) <= _day(row["published_at"])
              <= date(2024, 5, 20)]  # fmt: skip
    assert f"- listed in the site's sitemaps: {len(chosen)}" in text

    main(["export", "--database-url", _database(workdir), "--format", "jsonl", "--out",
          str(workdir / "export")])  # fmt: skip
    card = (workdir / "export" / "README.md").read_text("utf-8")
    whole = (workdir / "coverage" / "coverage.md").read_text("utf-8")
    table = [line for line in whole.splitlines() if re.match(r"\| \d{4}-\d{2} \(", line)]
    assert len(table) == 2
    assert "## Completeness: stored against listed in the site's sitemaps" in card
    assert all(line in card for line in table)


def test_bad_input_is_one_line_and_status_2(holed: tuple[Path, dict, list[int]]) -> None:
    workdir, _truth, _gone = holed
    done = _coverage(workdir, "--out", str(workdir / "x"), "--from", "2024-05-20", "--to",
                     "2024-05-01")  # fmt: skip
    assert done.returncode == 2
    assert done.stderr == (
        "mizan-crawler coverage: error: --from 2024-05-20 is after --to 2024-05-01\n"
    )
    a_file = workdir / "a-file"
    a_file.write_text("")
    done = _coverage(workdir, "--out", str(a_file))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "is a file" in done.stderr


def test_a_crawl_never_imports_matplotlib() -> None:
    code = (
        "import sys, mizan_crawler.cli, mizan_crawler.datasets, mizan_crawler.spiders.backfill, "
        "mizan_crawler.spiders.news; assert 'matplotlib' not in sys.modules, 'imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


# The tally's rules, on rows written by hand --------------------------------------------------

URLSET = "https://www.mizanonline.ir/fa-sitemap-newsarchive?y=1403&m=2"  # 20 Apr - 20 May 2024


def _entry(code: int, lastmod: str | None, published: str | None = None) -> SitemapEntry:
    moment = datetime.fromisoformat(lastmod) if lastmod else None
    on = datetime.fromisoformat(published) if published else None
    return SitemapEntry(code, moment, on, URLSET, "2026-01-01T00:00:00+00:00")


def test_which_day_a_listed_entry_has(database_url: str) -> None:
    stored = record(10, published_at="2024-05-02T08:00:00+03:30", withdrawn_at=None)
    entries = {
        10: _entry(10, "2024-05-12T08:00:00+03:30"),  # stored: the article's own day
        11: _entry(11, "2024-05-05T09:00:00+03:30"),  # missing, dated by lastmod
        12: _entry(12, "2024-05-30T09:00:00+03:30"),  # lastmod after its month: no day
        13: _entry(13, "2024-05-30T09:00:00+03:30", "2024-05-03T10:00:00+03:30"),  # dated
    }
    with open_store(database_url) as store:
        store.write([stored], observed=Observations(sitemap_entries=entries))
        store.write([], observed=Observations(gone={10: "2026-02-01T00:00:00+00:00"}))
        counted = tally(store)
        ranged = tally(store, date(2024, 5, 4), date(2024, 5, 31))
    assert counted.days[date(2024, 5, 2)] == Counts(stored=1, listed=1, missing=0, withdrawn=1)
    assert counted.days[date(2024, 5, 5)] == Counts(listed=1, missing=1)
    assert counted.days[date(2024, 5, 3)] == Counts(listed=1, missing=1)
    assert date(2024, 5, 30) not in counted.days
    assert counted.months["1403-02"] == Counts(stored=1, listed=4, missing=3, withdrawn=1)
    assert [(item.news_code, item.dated_by) for item in counted.missing] == [
        (11, "lastmod"),
        (12, "unknown"),
        (13, "publication_date"),
    ]
    assert (counted.dated_by_lastmod, counted.without_day) == (1, 1)
    assert [(item.news_code, item.withdrawn_at) for item in counted.withdrawn] == [
        (10, "2026-02-01T00:00:00+00:00")
    ]
    # 4-31 May: the entry dated 5 May, and the one without a day (its month overlaps).
    assert ranged.total == Counts(listed=2, missing=2)
    assert list(ranged.missing_codes) == [11, 12]


def test_an_undated_article_is_counted_apart(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'store.sqlite'}") as store:
        store.write([record(5, published_at=None, published_at_jalali=None), record(6)])
        counted = tally(store)
        assert tally(store, date(2024, 6, 1)).total.stored == 1
    assert (counted.total.stored, counted.undated) == (2, 1)
    assert list(counted.stored_codes) == [5, 6]
    text = report(counted, "sqlite:///x", [], None)
    assert "1 stored articles have no readable date (in no month)." in text
    assert "No backfill read the sitemaps of 1403-03" in text


def _counts(per_day: dict[date, int]) -> Tally:
    counted = Tally()
    for day, stored in per_day.items():
        counted.days[day] = Counts(stored=stored, listed=stored)
    return counted


def test_low_days_and_empty_runs() -> None:
    start = date(2024, 5, 1)
    per_day = {start + timedelta(days=offset): 12 for offset in range(40)}
    per_day[date(2024, 5, 10)] = 3  # below 12 / 3
    per_day[date(2024, 5, 11)] = 4  # a third exactly: not below
    del per_day[date(2024, 5, 20)]
    counted = _counts(per_day)
    days = findings.span(counted)
    assert (days[0], days[-1], len(days)) == (start, date(2024, 6, 9), 40)
    low = findings.low_days(counted, days)
    assert [(item.day, item.stored, item.usual) for item in low] == [
        (date(2024, 5, 10), 3, 12),
        (date(2024, 5, 20), 0, 12),
    ]
    assert findings.empty_runs(counted, days) == [
        findings.EmptyRun(date(2024, 5, 20), date(2024, 5, 20), 0)
    ]
    quiet = _counts({start + timedelta(days=offset): 2 for offset in range(40)})
    quiet.days[date(2024, 5, 10)] = Counts()
    assert findings.low_days(quiet, findings.span(quiet)) == []  # usual 2: below the floor


def test_news_code_gaps() -> None:
    codes = [100, 103, 106, 109, 112, 200, 203, 206]  # usual stride 3; 112 -> 200 is a gap
    assert findings.usual_stride(codes) == 3
    assert findings.code_gaps(codes, [150, 160, 205]) == [findings.CodeGap(112, 200, 2)]
    assert findings.code_gaps(codes[:1], []) == []


def test_persian_month_names() -> None:
    assert month_name("1403-02") == "اردیبهشت ۱۴۰۳"
    assert month_name("1402-05") == "مرداد ۱۴۰۲"


def test_a_matplotlib_without_libraqm_is_refused_in_one_line(
    holed: tuple[Path, dict, list[int]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(ft2font, "__libraqm_version__", "", raising=False)
    out = holed[0] / "unshaped"
    with pytest.raises(SystemExit) as stopped:
        main(["coverage", "--database-url", _database(holed[0]), "--out", str(out)])
    assert stopped.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("mizan-crawler coverage: error: matplotlib ")
    assert error.count("\n") == 1 and "libraqm" in error
    assert not (out / "coverage.png").exists()
