"""The web archive: crawls of the replica keep every fetch as WARC records that warcio reads back,
every row names its record, and `mizan-crawler reparse` rebuilds the same rows from them with no
request at all; a parser change becomes revisions of exactly the rows it changes; archives made
by wget and by warcio itself reparse into the right records; a killed crawl loses nothing."""

from __future__ import annotations

import gzip
import io
import os
import shutil
import signal
import sqlite3
import subprocess
import zipfile
from collections import Counter
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from mizan_crawler.archive.files import WarcFiles
from mizan_crawler.archive.reader import Capture, Problem, read_archive
from mizan_crawler.pages.article import news_code_from_url
from mizan_crawler.replica import Corpus, ReplicaServer
from mizan_crawler.replica.corpus import ReplicaArticle
from mizan_crawler.replica.render import article_page
from mizan_crawler.replica.shortlinks import short_link
from mizan_crawler.store import open_store

from .crawling import run_crawl, run_reparse, sqlite_rows, start_crawl, wait_for
from .programs import require_program

BOOKKEEPING = ("first_seen_at", "last_seen_at")


def _rows(database: Path) -> dict[int, dict[str, Any]]:
    with open_store(f"sqlite:///{database}") as store:
        return {
            row["news_code"]: {k: v for k, v in row.items() if k not in BOOKKEEPING}
            for row in store.iter_articles()
        }


def _revised_codes(database: Path) -> Counter[int]:
    with closing(sqlite3.connect(database)) as connection:
        rows = connection.execute("SELECT news_code FROM article_revisions").fetchall()
    return Counter(code for (code,) in rows)


def _responses(directory: Path) -> list[tuple[str, int, str, int]]:
    """(path with query, status, file name, offset) of every response record under a folder,
    each record's block and payload digests checked against its bytes (a mismatch raises)."""
    found = []
    for file in sorted(directory.glob("*.warc.gz")):
        with file.open("rb") as stream:
            records = ArchiveIterator(stream, check_digests="raise")
            for record in records:
                kind, uri = record.rec_type, record.rec_headers.get_header("WARC-Target-URI")
                status = int(record.http_headers.get_statuscode()) if kind == "response" else 0
                if kind in ("request", "response"):
                    assert record.rec_headers.get_header("WARC-Block-Digest"), uri
                record.content_stream().read()
                if kind == "response":
                    parts = urlsplit(uri)
                    path = parts.path + (f"?{parts.query}" if parts.query else "")
                    found.append((unquote(path), status, file.name, records.get_record_offset()))
    return found


def _record_at(directory: Path, position: str) -> tuple[str, str]:
    """(WARC type, target URI) of the record a row's ``archive_record`` names."""
    name, offset = position.rsplit("#", 1)
    with (directory / name).open("rb") as stream:
        stream.seek(int(offset))
        record = next(iter(ArchiveIterator(stream)))
        return record.rec_type, record.rec_headers.get_header("WARC-Target-URI")


@dataclass
class Archived:
    """Two crawls of a replica that is stopped afterwards: discovery (`news`) and articles by
    code (with a short link and a withdrawn story)."""

    workdir: Path
    base_url: str
    logged: list[tuple[str, int]]  # (path, status) of every request the replica answered
    rows: dict[int, dict[str, Any]]
    results: list[Any]

    @property
    def archive(self) -> Path:
        return self.workdir / "data" / "archive"

    @property
    def database(self) -> Path:
        return self.workdir / "data" / "mizan.sqlite"


@pytest.fixture(scope="module")
def archived(tmp_path_factory: pytest.TempPathFactory) -> Archived:
    workdir = tmp_path_factory.mktemp("archived")
    with ReplicaServer(Corpus(300, seed=7)) as replica:
        old = [a for a in replica.corpus][:60]
        codes = [a.news_code for a in old if not a.withdrawn][:25]
        withdrawn = next(a.news_code for a in replica.corpus if a.withdrawn)
        shortened = codes.pop()
        urls = [*map(str, codes), str(withdrawn), replica.base_url + short_link(shortened)]
        results = [
            run_crawl("news", replica.base_url, workdir),
            run_crawl("article", replica.base_url, workdir, "urls=" + ",".join(urls)),
        ]
        logged = [(unquote(r.path), r.status) for r in list(replica.requests)]
        base_url = replica.base_url
    for result in results:
        assert result.returncode == 0, result.log
    return Archived(workdir, base_url, logged, _rows(workdir / "data" / "mizan.sqlite"), results)


