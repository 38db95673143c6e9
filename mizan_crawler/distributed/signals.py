"""Signals between the parts of a distributed crawl (sent with ``crawler.signals``)."""

from __future__ import annotations

# Sent by the store pipeline after a batch reached the store: ``codes`` (news codes). The worker
# settles the requests of those articles, which no longer need fetching if it dies.
articles_stored = object()

# Sent by the worker when it is idle or closing; the store pipeline starts writing what it holds
# (in its store thread) and answers ``True`` when everything it was given is in the store
# (nothing buffered, spooled or being written); the worker asks again at its next heartbeat.
store_flush = object()
