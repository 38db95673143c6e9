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
# (An environment variable set but empty, as an .env file leaves it, counts as unset.)
MIZAN_BASE_URL = os.environ.get("MIZAN_BASE_URL") or "https://www.mizanonline.ir"

# Say who we are and where to read about us, so the site's operators can tell a research crawler
# from an attack (Scrapy's default names only Scrapy).
USER_AGENT = (
    os.environ.get("MIZAN_USER_AGENT")
    or f"mizan-crawler/{__version__} (+https://pypi.org/project/mizan-crawler/)"
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
RETRY_TIMES = 3  # Scrapy's 2; with waits in between, one more try rides out a short outage
MIZAN_BACKOFF_BASE = 5.0  # seconds before the first retry without Retry-After, doubling each time
MIZAN_BACKOFF_MAX = 300.0  # never wait longer than this before one retry, whatever Retry-After asks
MIZAN_MAX_REFUSALS = 20  # refusals (403/429/503) in a row that stop the crawl; 0 never stops

# Conditional requests: the feed, the news sitemap and the first listing page are kept between
# runs and asked for with If-None-Match/If-Modified-Since, so an unchanged site answers 304.
HTTPCACHE_ENABLED = True  # Scrapy's False; the policy below caches those three documents only
HTTPCACHE_POLICY = "mizan_crawler.revalidation.DiscoveryRevalidationPolicy"
# Scrapy's is relative to .scrapy/; beside the store instead, kept across runs (a data volume).
HTTPCACHE_DIR = os.path.abspath("data/httpcache")

# The web archive (mizan_crawler/archive): every response with its request, as WARC 1.1 files
# under this folder, so records can be rebuilt without asking the site again (`mizan-crawler
# reparse`). An empty value turns it off.
MIZAN_ARCHIVE_DIR = os.environ.get("MIZAN_ARCHIVE_DIR", "data/archive")
MIZAN_ARCHIVE_FILE_BYTES = 1_000_000_000  # a new file once one holds this much (gzip bytes)

# Persian text as UTF-8 in JSON feeds, not \u escapes.
FEED_EXPORT_ENCODING = "utf-8"

# Pages over 20 MB are not articles; refuse them rather than hold them in memory.
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024

TELNETCONSOLE_ENABLED = False  # open ports nobody uses
REMOTE_CONTROL_ENABLED = False
LOG_LEVEL = os.environ.get("MIZAN_LOG_LEVEL") or "INFO"

# Final stats as JSON for schedulers and tests: set MIZAN_STATS_FILE (env or -s) to a path.
MIZAN_STATS_FILE = os.environ.get("MIZAN_STATS_FILE", "")

# A page yields one article: Scrapy's 100 parallel item workers per response cost more (task
# set-up for every page) than they give.
CONCURRENT_ITEMS = 4

# The store: SQLite by default (no server); postgresql://user:pass@host:port/db for teams.
# An empty DATABASE_URL turns the store off (files only).
DATABASE_URL = os.environ.get("DATABASE_URL", "sqlite:///data/mizan.sqlite")
MIZAN_STORE_BATCH = 100  # items per transaction
MIZAN_STORE_FLUSH_SECONDS = 5.0  # never hold an item longer than this (checked as items arrive)
# Seconds PostgreSQL may stay silent (connecting, a statement, a batch's write) before its batch
# is spooled: a healthy batch takes well under a second, and 20 s rides out a checkpoint or a
# failover without spooling while holding up only the items waiting for that batch.
MIZAN_STORE_TIMEOUT = 20.0
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
# The one place a request is deduplicated (Scrapy's filter only knows this run): articles the
# store holds and short links it has seen resolved are not fetched (mizan_crawler/request_filter.py).
DUPEFILTER_CLASS = "mizan_crawler.request_filter.ArticleRequestFilter"

# Discovery: how far the `news` spider pages back.
MIZAN_NEWS_MARGIN_HOURS = 6.0  # re-read this far behind the newest stored article (late listings)
MIZAN_NEWS_HORIZON_HOURS = 48.0  # on an empty store, this far behind the newest article listed
MIZAN_NEWS_MAX_PAGES = 300  # listing pages one run reads beyond what earlier runs had read
# A date later than now by more than this is a typo of the site: never a stopping point or a mark.
MIZAN_FUTURE_TOLERANCE_MINUTES = 120.0
# Backfill: the Jalali (or Gregorian) month in a sitemap-archive urlset's URL, when it has one.
MIZAN_SITEMAP_MONTH_PATTERN = r"[?&]y=(?P<year>\d{4})&m=(?P<month>\d{1,2})"

# Monitoring: Spidermon checks every crawl when it closes (see mizan_crawler/monitoring).
COMMANDS_MODULE = "mizan_crawler.commands"  # `crawl` exits non-zero when a check fails
SPIDERMON_ENABLED = True
# The schema the validate pipeline checks every item against, as Spidermon does.
SPIDERMON_VALIDATION_SCHEMAS = ["mizan_crawler.schema.ARTICLE_SCHEMA"]
SPIDERMON_SPIDER_CLOSE_MONITORS = ("mizan_crawler.monitoring.monitors.CloseMonitorSuite",)
SPIDERMON_EXPECTED_FINISH_REASONS = ["finished"]
SPIDERMON_MAX_ERRORS = int(os.environ.get("MIZAN_MAX_ERRORS", "10"))
SPIDERMON_MAX_RETRIES = int(os.environ.get("MIZAN_MAX_RETRIES", "100"))
SPIDERMON_UNWANTED_HTTP_CODES = {429: int(os.environ.get("MIZAN_MAX_429", "20"))}
SPIDERMON_MAX_ITEM_VALIDATION_ERRORS = 0
MIZAN_MIN_BODY_COVERAGE = 0.95  # news items with a body
MIZAN_MIN_ITEM_RATIO = 0.9  # articles stored (or rightly absent) of those requested
MIZAN_MAX_UNDATED = 0  # articles without a readable date (kept, published_at null)
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

# Browser rendering (mizan_crawler/browser): a page that is a JavaScript challenge (ArvanCloud) or
# whose article only a script builds is fetched again through Chromium via scrapy-playwright;
# every other request stays on plain HTTP. auto | always (every page in the browser) | never.
MIZAN_PLAYWRIGHT = os.environ.get("MIZAN_PLAYWRIGHT") or "auto"
MIZAN_CHROMIUM = os.environ.get("MIZAN_CHROMIUM") or "/usr/bin/chromium"  # Debian's package
# Its add-on and middleware are in ADDONS and DOWNLOADER_MIDDLEWARES below.
PLAYWRIGHT_LAUNCH_OPTIONS = {  # executable_path comes from MIZAN_CHROMIUM (see the add-on)
    "headless": True,
    # Without the background-networking flags Chromium calls Google's hosts on its own.
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
    ],
}
PLAYWRIGHT_MAX_CONTEXTS = 1  # one context: the cookies one render earns serve every later render
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4  # scrapy-playwright's default is CONCURRENT_REQUESTS (8) tabs
PLAYWRIGHT_ABORT_REQUEST = "mizan_crawler.browser.skip_heavy_resource"  # no images, fonts, media
PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT = DOWNLOAD_TIMEOUT * 1000  # ms; as long as a plain request
PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER = True  # scrapy-playwright's default, stated: a dead
# browser is launched again for the next render