def test_a_crawl_archives_every_fetch_and_every_row_names_its_record(archived: Archived) -> None:
    responses = _responses(archived.archive)
    # One response record per page the site answered: discovery, robots.txt, articles, the
    # short link's 301 and the withdrawn story's error page, nothing more, nothing less.
    assert Counter((path, status) for path, status, _, _ in responses) == Counter(archived.logged)
    statuses = Counter(status for _, status, _, _ in responses)
    assert statuses[301] == 1
    assert {"/robots.txt", "/fa/rss/allnews"} <= {path for path, *_ in responses}
    assert len({name for _, _, name, _ in responses}) == 2  # a file per run
    assert sum(r.stats["mizan/archive/records"] for r in archived.results) == len(responses)
    with (archived.archive / responses[0][2]).open("rb") as stream:
        kinds = [record.rec_type for record in ArchiveIterator(stream)]
    assert kinds[0] == "warcinfo" and kinds.count("request") == kinds.count("response")
    assert len(archived.rows) > 40
    for code, row in archived.rows.items():
        kind, uri = _record_at(archived.archive, row["archive_record"])
        assert kind == "response" and news_code_from_url(uri) == code


def test_reparse_with_the_site_stopped_gives_the_same_rows(
    archived: Archived, tmp_path: Path
) -> None:
    database = tmp_path / "again.sqlite"
    result = run_reparse(
        tmp_path,
        str(archived.archive),
        "--database-url",
        f"sqlite:///{database}",
        "--workers",
        "2",
        base_url=archived.base_url,
    )
    assert result.returncode == 0, result.log
    assert "downloader/request_count" not in result.stats  # not one request (the site is down)
    assert "log_count/ERROR" not in result.stats, result.log
    assert "Reparsing" in result.log and "(file 2 of 2)" in result.log  # progress
    assert _rows(database) == archived.rows  # every field, crawled_at and archive_record too
    assert result.stats["mizan/store/new"] == len(archived.rows)
    skipped = result.stats["mizan/reparse/skipped/not_article_url"]
    assert skipped == sum(1 for path, _ in archived.logged if news_code_from_url(path) is None)
    assert result.stats["mizan/skipped/cms_error_page"] == 1  # the withdrawn story
    assert sorted(item["news_code"] for item in result.items) == sorted(archived.rows)


SHIM = """
from mizan_crawler import loaders

# The parser change under test: only the first tag of a page is kept.
loaders.ArticleLoader.tags_out = lambda values: list(dict.fromkeys(values))[:1]
"""


def test_a_parser_change_turns_exactly_the_rows_it_changes_into_revisions(
    archived: Archived, tmp_path: Path
) -> None:
    database = tmp_path / "store.sqlite"
    shutil.copy(archived.database, database)
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(SHIM, "utf-8")  # runs in the worker processes too
    paths = [str(shim), os.environ.get("PYTHONPATH", "")]
    result = run_reparse(
        tmp_path,
        str(archived.archive),
        "--database-url",
        f"sqlite:///{database}",
        base_url=archived.base_url,
        env={"PYTHONPATH": os.pathsep.join(p for p in paths if p)},
    )
    assert result.returncode == 0, result.log
    affected = {code for code, row in archived.rows.items() if len(row["tags"]) > 1}
    assert affected and len(affected) < len(archived.rows)
    assert result.stats["mizan/store/updated"] == len(affected)
    assert result.stats["mizan/store/unchanged"] == len(archived.rows) - len(affected)
    assert _revised_codes(database) == Counter(affected)  # one revision each, nothing else
    rows = _rows(database)
    for code, row in archived.rows.items():
        assert rows[code] == ({**row, "tags": row["tags"][:1]} if code in affected else row)
    with open_store(f"sqlite:///{database}") as store:
        for code in affected:
            (revision,) = store.iter_revisions(code)
            assert revision["tags"] == archived.rows[code]["tags"]


def _match_truth(
    items: list[dict[str, Any]], articles: dict[int, ReplicaArticle], base_url: str
) -> None:
    """The items are the records a correct crawl of ``base_url`` makes of ``articles``."""
    by_code = {item["news_code"]: item for item in items}
    assert sorted(by_code) == sorted(articles)
    corpus = Corpus(1, seed=0)  # expected_record depends on the article alone
    for code, article in articles.items():
        truth = corpus.expected_record(article, base_url)
        assert {name: by_code[code][name] for name in truth} == truth


