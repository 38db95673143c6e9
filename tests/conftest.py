"""Shared fixtures: a replica site on a free loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mizan_crawler.replica import Corpus, ReplicaServer


@pytest.fixture(scope="session")
def replica() -> Iterator[ReplicaServer]:
    """A replica of 300 articles, served over real HTTP for the whole session."""
    with ReplicaServer(Corpus(300, seed=7)) as server:
        yield server
