"""Scrapy settings for mizan-crawler: static defaults; addresses and secrets come from the environment.

Every change from a Scrapy default says why. Override any of them with ``-s NAME=VALUE``.
"""

from __future__ import annotations

import os

from mizan_crawler import __version__

BOT_NAME = "mizan_crawler"
SPIDER_MODULES = ["mizan_crawler.spiders"]
NEWSPIDER_MODULE = "mizan_crawler.spiders"

# The site to crawl; tests and demos point it at the local replica.
MIZAN_BASE_URL = os.environ.get("MIZAN_BASE_URL", "https://www.mizanonline.ir")

# Say who we are and where to read about us, so the site's operators can tell a research crawler
# from an attack (Scrapy's default names only Scrapy).
USER_AGENT = os.environ.get(
    "MIZAN_USER_AGENT",
    f"mizan-crawler/{__version__} (+https://pypi.org/project/mizan-crawler/)",
)

# Politeness: robots.txt honoured, one request at a time per host, a few seconds apart.
ROBOTSTXT_OBEY = True  # Scrapy's default is False; the site's robots.txt is its stated wish
CONCURRENT_REQUESTS = 8  # Scrapy's 16 is for many hosts; we crawl one site
CONCURRENT_REQUESTS_PER_DOMAIN = 1  # Scrapy's 8 would hit a news site like a reader never does
DOWNLOAD_DELAY = 2.0  # Scrapy sends at once; 2 s apart (randomised 0.5-1.5x) spares the site
DOWNLOAD_TIMEOUT = 30  # Scrapy's 180 s would stall a scheduled run on one hung page.
# AutoThrottle slows down further when the site answers slowly (off in Scrapy by default).
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = DOWNLOAD_DELAY  # Scrapy's 5 s; start at our own delay (also its floor)
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0  # Scrapy's default, stated: aim at one request at a time

# Retries wait before being re-sent (Scrapy re-sends at once): Retry-After when the site gives
# one, else exponential back-off. 429/503 pause the whole crawl; after too many refusals in a row
# (403/429/503) the crawl stops with reason site_refusing. RETRY_HTTP_CODES stays Scrapy's.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "mizan_crawler.middlewares.PoliteRetryMiddleware": 550,
}
RETRY_TIMES = 3  # Scrapy's 2; with waits in between, one more try rides out a short outage
MIZAN_BACKOFF_BASE = 5.0  # seconds before the first retry without Retry-After, doubling each time
MIZAN_BACKOFF_MAX = 300.0  # never wait longer than this before one retry, whatever Retry-After asks
MIZAN_MAX_REFUSALS = 20  # refusals (403/429/503) in a row that stop the crawl; 0 never stops

# Persian text as UTF-8 in JSON feeds, not \u escapes.
FEED_EXPORT_ENCODING = "utf-8"

# Pages over 20 MB are not articles; refuse them rather than hold them in memory.
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024

TELNETCONSOLE_ENABLED = False  # open ports nobody uses
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = os.environ.get("MIZAN_LOG_LEVEL", "INFO")

# Final stats as JSON for schedulers and tests: set MIZAN_STATS_FILE (env or -s) to a path.
MIZAN_STATS_FILE = os.environ.get("MIZAN_STATS_FILE", "")
EXTENSIONS = {"mizan_crawler.extensions.StatsFile": 500, "mizan_crawler.extensions.Progress": 500}

# A page yields one article: Scrapy's 100 parallel item workers per response cost more (task
# set-up for every page) than they give.
CONCURRENT_ITEMS = 4

# Pipelines, one job each: normalise, validate, deduplicate, store.
ITEM_PIPELINES = {
    "mizan_crawler.pipelines.normalize.NormalizePipeline": 100,
    "mizan_crawler.pipelines.validate.ValidatePipeline": 200,
    "mizan_crawler.pipelines.dedupe.DeduplicatePipeline": 300,
    "mizan_crawler.pipelines.store.StorePipeline": 400,
}
# The store: SQLite by default (no server); postgresql://user:pass@host:port/db for teams.
# An empty DATABASE_URL turns the store off (files only).
DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:///data/mizan.sqlite")
MIZAN_STORE_BATCH = 100  # items per transaction
MIZAN_STORE_FLUSH_SECONDS = 5.0  # never hold an item longer than this (checked as items arrive)
MIZAN_SPOOL_DIR = os.environ.get(
    "MIZAN_SPOOL_DIR", "data/spool"
)  # items kept while the store is away