def test_a_wget_archive_of_200_pages_reparses_into_the_right_records(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    wget = require_program("wget", "archives made by other tools", "wget")
    articles = [a for a in replica.corpus][100:290]
    others = ["/robots.txt", "/fa/rss/allnews", *(f"/fa/allnews?p={n}" for n in range(1, 9))]
    urls = [replica.base_url + a.path for a in articles] + [replica.base_url + p for p in others]
    assert len(urls) == 200
    (tmp_path / "urls.txt").write_text("\n".join(urls) + "\n", "utf-8")
    fetched = subprocess.run(
        [wget, "-q", "--warc-file=wget", "-i", "urls.txt", "-O", "/dev/null"],
        check=False,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert fetched.returncode == 0, fetched.stderr
    result = run_reparse(
        tmp_path / "reparse",
        str(tmp_path / "wget.warc.gz"),
        "--database-url",
        "",
        base_url=replica.base_url,
    )
    assert result.returncode == 0, result.log
    assert "log_count/ERROR" not in result.stats, result.log
    live = {a.news_code: a for a in articles if not a.withdrawn}
    assert result.stats["mizan/reparse/records/response"] == 200
    assert result.stats["mizan/reparse/skipped/not_article_url"] == len(others)
    withdrawn = len(articles) - len(live)
    assert withdrawn and result.stats["mizan/skipped/cms_error_page"] == withdrawn
    _match_truth(result.items, live, replica.base_url)
    assert all(item["archive_record"].startswith("wget.warc.gz#") for item in result.items)


LIVE = "https://www.mizanonline.ir"


def _warcio_archive(path: Path, corpus: Corpus) -> dict[str, Any]:
    """A WARC written with warcio as another archiving tool would: live-site URLs, one page
    gzip-encoded, one chunked, a redirect, an offsite page, an error page, a request record."""
    articles = [a for a in corpus if not a.withdrawn][:12]
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)

        def response(url: str, body: bytes, status: str = "200 OK", **headers: str) -> None:
            pairs = [("Content-Type", "text/html; charset=utf-8"), *headers.items()]
            http = StatusAndHeaders(status, pairs, protocol="HTTP/1.1")
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), http_headers=http
            )
            writer.write_record(record)

        for index, article in enumerate(articles):
            body = article_page(article).encode("utf-8")
            url = LIVE + article.path
            if index == 0:
                response(url, gzip.compress(body), **{"Content-Encoding": "gzip"})
            elif index == 1:
                chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
                response(url, chunked, **{"Transfer-Encoding": "chunked"})
            else:
                response(url, body)
        request = StatusAndHeaders(
            "GET / HTTP/1.1", [("Host", "www.mizanonline.ir")], is_http_request=True
        )
        writer.write_record(writer.create_warc_record(LIVE + "/", "request", http_headers=request))
        response(f"{LIVE}/fa/news/{articles[0].news_code}", b"", "301 Moved Permanently")
        response("https://example.com/fa/news/123/x", b"<html>elsewhere</html>")
        response(LIVE + "/", b"<html><body>home</body></html>")
        error = b'<html><body><div class="error_page">\xd8\xb5</div></body></html>'
        response(f"{LIVE}/fa/news/999999999", error)
    return {a.news_code: a for a in articles}


def test_a_warcio_archive_and_its_wacz_reparse_into_the_right_records(tmp_path: Path) -> None:
    corpus = Corpus(60, seed=3)
    archive = tmp_path / "captures.warc.gz"
    truth = _warcio_archive(archive, corpus)
    wacz = tmp_path / "captures.wacz"
    with zipfile.ZipFile(wacz, "w") as package:
        package.write(archive, "archive/captures.warc.gz")
        package.writestr("datapackage.json", "{}")
    for path in (archive, wacz):
        result = run_reparse(
            tmp_path / path.suffix[1:], str(path), "--database-url", "", base_url=LIVE
        )
        assert result.returncode == 0, result.log
        _match_truth(result.items, truth, LIVE)
        inside = "/archive/captures.warc.gz" if path == wacz else ""
        named = f"{path.name}{inside}#"
        assert all(item["archive_record"].startswith(named) for item in result.items)
        stats = result.stats
        assert stats["mizan/reparse/skipped/not_article_url"] == 2  # offsite, home page
        assert stats["mizan/reparse/skipped/http_301"] == 1
        assert stats["mizan/reparse/records/request"] == 1
        assert stats["mizan/skipped/cms_error_page"] == 1
        assert f"fa/news/999999999 ({tmp_path}/{named}" in result.log  # said where


