"""One crawl over many machines: the request queue and the duplicate filter in Redis.

With ``MIZAN_REDIS_URL`` set, ``DistributedCrawlAddon`` (in ``ADDONS``) makes every
``mizan-crawler crawl SPIDER -a ...`` a worker of the crawl that command stands for (the site, the
spider and its arguments): the first worker discovers, every worker fetches articles from the
shared queue, each article is fetched once, all workers together keep to one request rate for
the site, and the crawl survives stopped and killed workers.

    keys.py         crawl keys, worker ids, the Redis client (short timeouts)
    coordinator.py  the shared state and its atomic Lua steps
    scheduler.py    the scheduler: shared article requests, local discovery requests
    worker.py       the extension: join, heartbeat, stay open until the crawl is complete, leave
    discovery.py    the spider middleware: one worker runs start()
    pipeline.py     the store pipeline that reports which articles are stored
    rate.py         the download handler that keeps all workers to one request rate for the site
    status.py       what ``mizan-crawler status`` prints
"""

from __future__ import annotations

from .addon import DistributedCrawlAddon

__all__ = ["DistributedCrawlAddon"]
