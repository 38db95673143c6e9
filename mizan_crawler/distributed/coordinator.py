"""The shared crawl's state in Redis, changed only by small Lua scripts, each one atomic step.

A *run* of a crawl key lasts from the first worker that joins until the last one leaves with
nothing left to do. Within a run:

- ``requests`` is the shared queue; ``dupefilter`` holds the fingerprint of every request ever
  queued, added in the same step as the push, so a fingerprint in the filter always belongs to a
  request that is queued, taken by a worker, or settled;
- a worker *takes* a request by moving it, in one step, from the queue into its ``pending:{id}``
  hash, and *settles* it when its article is in the store (or when the worker is idle and its
  store has everything): a worker killed at any moment leaves its unsettled requests in its
  pending hash, and the first live worker to see its heartbeat key expired puts them back in the
  queue;
- the ``discovery`` lock (with a TTL, refreshed by the holder's heartbeat) lets one worker run the
  spider's ``start()``; the ``discovered`` flag is set when that worker is idle, i.e. when every
  request of its discovery has been handled;
- the run is complete when discovery is done, the queue is empty and no other worker has pending
  requests. The last worker to leave a complete run clears it, so the next run of the same command
  discovers afresh.

Every script checks the run id first: if Redis was flushed or restarted (or the run was cleared),
the worker gets ``CrawlStateLost`` instead of silently starting a new, half-empty crawl.
Keys are built inside the scripts from the crawl's base key, so this needs a single Redis server
(or a primary), not Redis Cluster.
"""

from __future__ import annotations

import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import redis

from .keys import CrawlKey

logger = logging.getLogger(__name__)
T = TypeVar("T")

STATE_LOST = "MIZAN_STATE_LOST"

_PRELUDE = """
local base = KEYS[1]
local meta = base .. ':meta'
local workers = base .. ':workers'
local queue = base .. ':requests'
local lock = base .. ':discovery'
local function lost(run)
  return redis.call('HGET', meta, 'run') ~= run or redis.call('HGET', meta, 'state') ~= 'running'
end
local function requeue(wid)
  local pending = base .. ':pending:' .. wid
  local moved = 0
  for _, data in ipairs(redis.call('HVALS', pending)) do
    redis.call('ZADD', queue, 0, data)
    moved = moved + 1
  end
  redis.call('DEL', pending)
  return moved
end
local function busy(wid)
  return redis.call('EXISTS', base .. ':worker:' .. wid) == 1
    or redis.call('EXISTS', base .. ':pending:' .. wid) == 1
end
"""

# ARGV: worker, run, now, ttl_ms, info, spider, arguments. A run that is over, or whose last
# worker died after finishing everything, is replaced by a new one.
_JOIN = """
local fresh = redis.call('HGET', meta, 'state') ~= 'running'
if not fresh and redis.call('HGET', meta, 'discovered') == '1' and redis.call('ZCARD', queue) == 0 then
  fresh = true
  for _, wid in ipairs(redis.call('SMEMBERS', workers)) do
    if busy(wid) then fresh = false end
  end
end
if fresh then
  for _, wid in ipairs(redis.call('SMEMBERS', workers)) do
    redis.call('DEL', base .. ':pending:' .. wid, base .. ':worker:' .. wid)
  end
  redis.call('DEL', meta, workers, queue, base .. ':dupefilter', lock)
  redis.call('HSET', meta, 'run', ARGV[2], 'state', 'running', 'started_at', ARGV[3],
    'spider', ARGV[6], 'arguments', ARGV[7], 'discovered', '0', 'stored', '0')
end
redis.call('SADD', workers, ARGV[1])
redis.call('SET', base .. ':worker:' .. ARGV[1], ARGV[5], 'PX', ARGV[4])
return {fresh and 'new' or 'resumed', redis.call('HGET', meta, 'run')}
"""

# ARGV: run, worker, ttl_ms.
_TAKE_DISCOVERY = """
if lost(ARGV[1]) then return redis.error_reply('MIZAN_STATE_LOST') end
if redis.call('HGET', meta, 'discovered') == '1' then return 'done' end
if redis.call('SET', lock, ARGV[2], 'NX', 'PX', ARGV[3]) then return 'mine' end
if redis.call('GET', lock) == ARGV[2] then
  redis.call('PEXPIRE', lock, ARGV[3])
  return 'mine'
end
return 'wait'
"""

# ARGV: run, worker. Only the holder of the lock can say discovery is done.
_DISCOVERED = """
if lost(ARGV[1]) then return redis.error_reply('MIZAN_STATE_LOST') end
if redis.call('GET', lock) ~= ARGV[2] then return 0 end
redis.call('HSET', meta, 'discovered', '1')
redis.call('DEL', lock)
return 1
"""

