"""A local replica of mizanonline.ir for tests, demos and benchmarks.

It serves a deterministic corpus of articles in the live site's templates over real HTTP on
127.0.0.1 (article pages in every URL form, listings, the archive, RSS, sitemaps, robots.txt),
answers for its ground truth, and keeps a clock, so a crawl can be checked against what exists
and a test can make news appear between two crawls.
"""

from __future__ import annotations

from .corpus import Corpus, ReplicaArticle, lastmod
from .server import ReplicaServer, Reply
from .shortlinks import short_link

__all__ = ["Corpus", "ReplicaArticle", "ReplicaServer", "Reply", "lastmod", "short_link"]
