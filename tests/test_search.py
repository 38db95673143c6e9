"""Full-text search: the folding both sides share, the index each store keeps in step with its
rows (SQLite FTS5, PostgreSQL tsvector), and the ``search`` command."""

from __future__ import annotations

from pathlib import Path

import pytest

from mizan_crawler.cli import main
from mizan_crawler.dates import day_end, day_start, parse_day
from mizan_crawler.search_text import (
    SearchQueryError,
    fts5_match,
    parse_query,
    search_words,
    snippet,
    streams,
    tsquery,
    tsvector,
)
from mizan_crawler.store import Filters, open_store
from mizan_crawler.store import postgres as postgres_store
from mizan_crawler.store import sqlite as sqlite_store
from mizan_crawler.store.base import SEARCH_VERSION
from mizan_crawler.store.postgres import PostgresStore
from mizan_crawler.store.sqlite import SQLiteStore

from .records import record

ZWNJ = "\u200c"
# Published with a ZWNJ, Arabic letters (ي ك) and Persian digits; another with Arabic-Indic ones.
TALKS = record(
    4776124,
    title=f"نشست گفت{ZWNJ}وگو در دادگستری",
    lead=None,
    body=f"رئيس قوه قضاييه با مسئولان كشور در سال ۱۴۰۳ دیدار کرد.\n\nصهیونیست{ZWNJ}ها محکوم شدند.",
    published_at="2024-06-01T08:00:00+03:30",
    published_at_jalali="1403-03-12 08:00",
    service="سیاسی",
)
COURT = record(
    4776200,
    title="حکم دادگاه",
    lead="رأی صادر شد",
    body="پرونده ٢٥ متهم در دادگاه بررسی شد. این گفتوگو و آن گفت وگو.",
    published_at="2024-07-01T10:00:00+03:30",
    published_at_jalali="1403-04-11 10:00",
    service="اجتماعی",
)


def _codes(database_url: str, query: str, **options: object) -> list[int]:
    with open_store(database_url) as store:
        return [hit.news_code for hit in store.search(query, **options)]  # type: ignore[arg-type]


# The folding ------------------------------------------------------------------------------


def test_letter_forms_diacritics_and_digits_fold_alike() -> None:
    assert search_words("كشور يك") == search_words("کشور یک") == [("کشور",), ("یک",)]
    assert search_words("۱۴۰۳ ١٤٠٣ 1403") == [("1403",)] * 3
    assert search_words("آمریکا أحمد رأی") == [("امریکا",), ("احمد",), ("رای",)]
    assert search_words("خانهٔ خانۀ") == [("خانه",), ("خانه",)]
    assert search_words("مُحَمَّد عــلی") == [("محمد",), ("علی",)]
    assert search_words("پائیز") == search_words("پاییز")
    assert search_words("ﻻ") == search_words("لا")  # a presentation form is its letters
    assert search_words("\u200fکشور\u200e\u00a0\ufeffیک") == [("کشور",), ("یک",)]  # invisibles


def test_a_zwnj_word_is_one_word_of_parts_and_punctuation_separates() -> None:
    assert search_words(f"گفت{ZWNJ}وگو، (صهیونیست{ZWNJ}ها)!") == [
        ("گفت", "وگو"),
        ("صهیونیست", "ها"),
    ]
    assert streams(f"نشست گفت{ZWNJ}وگو شد") == ("نشست گفتوگو شد", "نشست گفت وگو شد")
    assert search_words(f"گفت{ZWNJ}{ZWNJ}وگو") == [("گفت", "وگو")]


def test_queries_look_for_a_zwnj_word_whole_and_by_its_parts() -> None:
    phrases = parse_query(f"گفت{ZWNJ}وگو «مسئولان كشور» ۱۴۰۳")
    assert fts5_match(phrases) == ('("گفتوگو" OR "گفت وگو") AND ("مسیولان کشور") AND ("1403")')
    assert tsquery(phrases) == "('گفتوگو' | 'گفت' <-> 'وگو') & ('مسیولان' <-> 'کشور') & ('1403')"
    for empty in ("", "  ", "؟!", "«»"):
        with pytest.raises(SearchQueryError):
            parse_query(empty)