# Distributed crawling (mizan_crawler/distributed): with MIZAN_REDIS_URL set (env MIZAN_REDIS_URL
# or REDIS_URL, or -s), the request queue and the duplicate filter live in Redis, and the same
# `crawl` command on any number of machines is one crawl: one worker discovers, all fetch, no
# article twice. Empty (the default): one process, Scrapy's own scheduler.
MIZAN_REDIS_URL = os.environ.get("MIZAN_REDIS_URL") or os.environ.get("REDIS_URL", "")
MIZAN_REDIS_KEY_PREFIX = "mizan"  # every Redis key of a shared crawl starts with this
MIZAN_REDIS_TIMEOUT = 5.0  # seconds before a Redis command (or connection) counts as unanswered
MIZAN_REDIS_WORKER_TIMEOUT = 30.0  # a worker silent this long is gone: its requests are requeued
MIZAN_REDIS_OUTAGE_SECONDS = 60.0  # mid-crawl, wait this long for Redis to answer again
MIZAN_REDIS_FINISHED_TTL = 7 * 24 * 3600  # seconds `mizan-crawler status` shows a finished crawl
# Its add-on is in ADDONS below.

# Backfill: planned article requests kept queued at once (refilled as pages come back), so a
# backfill of years holds a thousand requests in memory, not all of them.
MIZAN_BACKFILL_WINDOW = 1000

