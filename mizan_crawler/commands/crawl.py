"""``crawl`` whose exit status says whether the crawl went well.

Scrapy's own ``crawl`` exits 0 whenever the crawler started. Scheduled crawls need to know more:
this one exits 3 when a monitor failed and 2 when the crawl stopped for another reason than
finishing (``store_unavailable``, ``site_refusing`` ...), so cron, systemd or a scheduler notices.
Spider arguments the spider refuses (its ``check_arguments``) are a usage error, exit status 2,
before the crawl starts.
"""

from __future__ import annotations

import argparse
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand

from ..monitoring.status import exit_status


class Command(ScrapyCrawlCommand):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            super().run(args, opts)  # Scrapy's usage errors
            return
        assert self.crawler_process
        crawler = self._create_crawler(args[0])
        check_arguments = getattr(crawler.spidercls, "check_arguments", None)
        if check_arguments is not None:
            check_arguments(opts.spargs)
        self.crawler_process.crawl(crawler, **opts.spargs)
        self.crawler_process.start()
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1
            return
        stats: dict[str, Any] = crawler.stats.get_stats() if crawler.stats else {}
        self.exitcode = exit_status(stats)