# Files: JSONL/CSV/JSON from Scrapy, Parquet and Excel-friendly CSV (UTF-8 with BOM) from us.
FEED_EXPORTERS = {
    "csv": "mizan_crawler.exporters.CsvExporter",
    "csvbom": "mizan_crawler.exporters.CsvBomExporter",
    "parquet": "mizan_crawler.exporters.ParquetExporter",
}

# One fetch per news code: every URL form of an article has the same request fingerprint.
REQUEST_FINGERPRINTER_CLASS = "mizan_crawler.fingerprints.NewsCodeFingerprinter"

# Discovery: how far the `news` spider pages back.
MIZAN_NEWS_MARGIN_HOURS = 6.0  # re-read this far behind the newest stored article (late listings)
MIZAN_NEWS_HORIZON_HOURS = 48.0  # on an empty store, this far behind the newest article listed
MIZAN_NEWS_MAX_PAGES = 300  # never page further back than this in one run
# Backfill: the Jalali (or Gregorian) month in a sitemap-archive urlset's URL, when it has one.
MIZAN_SITEMAP_MONTH_PATTERN = r"[?&]y=(?P<year>\d{4})&m=(?P<month>\d{1,2})"

# Monitoring: Spidermon checks every crawl when it closes (see mizan_crawler/monitoring).
COMMANDS_MODULE = "mizan_crawler.commands"  # `crawl` exits non-zero when a check fails
SPIDERMON_ENABLED = True
# Spidermon before the summary and the stats file, which report the monitors' verdict.
EXTENSIONS["spidermon.contrib.scrapy.extensions.Spidermon"] = 400
EXTENSIONS["mizan_crawler.monitoring.summary.CrawlSummary"] = 800
EXTENSIONS["mizan_crawler.extensions.StatsFile"] = 900
SPIDER_MIDDLEWARES = {"mizan_crawler.monitoring.coverage.CoverageMiddleware": 900}
ITEM_PIPELINES["spidermon.contrib.scrapy.pipelines.ItemValidationPipeline"] = 150
SPIDERMON_VALIDATION_SCHEMAS = ["mizan_crawler.schema.ARTICLE_SCHEMA"]
SPIDERMON_SPIDER_CLOSE_MONITORS = ("mizan_crawler.monitoring.monitors.CloseMonitorSuite",)
SPIDERMON_EXPECTED_FINISH_REASONS = ["finished"]
SPIDERMON_MAX_ERRORS = int(os.environ.get("MIZAN_MAX_ERRORS", "10"))
SPIDERMON_MAX_RETRIES = int(os.environ.get("MIZAN_MAX_RETRIES", "100"))
SPIDERMON_UNWANTED_HTTP_CODES = {429: int(os.environ.get("MIZAN_MAX_429", "20"))}
SPIDERMON_MAX_ITEM_VALIDATION_ERRORS = 0
MIZAN_MIN_BODY_COVERAGE = 0.95  # news items with a body
MIZAN_MIN_ITEM_RATIO = 0.9  # articles stored (or rightly absent) of those requested
# Notifications of a failed crawl, when configured in the environment.
SPIDERMON_TELEGRAM_SENDER_TOKEN = os.environ.get("SPIDERMON_TELEGRAM_SENDER_TOKEN", "")
SPIDERMON_TELEGRAM_RECIPIENTS = [
    r for r in os.environ.get("SPIDERMON_TELEGRAM_RECIPIENTS", "").split(",") if r
]
SPIDERMON_SLACK_SENDER_TOKEN = os.environ.get("SPIDERMON_SLACK_SENDER_TOKEN", "")
SPIDERMON_SLACK_SENDER_NAME = os.environ.get("SPIDERMON_SLACK_SENDER_NAME", "mizan-crawler")
SPIDERMON_SLACK_RECIPIENTS = [
    r for r in os.environ.get("SPIDERMON_SLACK_RECIPIENTS", "").split(",") if r
]