# Components. Each dict is defined here once, one entry a line, in the order the numbers give,
# each number explained. Add-ons may add their own: the distributed add-on, with MIZAN_REDIS_URL
# set, adds its worker extension (100) and discovery turn (10) and swaps in its store pipeline.

# Add-ons: applied in this order, each over the settings the previous ones left.
ADDONS = {
    # First of all: from then on no log line shows a password or token (secret_filter.py).
    "mizan_crawler.secret_filter.SecretFilterAddon": -100,
    # scrapy-playwright's download handler, only when a browser may be used and exists.
    "mizan_crawler.browser.BrowserAddon": 0,
    # Only with MIZAN_REDIS_URL; after the browser's, as it wraps the handlers that one installs.
    "mizan_crawler.distributed.DistributedCrawlAddon": 10,
}

# Downloader middlewares: requests pass them from low to high numbers, responses back from high
# to low (Scrapy's own are at their DOWNLOADER_MIDDLEWARES_BASE numbers).
DOWNLOADER_MIDDLEWARES = {
    # Nearest the downloader, above all of Scrapy's: the web archive writes each answer as it
    # came (redirects, 304s, errors before retries, compressed bodies, robots.txt).
    "mizan_crawler.archive.middleware.ArchiveMiddleware": 950,
    # Signals only, so the number matters little: beside the robots.txt middleware (100).
    "mizan_crawler.politeness.CrawlDelayMiddleware": 110,
    # Replaced by the revalidating cache below.
    "scrapy.downloadermiddlewares.httpcache.HttpCacheMiddleware": None,
    # Before the retries (Scrapy's cache is at 900): an error is retried before the cache sees it.
    "mizan_crawler.revalidation.RevalidatingCacheMiddleware": 540,
    # Replaced by the polite retries below.
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    # At Scrapy's retry number: waits (Retry-After, back-off) between tries, the refusal stop.
    "mizan_crawler.middlewares.PoliteRetryMiddleware": 550,
    # Sees a response decompressed (590) and redirected (600) before the retries (550) do.
    "mizan_crawler.browser.BrowserMiddleware": 560,
}

# Spider middlewares: the spider's output passes them from high numbers to low.
SPIDER_MIDDLEWARES = {
    # Beside Scrapy's depth middleware (900), next to the spider: items counted as they leave it.
    "mizan_crawler.monitoring.coverage.CoverageMiddleware": 900,
}

# Extensions: built in this order, so their handlers of one signal run in this order.
EXTENSIONS = {
    # First of ours: the store's view (codes, short links, the ledger), read once per crawl.
    "mizan_crawler.knowledge.SiteKnowledge": 100,
    # Before the summary and the stats file, which report the monitors' verdict.
    "spidermon.contrib.scrapy.extensions.Spidermon": 400,
    # Progress lines only; no other extension depends on it.
    "mizan_crawler.extensions.Progress": 500,
    # After Spidermon: the summary names the checks that failed.
    "mizan_crawler.monitoring.summary.CrawlSummary": 800,
    # Last: the stats it writes hold every other extension's, the monitors' verdict among them.
    "mizan_crawler.extensions.StatsFile": 900,
}

# Item pipelines, one job each, an item passing them from low numbers to high.
ITEM_PIPELINES = {
    # First: the record's JSON Schema (counted for Spidermon), then the rules (dropping).
    "mizan_crawler.pipelines.validate.ValidatePipeline": 200,
    # After validation: only a valid item takes its news code.
    "mizan_crawler.pipelines.dedupe.DeduplicatePipeline": 300,
    # Last: stores what passed (the distributed add-on swaps in its own, at this number).
    "mizan_crawler.pipelines.store.StorePipeline": 400,
}
