"""Crawls configured with passwords (PostgreSQL and Redis, in the user-info and in the query
string, by ``-s`` and by the environment): the crawl works, and no password is in its log, its
stats file, ``stats``, ``status``, the exported files, the dataset card or the coverage report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mizan_crawler.cli import main as cli_main
from mizan_crawler.replica import Corpus, ReplicaServer

from .crawling import run_crawl
from .servers import private_redis

# Distinctive, so that a search for them finds nothing by chance.
PG_PASSWORD = "S3cr3t-Zx9q"
PG_QUERY_PASSWORD = "Qu3ry-Pw7k"
REDIS_PASSWORD = "R3d1s-Vb4m"
AWS_SECRET = "Aws-K3y-Tn8r"
SECRETS = (PG_PASSWORD, PG_QUERY_PASSWORD, REDIS_PASSWORD, AWS_SECRET)


@pytest.fixture(scope="module")
def small_site() -> Iterator[ReplicaServer]:
    with ReplicaServer(Corpus(60, seed=3)) as server:
        yield server


def _with_passwords(pg_url: str) -> str:
    """The test database, with a password in the user-info and another in the query string (the
    server trusts local connections, so libpq's use of either is accepted)."""
    with_userinfo = pg_url.replace(
        "postgresql://postgres@", f"postgresql://postgres:{PG_PASSWORD}@"
    )
    assert with_userinfo != pg_url
    return f"{with_userinfo}?sslmode=disable&password={PG_QUERY_PASSWORD}"


def _command_output(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    cli_main(list(argv))
    captured = capsys.readouterr()
    return captured.out + captured.err


@pytest.mark.parametrize("given_by", ["settings", "environment"])
def test_no_password_in_any_output_of_a_crawl(
    given_by: str,
    *,
    small_site: ReplicaServer,
    pg_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database_url = _with_passwords(pg_url)
    # Redis refuses clients without the password, so a working crawl proves it was passed on.
    with private_redis(password=REDIS_PASSWORD) as redis_server:
        if given_by == "settings":
            redis_url = redis_server.url  # redis://:PASSWORD@host:port/0
        else:
            redis_url = f"redis://{redis_server.address}?password={REDIS_PASSWORD}"
        configured = {"DATABASE_URL": database_url, "MIZAN_REDIS_URL": redis_url}
        crawl = tmp_path / "crawl"
        result = run_crawl(
            "news",
            small_site.base_url,
            crawl,
            settings=configured if given_by == "settings" else None,
            env=configured if given_by == "environment" else None,
        )
        assert result.returncode == 0, result.log
        assert result.stats.get("mizan/store/new", 0) > 0, result.log
        assert result.stats.get("mizan/distributed/run") == "new", result.log

        if given_by == "environment":
            monkeypatch.setenv("DATABASE_URL", database_url)
            monkeypatch.setenv("MIZAN_REDIS_URL", redis_url)
            store_option: list[str] = []
            redis_option: list[str] = []
        else:
            store_option = ["--database-url", database_url]
            redis_option = ["--redis-url", redis_url]
        dataset = tmp_path / "dataset"
        shown = {
            "crawl log": result.log,
            "stats file": (crawl / "stats.json").read_text("utf-8"),
            "stats": _command_output(capsys, "stats", *store_option),
            "export jsonl": _command_output(
                capsys, "export", *store_option, "--format", "jsonl", "--out", str(dataset)
            ),
            "export parquet": _command_output(
                capsys, "export", *store_option, "--format", "parquet", "--out", str(dataset)
            ),
            "coverage": _command_output(capsys, "coverage", *store_option, "--out", str(dataset)),
            "status": _command_output(capsys, "status", *redis_option),
        }
    for path in sorted(dataset.iterdir()):
        shown[f"exported {path.name}"] = path.read_bytes().decode("utf-8", "replace")
    assert {"exported README.md", "exported articles.jsonl", "exported articles.parquet"} <= set(
        shown
    )
    for where, text in shown.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret} in the {where}"

    # What is shown still says where: the addresses with their passwords masked.
    shown_store = database_url.replace(PG_PASSWORD, "***").replace(PG_QUERY_PASSWORD, "***")
    assert f"Storing articles in {shown_store}" in result.log
    assert f"store: {shown_store}" in shown["stats"]
    assert shown_store in shown["exported README.md"]
    assert f"Store `{shown_store}`" in shown["exported coverage.md"]
    shown_redis = redis_url.replace(REDIS_PASSWORD, "***")
    assert f"in Redis at {shown_redis}" in result.log
    assert f"Shared crawls in Redis at {shown_redis}" in shown["status"]
    assert "crawl news:" in shown["status"]


def test_no_password_in_the_log_of_a_crawl_whose_servers_are_down(
    small_site: ReplicaServer, tmp_path: Path
) -> None:
    """The error path, where the drivers' own messages about the failed connections are shown,
    and Scrapy's own log of the settings."""
    result = run_crawl(
        "article",
        small_site.base_url,
        tmp_path,
        "urls=1",
        settings={
            "MIZAN_STORE_CLOSE_RETRY_SECONDS": "0",
            "MIZAN_REDIS_TIMEOUT": "1",
            # A Scrapy setting: Scrapy itself logs its value among the "Overridden settings".
            "AWS_SECRET_ACCESS_KEY": AWS_SECRET,
        },
        env={
            "DATABASE_URL": (
                f"postgresql://postgres:{PG_PASSWORD}@127.0.0.1:1/none?password={PG_QUERY_PASSWORD}"
            ),
            "MIZAN_REDIS_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:1/0",
        },
    )
    assert result.returncode != 0
    assert "cannot connect to postgresql://postgres:***@127.0.0.1:1/none?password=***" in (
        result.log
    )
    assert "Redis at redis://:***@127.0.0.1:1/0 is unreachable" in result.log
    assert "'AWS_SECRET_ACCESS_KEY': '***'" in result.log
    stats_file = (tmp_path / "stats.json").read_text("utf-8")
    for secret in SECRETS:
        assert secret not in result.log
        assert secret not in stats_file