def test_tsvector_weights_positions_and_a_gap_between_streams() -> None:
    assert tsvector([(f"الف ب{ZWNJ}پ", "A"), (None, "B"), ("ت", "D")]) == (
        "'الف':1A,4A 'بپ':2A 'ب':5A 'پ':6A 'ت':8,10"
    )


def test_snippet_shows_the_published_text_around_the_match() -> None:
    body = " ".join(f"واژه{n}" for n in range(40)) + f" گفت{ZWNJ}وگو، پایان"
    shown = snippet([None, body], parse_query("گفتوگو"), width=3)
    assert shown == f"… واژه37 واژه38 واژه39 [گفت{ZWNJ}وگو،] پایان"
    assert snippet(["لید کوتاه"], parse_query("ناموجود")) == "لید کوتاه"


# The stores -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        f"گفت{ZWNJ}وگو",  # as published
        "گفتوگو",  # written solid
        "گفت وگو",  # with a space
        "«نشست گفت وگو»",  # a phrase across the ZWNJ word
        "قوه قضاییه",  # Persian ی for the published Arabic ي
        "قضائیه",  # the hamza form, as some write it
        "کشور ۱۴۰۳",  # Persian ک for ك
        "1403",  # Latin digits for Persian ones
        "١٤٠٣",  # Arabic-Indic digits
        "صهیونیست",  # the word of a suffixed form
        "صهیونیستها",
        f"«صهیونیست{ZWNJ}ها محکوم»",
    ],
)
def test_search_finds_an_article_in_every_written_form(database_url: str, query: str) -> None:
    with open_store(database_url) as store:
        store.write([TALKS, record(5, title="دیگر", lead=None, body="متن بی‌ربط")])
    assert _codes(database_url, query) == [TALKS["news_code"]]


def test_an_article_written_solid_or_spaced_is_found_by_the_zwnj_form(database_url: str) -> None:
    with open_store(database_url) as store:
        store.write([COURT, TALKS])
    assert set(_codes(database_url, f"گفت{ZWNJ}وگو")) == {COURT["news_code"], TALKS["news_code"]}
    assert _codes(database_url, "۲۵ متهم") == [COURT["news_code"]]
    assert _codes(database_url, "«دادگاه نشست»") == []  # not next to each other anywhere
    assert _codes(database_url, "ناموجود") == []


def test_a_revised_article_is_found_by_its_new_text_only(database_url: str) -> None:
    revised = {
        **TALKS,
        "body": "متن تازه درباره انتخابات",
        "crawled_at": "2026-02-01T00:00:00+00:00",
    }
    with open_store(database_url) as store:
        store.write([TALKS])
        assert store.write([revised]) == {"updated": 1}
        assert [hit.news_code for hit in store.search("انتخابات")] == [TALKS["news_code"]]
        assert store.search("قضاییه") == []  # only the earlier version said it
        assert [hit.news_code for hit in store.search("دادگستری")] == [TALKS["news_code"]]
        older = {**TALKS, "body": "نسخه قدیمی", "crawled_at": "2025-01-01T00:00:00+00:00"}
        assert store.write([older]) == {"older": 1}
        assert store.search("قدیمی") == []  # kept as a revision; the row is unchanged


