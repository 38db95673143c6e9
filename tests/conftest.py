"""Shared fixtures: a replica site on a free loopback port, stores on SQLite and PostgreSQL, and
Redis for distributed crawls; at the end of the run, the programs some tests skipped for."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis

from mizan_crawler.replica import Corpus, ReplicaServer

from .programs import pytest_terminal_summary  # noqa: F401 - the hook, registered here

PG_ADMIN_URL = os.environ.get("MIZAN_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def replica() -> Iterator[ReplicaServer]:
    """A replica of 300 articles, served over real HTTP for the whole session."""
    with ReplicaServer(Corpus(300, seed=7)) as server:
        yield server


def _admin() -> psycopg.Connection:
    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI ({PG_ADMIN_URL}): {error}")
        pytest.skip(f"no PostgreSQL at {PG_ADMIN_URL}")


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped at the end)."""
    name = f"mizan_test_{uuid.uuid4().hex[:10]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_url(pg_server_url: str) -> str:
    """The session's PostgreSQL database, emptied for this test."""
    with psycopg.connect(pg_server_url, autocommit=True) as connection:
        connection.execute(
            "DROP TABLE IF EXISTS articles, article_revisions, coverage, short_links, withdrawals, "
            "sitemap_entries, mizan_schema"
        )
    return pg_server_url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs on a new SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return request.getfixturevalue("pg_url")


# A Redis database of its own (15), so tests never touch other data on the shared server; tests
# may flush it, and each test's keys start with a prefix of its own, removed after it.
REDIS_TEST_URL = os.environ.get("MIZAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@dataclass(frozen=True)
class RedisForTest:
    """The test's Redis: where it is, the key prefix of this test, and a client."""

    url: str
    prefix: str
    client: redis.Redis


@pytest.fixture
def redis_crawl() -> Iterator[RedisForTest]:
    """Redis for one distributed-crawl test (skipped without a server, except in CI)."""
    client = redis.Redis.from_url(REDIS_TEST_URL, socket_timeout=5, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI ({REDIS_TEST_URL}): {error}")
        pytest.skip(f"no Redis at {REDIS_TEST_URL}")
    prefix = f"mizan-test-{uuid.uuid4().hex[:10]}"
    yield RedisForTest(REDIS_TEST_URL, prefix, client)
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    client.close()