def test_a_torn_last_record_is_reported_and_the_records_before_it_are_read(tmp_path: Path) -> None:
    files = WarcFiles(tmp_path, 10**9, {})
    builder = files.builder()
    offsets = []
    for number in range(3):
        http = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        body = io.BytesIO(os.urandom(5000) + b"%d" % number)
        url = f"{LIVE}/fa/news/{number + 1}"
        record = builder.create_warc_record(url, "response", payload=body, http_headers=http)
        offsets.append(files.append([record]).offsets[0])
    files.close()
    (name,) = files.names
    whole = (tmp_path / name).read_bytes()
    last = offsets[-1]
    for cut in (last + 1, last + 60, last + 1500, len(whole) - 100):  # headers, body, its end
        torn = tmp_path / f"torn-{cut}.warc.gz"
        torn.write_bytes(whole[:cut])
        entries = list(read_archive(torn))
        captures = [e for e in entries if isinstance(e, Capture)]
        problems = [e for e in entries if isinstance(e, Problem)]
        assert [c.url for c in captures] == [f"{LIVE}/fa/news/1", f"{LIVE}/fa/news/2"]
        assert len(problems) == 1 and problems[0].torn, problems
        assert problems[0].where.endswith(f"#{last}")
    # A new writer never appends to a file it finds: it starts its own.
    again = WarcFiles(tmp_path, 10**9, {})
    again.append([builder.create_warc_record(f"{LIVE}/", "resource", payload=io.BytesIO(b"x"))])
    again.close()
    assert again.names[0] != name and (tmp_path / name).read_bytes() == whole


def test_sigkill_then_another_crawl_then_reparse_loses_and_duplicates_nothing(
    replica: ReplicaServer, tmp_path: Path
) -> None:
    codes = [a.news_code for a in replica.corpus if not a.withdrawn][120:200]
    urls = "urls=" + ",".join(map(str, codes))
    database = tmp_path / "data" / "mizan.sqlite"
    running = start_crawl(
        "article",
        replica.base_url,
        tmp_path,
        urls,
        settings={"MIZAN_STORE_BATCH": "5", "DOWNLOAD_DELAY": "0.05"},
    )
    wait_for(lambda: sqlite_rows(database) >= 10, "a first store batch")
    os.kill(running.process.pid, signal.SIGKILL)
    assert running.wait().returncode == -signal.SIGKILL
    assert sqlite_rows(database) < len(codes), "the crawl was not cut short"
    second = run_crawl(
        "article", replica.base_url, tmp_path, urls, settings={"MIZAN_ARCHIVE_FILE_BYTES": "40000"}
    )
    assert second.returncode == 0, second.log
    assert len(list((tmp_path / "data" / "archive").glob("*.warc.gz"))) >= 3  # rolled files
    crawled = _rows(database)
    assert sorted(crawled) == sorted(codes)
    result = run_reparse(
        tmp_path / "reparse",
        str(tmp_path / "data" / "archive"),
        "--database-url",
        f"sqlite:///{tmp_path / 'reparsed.sqlite'}",
        base_url=replica.base_url,
    )
    assert result.returncode == 0, result.log
    assert "log_count/ERROR" not in result.stats, result.log
    reparsed = _rows(tmp_path / "reparsed.sqlite")
    # A page the killed run fetched but did not store is in both runs' archives: the earlier
    # capture is the row (the later one is the same page, unchanged); the rest is identical.
    when = ("crawled_at", "archive_record")
    assert {c: {k: v for k, v in r.items() if k not in when} for c, r in reparsed.items()} == {
        c: {k: v for k, v in r.items() if k not in when} for c, r in crawled.items()
    }
    for code, row in reparsed.items():
        assert (
            news_code_from_url(_record_at(tmp_path / "data" / "archive", row["archive_record"])[1])
            == code
        )
    assert not _revised_codes(tmp_path / "reparsed.sqlite")  # nothing twice
    stats = result.stats
    assert stats["mizan/store/new"] == len(codes)
    assert "mizan/store/updated" not in stats and "mizan/store/older" not in stats
    assert stats["item_scraped_count"] == len(codes) + stats.get("mizan/store/unchanged", 0)