def test_results_are_filtered_limited_ranked_and_carry_what_a_reader_needs(
    database_url: str,
) -> None:
    in_title = record(
        10, title="دادگاه امروز", body="متن", published_at="2024-05-01T08:00:00+03:30"
    )
    newer = record(11, body="در دادگاه", published_at="2024-06-20T08:00:00+03:30")
    older = record(12, body="در دادگاه", published_at="2024-06-10T08:00:00+03:30")
    with open_store(database_url) as store:
        store.write([COURT, in_title, newer, older])
        hits = store.search("دادگاه")
        june = Filters(
            since_epoch=int(day_start(parse_day("2024-06-01")).timestamp()),
            until_epoch=int(day_end(parse_day("2024-06-30")).timestamp()),
        )
        assert [hit.news_code for hit in store.search("دادگاه", june)] == [11, 12]
        assert [hit.news_code for hit in store.search("دادگاه", Filters(service="اجتماعی"))] == [
            COURT["news_code"]
        ]
        assert len(store.search("دادگاه", limit=2)) == 2
    codes = [hit.news_code for hit in hits]
    assert set(codes[:2]) == {COURT["news_code"], 10}  # in the title: ranked first
    assert codes[2:] == [11, 12]  # same rank: newest first
    court = hits[codes.index(COURT["news_code"])]
    assert court.published_at_jalali == "1403-04-11 10:00"
    assert court.title == "حکم دادگاه"
    assert "[دادگاه]" in court.snippet


def test_a_store_from_before_search_is_indexed_when_migrated(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for kind, module in ((SQLiteStore, sqlite_store), (PostgresStore, postgres_store)):
        earlier = {
            v: statements for v, statements in module.MIGRATIONS.items() if v < SEARCH_VERSION
        }
        monkeypatch.setattr(kind, "_migrations", lambda self, m=earlier: m)
        monkeypatch.setattr(kind, "_index", lambda self, cursor, row: None)
    with open_store(database_url) as store:
        store.write([TALKS, COURT])
        assert store.schema_version == max(v for v in sqlite_store.MIGRATIONS if v < SEARCH_VERSION)
    monkeypatch.undo()
    with open_store(database_url) as store:
        assert store.schema_version >= 6
        assert [hit.news_code for hit in store.search("قضاییه")] == [TALKS["news_code"]]
        assert [hit.news_code for hit in store.search("متهم")] == [COURT["news_code"]]


# The command ------------------------------------------------------------------------------


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(["search", *args])
        status = 0
    except SystemExit as exit_:
        status = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return status, out, err


def test_search_command_prints_code_jalali_date_title_and_snippet(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_store(database_url) as store:
        store.write([TALKS, COURT])
    status, out, err = _run(capsys, "قضاییه ۱۴۰۳", "--database-url", database_url)
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        f"4776124  1403-03-12 08:00  نشست گفت{ZWNJ}وگو در دادگستری",
        "    رئيس قوه [قضاييه] با مسئولان كشور در سال [۱۴۰۳] دیدار کرد. "
        f"صهیونیست{ZWNJ}ها محکوم شدند.",
    ]
    options = ("--database-url", database_url, "--from", "1403-04-01", "--service", "اجتماعی")
    status, out, _ = _run(capsys, "دادگاه", *options, "--limit", "1")
    assert status == 0 and out.startswith("4776200  1403-04-11 10:00  حکم دادگاه\n")
    assert _run(capsys, "قضاییه", *options) == (0, "no articles match\n", "")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["؟!"], "nothing to search for"),
        (["دادگاه", "--limit", "0"], "--limit 0"),
        (["دادگاه", "--from", "1404-12-30"], "no such day"),
        (["دادگاه", "--from", "2024-07-01", "--to", "2024-06-01"], "is after"),
    ],
)
def test_search_command_bad_input_is_one_line_and_status_2(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, err = _run(capsys, *args, "--database-url", f"sqlite:///{tmp_path / 's.sqlite'}")
    assert status == 2 and out == ""
    assert message in err and len(err.strip().splitlines()) == 1


def test_text_too_large_for_a_tsvector_is_stored_and_searchable_by_its_start(
    database_url: str,
) -> None:
    # 60,000 distinct words: more than a PostgreSQL tsvector (1 MB) can hold.
    huge = record(20, body=" ".join(f"واژه{n}" for n in range(60_000)))
    with open_store(database_url) as store:
        assert store.write([huge]) == {"new": 1}
        assert [hit.news_code for hit in store.search("واژه10")] == [20]