# ARGV: run, worker, ttl_ms, info. Also queues again what silent workers had taken.
_HEARTBEAT = """
if lost(ARGV[1]) then return redis.error_reply('MIZAN_STATE_LOST') end
redis.call('SET', base .. ':worker:' .. ARGV[2], ARGV[4], 'PX', ARGV[3])
redis.call('SADD', workers, ARGV[2])
if redis.call('GET', lock) == ARGV[2] then redis.call('PEXPIRE', lock, ARGV[3]) end
local gone, moved = {}, 0
for _, wid in ipairs(redis.call('SMEMBERS', workers)) do
  if redis.call('EXISTS', base .. ':worker:' .. wid) == 0 then
    moved = moved + requeue(wid)
    redis.call('SREM', workers, wid)
    table.insert(gone, wid)
  end
end
return {moved, gone}
"""

# ARGV: run, fingerprint ('' for dont_filter), score, request.
_PUSH = """
if lost(ARGV[1]) then return redis.error_reply('MIZAN_STATE_LOST') end
if ARGV[2] ~= '' and redis.call('SADD', base .. ':dupefilter', ARGV[2]) == 0 then return 0 end
redis.call('ZADD', queue, ARGV[3], ARGV[4])
return 1
"""

# ARGV: run, worker. The request moves from the queue into the worker's pending hash.
_POP = """
if lost(ARGV[1]) then return redis.error_reply('MIZAN_STATE_LOST') end
local popped = redis.call('ZPOPMIN', queue)
if #popped == 0 then return false end
redis.call('HSET', base .. ':pending:' .. ARGV[2], redis.sha1hex(popped[1]), popped[1])
return popped[1]
"""

# ARGV: run, worker, items stored, pending fields settled. With '*' before the fields: the worker
# is idle and has handled those; anything else pending is a request whose reply never reached it
# (lost in a Redis outage), queued again. Returns how many were queued again.
_SETTLE = """
if lost(ARGV[1]) then return redis.error_reply('MIZAN_STATE_LOST') end
local pending = base .. ':pending:' .. ARGV[2]
local first = ARGV[4] == '*' and 5 or 4
for i = first, #ARGV do redis.call('HDEL', pending, ARGV[i]) end
if ARGV[3] ~= '0' then redis.call('HINCRBY', meta, 'stored', ARGV[3]) end
if first == 5 then return requeue(ARGV[2]) end
return 0
"""

# ARGV: run, worker.
_COMPLETION = """
if lost(ARGV[1]) then return redis.error_reply('MIZAN_STATE_LOST') end
if redis.call('HGET', meta, 'discovered') ~= '1' then return 'discovering' end
if redis.call('ZCARD', queue) > 0 then return 'queued' end
for _, wid in ipairs(redis.call('SMEMBERS', workers)) do
  if wid ~= ARGV[2] and redis.call('EXISTS', base .. ':pending:' .. wid) == 1 then return 'busy' end
end
return 'done'
"""

# ARGV: run, worker, requeue (1: put own pending back), finished (1), now, seconds to keep meta.
_LEAVE = """
if lost(ARGV[1]) then return 'lost' end
if ARGV[3] == '1' then requeue(ARGV[2]) end
redis.call('DEL', base .. ':pending:' .. ARGV[2], base .. ':worker:' .. ARGV[2])
redis.call('SREM', workers, ARGV[2])
if redis.call('GET', lock) == ARGV[2] then redis.call('DEL', lock) end
if ARGV[4] ~= '1' or redis.call('HGET', meta, 'discovered') ~= '1'
    or redis.call('ZCARD', queue) > 0 then
  return 'left'
end
for _, wid in ipairs(redis.call('SMEMBERS', workers)) do
  if busy(wid) then return 'left' end
end
redis.call('HSET', meta, 'state', 'finished', 'finished_at', ARGV[5],
  'seen', redis.call('SCARD', base .. ':dupefilter'))
redis.call('DEL', workers, queue, base .. ':dupefilter')
redis.call('EXPIRE', meta, ARGV[6])
return 'finished'
"""


class CrawlStateLost(redis.RedisError):
    """The run's keys are gone from Redis (flushed, restarted, or cleared by another worker)."""


