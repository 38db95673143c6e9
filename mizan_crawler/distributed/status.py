"""What ``mizan-crawler status`` shows: every shared crawl in Redis, its queue and its workers."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import redis

from ..redaction import redact_url
from .keys import CrawlKey, redis_client

DEFAULT_PREFIX = "mizan"
STATUS_TIMEOUT = 5.0  # seconds; an unreachable Redis is an error, not a hang


@dataclass(frozen=True)
class WorkerSeen:
    """A worker registered in a crawl: alive while its heartbeat key lives."""

    worker_id: str
    holding: int  # requests taken from the queue and not settled yet
    seconds_ago: float | None = None  # since its last heartbeat; None: silent (gone)
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CrawlStatus:
    """One crawl key's state."""

    name: str
    meta: dict[str, str]
    queued: int
    seen: int
    discovering: str | None  # the worker holding the discovery lock
    workers: list[WorkerSeen]

    @property
    def alive(self) -> list[WorkerSeen]:
        return [worker for worker in self.workers if worker.seconds_ago is not None]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def read_crawl(client: redis.Redis, key: CrawlKey) -> CrawlStatus:
    """The state of one crawl key."""
    meta = {_text(k): _text(v) for k, v in client.hgetall(key.meta).items()}
    workers = []
    for raw in sorted(client.smembers(key.workers)):
        worker_id = _text(raw)
        beat, ttl_ms = client.get(key.worker(worker_id)), client.pttl(key.worker(worker_id))
        holding = int(client.hlen(key.pending(worker_id)))
        if beat is None:
            workers.append(WorkerSeen(worker_id, holding))
            continue
        info = json.loads(beat)
        ago = max(0.0, float(info.get("ttl", 0)) - max(ttl_ms, 0) / 1000)
        workers.append(WorkerSeen(worker_id, holding, ago, info))
    holder = client.get(key.discovery)
    return CrawlStatus(
        name=key.name,
        meta=meta,
        queued=int(client.zcard(key.requests)),
        seen=int(client.scard(key.dupefilter) or meta.get("seen", 0)),
        discovering=_text(holder) if holder is not None else None,
        workers=workers,
    )


def crawl_keys(client: redis.Redis, prefix: str, spider: str | None = None) -> list[CrawlKey]:
    """Every crawl key under ``prefix`` (of one spider when given), by name."""
    pattern = f"{_glob_escape(prefix)}:{_glob_escape(spider) if spider else '*'}:*:meta"
    keys = []
    for raw in client.scan_iter(match=pattern, count=500):
        name = _text(raw).removeprefix(prefix + ":").removesuffix(":meta")
        spider_name, _, digest = name.rpartition(":")
        keys.append(CrawlKey(prefix, spider_name, digest))
    return sorted(keys, key=lambda key: key.name)


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def status_report(url: str, prefix: str = DEFAULT_PREFIX, spider: str | None = None) -> str:
    """The text ``mizan-crawler status`` prints (raises ``redis.RedisError`` when unreachable)."""
    client = redis_client(url, STATUS_TIMEOUT)
    try:
        client.ping()
        statuses = [read_crawl(client, key) for key in crawl_keys(client, prefix, spider)]
    finally:
        client.close()
    where = f"in Redis at {redact_url(url)} (prefix {prefix!r})"
    if not statuses:
        return f"No shared crawls{f' of spider {spider}' if spider else ''} {where}"
    return f"Shared crawls {where}:\n\n" + "\n\n".join(format_crawl(status) for status in statuses)


def format_crawl(status: CrawlStatus) -> str:
    """One crawl, one figure a line."""
    meta = status.meta
    lines = [
        f"crawl {status.name}: {meta.get('spider', '?')} {meta.get('arguments', '')}".rstrip(),
        _row("state", _state(status)),
        _row("discovery", _discovery(status)),
        _row("queued requests", status.queued),
        _row("requests in hand", sum(worker.holding for worker in status.workers)),
        _row("seen fingerprints", status.seen),
        _row("items stored", meta.get("stored", 0)),
    ]
    workers = [_worker(worker) for worker in status.workers] or ["none"]
    lines.append(_row("workers", workers[0]))
    lines.extend(_row("", line) for line in workers[1:])
    return "\n".join(lines)


def _row(label: str, value: object) -> str:
    return f"  {label:<18} {value}"


def _state(status: CrawlStatus) -> str:
    meta = status.meta
    if meta.get("state") == "finished":
        return f"finished at {meta.get('finished_at', '?')} (started {meta.get('started_at', '?')})"
    alive = len(status.alive)
    if not alive:
        return (
            f"paused (started {meta.get('started_at', '?')}): no worker running; "
            "run the same crawl command to resume"
        )
    return f"running since {meta.get('started_at', '?')}, {alive} worker{'s' * (alive != 1)}"


def _discovery(status: CrawlStatus) -> str:
    if status.meta.get("discovered") == "1" or status.meta.get("state") == "finished":
        return "done"
    if status.discovering:
        return f"running on {status.discovering}"
    return "not done (the next worker to start discovers)"


def _worker(worker: WorkerSeen) -> str:
    if worker.seconds_ago is None:
        return (
            f"{worker.worker_id}: silent, {worker.holding} requests in hand "
            "(queued again when a live worker notices)"
        )
    info = worker.info
    role = "discovering, " if info.get("discovering") else ""
    return (
        f"{worker.worker_id}: {role}seen {worker.seconds_ago:.1f} s ago, "
        f"{info.get('taken', 0)} requests taken, {info.get('items', 0)} items, "
        f"{worker.holding} in hand"
    )
