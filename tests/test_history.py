"""Edit histories: what changed between kept versions (unit), every version read back from both
stores and exported beside the articles, and an article edited twice on the replica, crawled three
times, shown by ``mizan-crawler history`` and in the revisions export."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mizan_crawler import history
from mizan_crawler.cli import main
from mizan_crawler.replica import Corpus, ReplicaServer
from mizan_crawler.store import Filters, open_store

from .crawling import run_crawl
from .records import record

ZWNJ = "\u200c"
LATER = "2026-02-01T00:00:00+00:00"
LATEST = "2026-03-01T00:00:00+00:00"


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mizan_crawler", *args], capture_output=True, text=True, check=False
    )


# The pure diff ------------------------------------------------------------------------------------


def test_changed_fields_leave_out_crawl_time_and_fingerprint() -> None:
    before = record(1)
    after = record(1, title="تازه", tags=["غزه"], crawled_at=LATER)
    assert history.changed_fields(None, before) == []
    assert history.changed_fields(before, after) == ["title", "tags"]
    assert history.changed_fields(before, record(1, crawled_at=LATER)) == []
    assert history.changed_fields(before, {**before, "content_hash": "x"}) == []


def test_paragraph_diff_prints_whole_paragraphs_with_every_zwnj() -> None:
    kept = f"پاراگراف نخست می{ZWNJ}ماند."
    before = {"body": f"{kept}\n\nگفت{ZWNJ}وگو با دادستان.\n\nپایان."}
    after = {"body": f"{kept}\n\nگفت{ZWNJ}وگوی تازه با دادستان.\n\nپایان.\n\nبند افزوده{ZWNJ}ای."}
    assert history.change("body", before, after) == {
        "removed": [f"گفت{ZWNJ}وگو با دادستان."],
        "added": [f"گفت{ZWNJ}وگوی تازه با دادستان.", f"بند افزوده{ZWNJ}ای."],
    }
    assert history.diff_lines("body", before, after) == [
        f"- گفت{ZWNJ}وگو با دادستان.",
        f"+ گفت{ZWNJ}وگوی تازه با دادستان.",
        f"+ بند افزوده{ZWNJ}ای.",
    ]


def test_lists_show_items_removed_and_added_and_scalars_before_and_after() -> None:
    before, after = record(1, tags=["قطر", "غزه"]), record(1, tags=["غزه", "لبنان"])
    assert history.change("tags", before, after) == {"removed": ["قطر"], "added": ["لبنان"]}
    assert history.change("tags", before, record(1, tags=["غزه", "قطر"])) == {
        "order": ["غزه", "قطر"]
    }
    assert history.diff_lines("uptitle", record(1), record(1, uptitle="روتیتر")) == ["+ روتیتر"]
    assert history.diff_lines("service", record(1), record(1, service=None)) == [
        "- سیاسی",
        "+ (none)",
    ]
    assert history.diff_lines("lead", record(1, lead=None), record(1, lead="")) == [
        "- (none)",
        "+ (empty)",
    ]


# From the store -----------------------------------------------------------------------------------


def _edited_twice(database_url: str) -> None:
    with open_store(database_url) as store:
        store.write([record(5), record(6, service="قضایی")])
        store.write([record(5, title=f"عنوان تازه{ZWNJ}تر", crawled_at=LATER)])
        store.write([record(5, title=f"عنوان تازه{ZWNJ}تر", tags=["قطر"], crawled_at=LATEST)])


def test_versions_of_every_article_are_streamed_in_order(database_url: str) -> None:
    _edited_twice(database_url)
    with open_store(database_url) as store:
        rows = list(store.iter_versions())
        only_6 = list(store.iter_versions(Filters(service="قضایی")))
        current = store.article(5)
        assert store.article(404) is None
    assert [(row["news_code"], row["is_current"], row["crawled_at"]) for row in rows] == [
        (5, False, "2026-01-01T00:00:00+00:00"),
        (5, False, LATER),
        (5, True, LATEST),
        (6, True, "2026-01-01T00:00:00+00:00"),
    ]
    assert [row["news_code"] for row in only_6] == [6]
    assert current is not None and current["tags"] == ["قطر"]
    assert rows[-1]["tags"] == ["قطر", "غزه"]  # lists read back as lists


def test_history_command_text_json_and_unknown_code(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _edited_twice(database_url)
    main(["history", "5", "--database-url", database_url])
    text = capsys.readouterr().out
    assert "news code 5: 3 kept versions, oldest first" in text
    assert "version 1, crawled 2026-01-01T00:00:00+00:00\n  the first kept version" in text
    assert f"version 2, crawled {LATER}\n  changed: title\n  title:\n" in text
    assert f"    - عنوان خبر 5\n    + عنوان تازه{ZWNJ}تر" in text
    assert f"version 3 (current), crawled {LATEST}\n  changed: tags\n" in text
    assert "    - غزه\n" in text
    main(["history", "5", "--database-url", database_url, "--format", "json"])
    document = json.loads(capsys.readouterr().out)
    assert [v["changed_fields"] for v in document["versions"]] == [[], ["title"], ["tags"]]
    assert [v["is_current"] for v in document["versions"]] == [False, False, True]
    assert document["versions"][1]["changes"]["title"]["added"] == [f"عنوان تازه{ZWNJ}تر"]
    assert document["versions"][2]["record"]["tags"] == ["قطر"]
    with pytest.raises(SystemExit) as exited:
        main(["history", "404", "--database-url", database_url])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("mizan-crawler history: error: no article with news code 404")
    assert len(error.strip().splitlines()) == 1


def test_history_of_a_code_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    done = _cli("history", "abc", "--database-url", f"sqlite:///{tmp_path / 's.sqlite'}")
    assert done.returncode == 2
    assert "invalid int value: 'abc'" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def _revisions(out: Path, fmt: str) -> list[dict[str, Any]]:
    path = out / f"revisions.{fmt}"
    if fmt == "jsonl":
        return [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    if fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))
        for row in rows:
            row["news_code"], row["version"] = int(row["news_code"]), int(row["version"])
            row["is_current"] = {"True": True, "False": False}[row["is_current"]]
            row["changed_fields"] = (
                row["changed_fields"].split(" | ") if row["changed_fields"] else []
            )
        return rows
    return pq.read_table(path).to_pylist()


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_export_writes_every_version_with_its_changed_fields(
    database_url: str, tmp_path: Path, fmt: str
) -> None:
    _edited_twice(database_url)
    main(["export", "--database-url", database_url, "--format", fmt, "--out", str(tmp_path)])
    rows = _revisions(tmp_path, fmt)
    assert [
        (row["news_code"], row["version"], row["is_current"], row["changed_fields"]) for row in rows
    ] == [(5, 1, False, []), (5, 2, False, ["title"]), (5, 3, True, ["tags"]), (6, 1, True, [])]
    assert rows[1]["title"] == f"عنوان تازه{ZWNJ}تر"
    card = (tmp_path / "README.md").read_text("utf-8")
    assert "## Revisions" in card
    assert f"`revisions.{fmt}` ({fmt})" in card
    assert "- rows: 4 (versions)" in card
    assert "- articles with more than one version (edited since first crawled): 1" in card
    assert "| `changed_fields` |" in card and "| `is_current` |" in card


def test_revisions_export_follows_the_articles_selection_and_types(
    database_url: str, tmp_path: Path
) -> None:
    _edited_twice(database_url)
    main(
        [
            "export",
            *("--database-url", database_url, "--format", "parquet", "--out", str(tmp_path)),
            *("--service", "سیاسی"),
        ]
    )
    table = pq.read_table(tmp_path / "revisions.parquet")
    assert table.column("news_code").to_pylist() == [5, 5, 5]
    assert table.schema.field("changed_fields").type == pa.list_(pa.string())
    assert table.schema.field("is_current").type == pa.bool_()
    assert table.schema.field("version").type == pa.int32()
    assert table.schema.field("published_at").type == pa.timestamp("ms", tz="Asia/Tehran")


# On the replica -----------------------------------------------------------------------------------


def test_replica_edit_refuses_fields_an_editor_cannot_change() -> None:
    with ReplicaServer(Corpus(5, seed=2)) as site:
        code = site.corpus.news_code(0)
        with pytest.raises(ValueError, match="not editable: news_code"):
            site.edit(code, site.now, news_code=1)


def test_an_article_edited_twice_on_the_replica(tmp_path: Path) -> None:
    corpus = Corpus(20, seed=5)
    article = next(a for a in corpus if a.kind == "news" and not a.withdrawn and a.tags)
    first_edit = article.published + timedelta(days=1)
    second_edit = article.published + timedelta(days=2)
    new_title = f"{article.title} به{ZWNJ}روز شد"
    added = f"دادستان گفت{ZWNJ}وگو را ادامه می{ZWNJ}دهد."
    with ReplicaServer(corpus, now=article.published + timedelta(hours=1)) as site:
        site.edit(article.news_code, first_edit, title=new_title)
        site.edit(
            article.news_code,
            second_edit,
            paragraphs=(*article.paragraphs[1:], added),
            tags=(*article.tags[1:], "عفو"),
        )
        for moment in (None, first_edit, second_edit):
            if moment is not None:
                site.set_clock(moment + timedelta(hours=1))
            done = run_crawl("article", site.base_url, tmp_path, f"urls={article.news_code}")
            assert done.returncode == 0, done.log
        assert site.article_fetches()[article.news_code] == 3
    database_url = f"sqlite:///{tmp_path / 'data' / 'mizan.sqlite'}"

    shown = _cli("history", str(article.news_code), "--database-url", database_url)
    assert shown.returncode == 0, shown.stderr
    text = shown.stdout
    assert f"news code {article.news_code}: 3 kept versions, oldest first" in text
    assert "\n  changed: title\n" in text
    assert "\n  changed: body, tags\n" in text
    assert f"    - {article.title}\n    + {new_title}\n" in text
    assert f"    - {article.paragraphs[0]}\n" in text
    assert f"    + {added}\n" in text
    assert f"    - {article.tags[0]}\n    + عفو\n" in text

    as_json = _cli(
        "history", str(article.news_code), "--database-url", database_url, "--format", "json"
    )
    assert as_json.returncode == 0, as_json.stderr
    kept = json.loads(as_json.stdout)["versions"]
    assert [v["record"]["title"] for v in kept] == [article.title, new_title, new_title]
    assert kept[2]["record"]["body"] == "\n\n".join((*article.paragraphs[1:], added))

    out = tmp_path / "dataset"
    exported = _cli(
        "export", "--database-url", database_url, "--format", "jsonl", "--out", str(out)
    )
    assert exported.returncode == 0, exported.stderr
    assert "1 articles to" in exported.stdout and "their 3 kept versions to" in exported.stdout
    rows = _revisions(out, "jsonl")
    assert [(r["version"], r["is_current"], r["changed_fields"]) for r in rows] == [
        (1, False, []),
        (2, False, ["title"]),
        (3, True, ["body", "tags"]),
    ]
    assert [r["tags"] for r in rows] == [
        list(article.tags),
        list(article.tags),
        [*article.tags[1:], "عفو"],
    ]