@dataclass(frozen=True)
class Taken:
    """A request taken from the shared queue, and its field in the worker's pending hash."""

    data: bytes
    field: str


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class Coordinator:
    """One worker's view of one shared crawl: every method is one atomic script call.

    Raises ``redis.RedisError`` (``ConnectionError``, ``TimeoutError``) when Redis does not answer,
    and ``CrawlStateLost`` when the run's state has disappeared.
    """

    def __init__(
        self,
        client: redis.Redis,
        key: CrawlKey,
        worker_id: str,
        worker_timeout: float,
        *,
        patience: float = 0.0,
        where: str = "Redis",
    ) -> None:
        self.client = client
        self.key = key
        self.worker_id = worker_id
        self.ttl_ms = max(1, int(worker_timeout * 1000))
        self.patience = patience  # seconds to wait for Redis to answer again
        self.where = where  # "Redis at <url without password>", for messages
        self.run = ""
        self._scripts = {
            name: client.register_script(_PRELUDE + body)
            for name, body in (
                ("join", _JOIN), ("take_discovery", _TAKE_DISCOVERY),
                ("discovered", _DISCOVERED), ("heartbeat", _HEARTBEAT), ("push", _PUSH),
                ("pop", _POP), ("settle", _SETTLE), ("completion", _COMPLETION),
                ("leave", _LEAVE),
            )
        }  # fmt: skip

    def _call(self, name: str, *args: Any) -> Any:
        return self._patiently(lambda: self._script(name, *args))

    def _script(self, name: str, *args: Any) -> Any:
        try:
            return self._scripts[name](keys=[self.key.base], args=[self.run, *args])
        except redis.ResponseError as error:
            if STATE_LOST in str(error):
                raise CrawlStateLost(
                    f"the state of crawl {self.key.name} is gone from Redis"
                ) from None
            raise

    def _patiently(self, command: Callable[[], T]) -> T:
        """``command()``; while Redis does not answer (restarting, loading its data, the network
        away), try again with growing pauses for up to ``patience`` seconds, then give up with
        the last error. A restart is survived; the state persists if Redis keeps its data."""
        started = None
        pause = 0.05
        while True:
            try:
                result = command()
            except (redis.ConnectionError, redis.TimeoutError) as error:
                now = time.monotonic()
                if started is None:
                    started = now
                    if self.patience > 0:
                        logger.warning(
                            "%s is not answering (%s); waiting up to %g s for it",
                            self.where, " ".join(str(error).split()), self.patience,
                        )  # fmt: skip
                if now + pause - started > self.patience:
                    raise
                time.sleep(pause)
                pause = min(pause * 2, 1.0)
                continue
            if started is not None:
                logger.info("%s answers again after %.1f s", self.where, time.monotonic() - started)
            return result

    # Joining and leaving ------------------------------------------------------------------------

    def join(self, spider: str, arguments: str, info: str) -> str:
        """Register this worker; ``"new"`` when it starts a run, ``"resumed"`` when it joins one."""
        script = self._scripts["join"]
        outcome, run = script(
            keys=[self.key.base],
            args=[self.worker_id, uuid.uuid4().hex, _now(), self.ttl_ms, info, spider, arguments],
        )
        self.run = _text(run)
        return _text(outcome)

    def leave(self, requeue: bool, finished: bool, keep_seconds: int) -> str:
        """Deregister; ``"finished"`` when this worker was the last of a complete run (cleared)."""
        flags = ("1" if requeue else "0", "1" if finished else "0")
        return _text(self._call("leave", self.worker_id, *flags, _now(), keep_seconds))

    def heartbeat(self, info: str) -> tuple[int, list[str]]:
        """Say this worker is alive; returns the requests queued again from workers found silent,
        and those workers."""
        moved, gone = self._call("heartbeat", self.worker_id, self.ttl_ms, info)
        return int(moved), [_text(worker) for worker in gone]

    # Discovery ----------------------------------------------------------------------------------

    def take_discovery(self) -> str:
        """``"mine"`` (this worker runs discovery), ``"wait"`` (another one does) or ``"done"``."""
        return _text(self._call("take_discovery", self.worker_id, self.ttl_ms))

    def discovery_done(self) -> bool:
        """Mark discovery done (only the lock holder can); whether it was marked."""
        return bool(self._call("discovered", self.worker_id))

    # Requests -----------------------------------------------------------------------------------

    def push(self, fingerprint: str | None, score: int, data: bytes) -> bool:
        """Queue a request unless its fingerprint was seen in this run (``None``: never filter)."""
        return bool(self._call("push", fingerprint or "", score, data))

    def pop(self) -> Taken | None:
        """Take the next request into this worker's pending hash."""
        data = self._call("pop", self.worker_id)
        if data is None:
            return None
        return Taken(data, hashlib.sha1(data, usedforsecurity=False).hexdigest())

    def settle(self, fields: list[str], stored: int = 0) -> None:
        """Forget pending requests whose outcome is safe (their articles are in the store)."""
        if fields or stored:
            self._call("settle", self.worker_id, stored, *fields)

    def settle_all(self, handled: Iterable[str]) -> int:
        """This worker is idle and its store holds everything: forget the pending requests it
        ``handled``, queue again any other (one it took but never received, its reply lost in a
        Redis outage); returns how many were queued again."""
        return int(self._call("settle", self.worker_id, 0, "*", *handled))

    def completion(self) -> str:
        """``"done"``, or what the run still waits for: ``"discovering"``, ``"queued"``,
        ``"busy"`` (another worker has requests in hand)."""
        return _text(self._call("completion", self.worker_id))

    def queued(self) -> int:
        """Requests waiting in the shared queue."""
        return int(self._patiently(lambda: self.client.zcard(self.key.requests)))
