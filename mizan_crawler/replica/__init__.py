"""A local replica of mizanonline.ir for tests, demos and benchmarks.

It serves a deterministic corpus of articles in the live site's templates over real HTTP on
127.0.0.1, and answers for its ground truth, so a crawl can be checked against what exists.
"""

from __future__ import annotations

from .corpus import Corpus, ReplicaArticle
from .server import ReplicaServer, Reply

__all__ = ["Corpus", "ReplicaArticle", "ReplicaServer", "Reply"]
