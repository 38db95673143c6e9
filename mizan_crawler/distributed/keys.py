"""Names in Redis and the connection to it: which crawl a worker belongs to, who the worker is,
and a client that gives up quickly instead of hanging."""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import socket
from collections.abc import Mapping
from dataclasses import dataclass

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from ..redaction import redact_text, redact_url, url_secrets


@dataclass(frozen=True)
class CrawlKey:
    """The Redis keys of one shared crawl, all under ``{prefix}:{spider}:{digest}``."""

    prefix: str
    spider: str
    digest: str

    @property
    def name(self) -> str:
        """How operators see the crawl: ``backfill:1a2b3c4d5e``."""
        return f"{self.spider}:{self.digest}"

    @property
    def base(self) -> str:
        return f"{self.prefix}:{self.name}"

    @property
    def meta(self) -> str:
        """Hash: the run's identity and state, whether discovery is done, items stored."""
        return f"{self.base}:meta"

    @property
    def requests(self) -> str:
        """Sorted set: the shared request queue (scrapy-redis's priority queue layout)."""
        return f"{self.base}:requests"

    @property
    def dupefilter(self) -> str:
        """Set: fingerprints of every shared request of the run (an article's is its news code)."""
        return f"{self.base}:dupefilter"

    @property
    def workers(self) -> str:
        """Set: the workers that joined the run and have not left."""
        return f"{self.base}:workers"

    @property
    def discovery(self) -> str:
        """The discovery lock: the worker running the spider's ``start()``, with a TTL."""
        return f"{self.base}:discovery"

    def worker(self, worker_id: str) -> str:
        """The worker's heartbeat key (expires when the worker stops answering)."""
        return f"{self.base}:worker:{worker_id}"

    def pending(self, worker_id: str) -> str:
        """The requests a worker took from the queue and has not settled yet."""
        return f"{self.base}:pending:{worker_id}"


def crawl_key(prefix: str, spider: str, arguments: Mapping[str, str], base_url: str) -> CrawlKey:
    """The crawl that ``mizan-crawler crawl SPIDER -a ...`` against ``base_url`` stands for: workers
    started with the same command share one crawl; another range, source or ``refresh=1`` is
    another crawl."""
    described = json.dumps({"site": base_url, "arguments": dict(sorted(arguments.items()))})
    digest = hashlib.sha1(described.encode(), usedforsecurity=False).hexdigest()[:10]
    return CrawlKey(prefix, spider, digest)


def site_rate_key(prefix: str, base_url: str) -> str:
    """The site's shared next-request moment: one per site (the base URL), not per crawl, so every
    crawl of one site, whatever its spider and arguments, keeps to one rate."""
    site = base_url.strip().rstrip("/").lower()
    digest = hashlib.sha1(site.encode(), usedforsecurity=False).hexdigest()[:10]
    return f"{prefix}:site:{digest}:next_request"


def describe_arguments(arguments: Mapping[str, str]) -> str:
    """``from=2024-06-01 to=2024-06-10``: the spider arguments as given, for logs and ``status``."""
    return " ".join(f"{name}={value}" for name, value in sorted(arguments.items()))


def new_worker_id() -> str:
    """``host:pid:random``: unique, and tells an operator where the worker runs."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"


def redis_client(url: str, timeout: float) -> redis.Redis:
    """A client whose every command (and connection attempt) fails after ``timeout`` seconds,
    retried once on a dropped connection, so an unreachable Redis is an error, never a hang."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 1),
        health_check_interval=30,
    )


def redis_problem(url: str, error: Exception) -> str:
    """One line naming the server (never its password) and what went wrong."""
    detail = " ".join(redact_text(str(error), url_secrets(url)).split()) or type(error).__name__
    return f"Redis at {redact_url(url)} is unreachable ({detail})"
