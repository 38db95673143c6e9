"""Fault injection for the replica's article pages: server errors, 429s with Retry-After,
truncated and slow answers, and pages whose template is broken.

Transient faults hit an article's first attempts only (decided from the seed, the news code and
the attempt number), so a crawl that retries gets every good article in the end; a broken
template is permanent, as a broken page on the live site would be.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

ERROR_STATUSES = (500, 502, 503)


@dataclass(frozen=True)
class FaultPlan:
    """Shares (0-1) of article requests answered with each fault."""

    errors: float = 0.0  # 500, 502 or 503
    too_many: float = 0.0  # 429 with Retry-After
    truncated: float = 0.0  # the connection closes half-way through the body
    slow: float = 0.0  # the answer waits ``slow_seconds`` first
    broken: float = 0.0  # share of *articles* whose template is broken for good
    slow_seconds: float = 3.0
    retry_after: int = 1
    transient_attempts: int = 2  # attempts that may fail; the next always succeeds

    def fault(self, seed: int, news_code: int, attempt: int) -> str | None:
        """The fault for this attempt at an article: error, too_many, truncated, slow or None."""
        if attempt >= self.transient_attempts:
            return None
        roll = random.Random(f"{seed}:{news_code}:{attempt}:fault").random()
        for name in ("errors", "too_many", "truncated", "slow"):
            share = getattr(self, name)
            if roll < share:
                return name
            roll -= share
        return None

    def is_broken(self, seed: int, news_code: int) -> bool:
        """Whether this article's page is served with a broken template, every time."""
        return random.Random(f"{seed}:{news_code}:broken").random() < self.broken

    def error_status(self, seed: int, news_code: int, attempt: int) -> int:
        return random.Random(f"{seed}:{news_code}:{attempt}:status").choice(ERROR_STATUSES)
