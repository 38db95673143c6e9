"""The sections of bench/RESULTS.md: per benchmark, its tables from fresh figures, its targets, and
the findings of earlier work as fixed prose (dated where they quote figures of their own).

Each table's first row is the baseline run (1.00×); the other rows are divided by it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from _report import Section, Target, figure, not_measured_row, number, ratio, rounds, table

Figures = dict[str, Any]

# Extraction -------------------------------------------------------------------------------------

PARSE_WHY = (
    "both extractors run one after the other in one process on the same pages, so steady load "
    "slows both alike and leaves the ratio; a low ratio means our parsing got slower (most of its "
    "time is CSS selector evaluation: check that the page module still compiles its selectors once "
    "to XPath objects), or the load changed between the two halves, or there were too few pages "
    "and rounds for the first pages' one-time costs to wash out."
)
PARSE_FINDINGS = [
    "Most of our time is spent evaluating CSS selectors, which the page module compiles once to "
    "lxml XPath objects (that change alone took the rate from about 1,350 to 1,565 articles/s on "
    "400 pages, 2026-11-28)."
]


def parse_body(f: Figures) -> list[str]:
    base, ours = f["theirs_rate"], f["ours_rate"]
    rows = [
        [f"trafilatura {f['trafilatura_version']} `extract`", number(base), ratio(base, base)],
        [
            "mizan-crawler `parse_article` (loader, normalisation, Jalali dates)",
            number(ours),
            ratio(ours, base),
        ],
    ]
    intro = (
        f"Parsing {f['pages']:,} replica article pages (both themes; news, photo and video pages) "
        "in-process, from HTML text to record, against trafilatura's "
        '`extract(..., output_format="json", with_metadata=True)` on the same pages in the same '
        f"run; best of {rounds(f['rounds'])}, one of each extractor in turn."
    )
    return [intro, table(["extractor", "articles/s", "ratio"], rows)]


def parse_targets(f: Figures) -> list[Target]:
    return [Target("extraction ≥ 4× trafilatura's rate", figure(f, "ratio"), 4.0, True, PARSE_WHY)]


# Store ------------------------------------------------------------------------------------------

STORE_WHY = (
    "each crawl is timed from its process's start, so with short crawls the jitter of start-up "
    "and of the machine's load between the interleaved rounds weighs as much as the store, which "
    "writes batches of 100 at thousands of records a second (table above), far faster than pages "
    "arrive."
)
STORE_FINDINGS = [
    "Even PostgreSQL, the slowest writer here (about 6,000 records/s when first measured, "
    "2026-11-28), takes records far faster than any polite crawl fetches pages (one every 2 s or "
    "more)."
]


def store_writes(f: Figures) -> str:
    base, postgres = f["jsonl_rate"], f["postgres"]
    rows = [
        ["JSONL feed exporter", number(base, 0), ratio(base, base)],
        ["SQLite store", number(f["sqlite_rate"], 0), ratio(f["sqlite_rate"], base)],
    ]
    label = f"PostgreSQL {postgres.get('version', '')} store (local)".replace("  ", " ")
    if "rate" in postgres:
        rows.append([label, number(postgres["rate"], 0), ratio(postgres["rate"], base)])
    else:
        rows.append(not_measured_row(label, postgres["not_measured"], 3))
    return table(["writer", "items/s", "ratio"], rows)


def store_body(f: Figures) -> list[str]:
    crawl = f["crawl"]
    plain, stored = crawl["plain_seconds"], crawl["stored_seconds"]
    intro = (
        f"{f['items']:,} replica records written in batches of {f['batch']} (the store pipeline's "
        "default), next to Scrapy's JSONL feed exporter on the same records in the same run; then "
        "a full-speed crawl (no delay, 8 concurrent requests, replica in its own process) of "
        f"{crawl['articles']:,} replica articles with the `article` spider and a JSONL feed, with "
        f"and without the SQLite store, best of {rounds(crawl['rounds'])}, interleaved, after one "
        "warm-up crawl."
    )
    crawls = [
        ["JSONL only", f"{plain:.2f} s", ratio(plain, plain)],
        ["JSONL and SQLite store", f"{stored:.2f} s", ratio(stored, plain)],
    ]
    header = [f"crawl of {crawl['articles']:,} articles", "wall time", "ratio"]
    return [intro, store_writes(f), table(header, crawls)]


def store_targets(f: Figures) -> list[Target]:
    measured = figure(f, "crawl", "ratio")
    name = "the store adds at most 25% to the crawl's wall time (≤ 1.25×; from the store's issue)"
    return [Target(name, measured, 1.25, False, STORE_WHY)]


# Crawl ------------------------------------------------------------------------------------------

CRAWL_WHY = (
    "the bare spider does nothing with a page, while the backfill first fetches its discovery "
    "pages and then parses, validates and stores every article, so it needs CPU the baseline does "
    "not: on a shared machine it loses more than the baseline does. Both wall times include the "
    "interpreter's start-up, and the backfill's discovery is a fixed cost; at small replica sizes "
    "these fixed costs dominate the rate."
)
CRAWL_FINDINGS = [
    "Two findings on the way (2026-11-28): Scrapy starts 100 item workers (`CONCURRENT_ITEMS`) for "
    "every response whose callback yields anything, which cost the project about 10% of its rate; "
    "it now uses 4 (a page yields one article). And start requests are fed to the scheduler more "
    "slowly than callback requests: the same bare spider yielding its 4,958 URLs from `start()` ran "
    "at 304 articles/s against 561.5 from a callback. The `article` spider, which takes its URLs in "
    "`start()`, pays that cost on long URL lists.",
    "On 2026-11-29, on a 2-core machine shared with a running test suite, the ratio of one run "
    "moved by up to 0.14 between runs of the same code, mostly with the bare spider's rate (174 to "
    "245 articles/s). The same day, on the same machine with nothing else running (load 0.0), the "
    "code of 2026-11-29 gave 0.46 to 0.61 over seven runs, and the code measured at 0.76 on "
    "2026-11-28 gave 0.58 and 0.59: the machine, not a change of code, moved the ratio. Its bare "
    "spider ran at 240–290 articles/s against 561 on 2026-11-28, so this machine is about half as "
    "fast, and the backfill, which spends CPU on every page where the bare spider spends none, "
    "loses more of its rate than the baseline does. Syncing each SQLite commit to disk "
    "(`synchronous=FULL`, new that day) costs nothing measurable: 0.57 and 0.58 with it, 0.52 and "
    "0.52 without, in alternate runs. A profile of the backfill (cProfile, 4,958 articles) puts "
    "article parsing at about 22% of its CPU, Spidermon's schema validation of each item at about "
    "7% (0.54 and 0.64 with that pipeline off), the store at 1%, and most of the rest in Scrapy's "
    "own request and response machinery, so no single change of ours would give back 0.12.",
    "Later on 2026-11-29, three changes took CPU off every page: Spidermon's item validation with "
    "the schema compiled once (`fastjsonschema`; 0.17 to 0.06 ms per item, errors and stats still "
    "Spidermon's), the browser check of each plain response on the parser's compiled queries (0.18 "
    "to 0.14 ms), and fewer regular-expression passes in text normalisation. In alternate runs the "
    "backfill took 20.1, 19.6 and 21.0 s before them and 19.0, 19.6 and 19.1 s after, about 5% less."
    " The ratio did not move with it, because the bare spider's rate moves more from run to run on "
    "this machine (283 to 454 articles/s that day). What is left per page is mostly article parsing "
    "(about 0.85 ms a replica page in-process: some 25 compiled XPath queries at 0.01 to 0.02 ms "
    "each, the ItemLoader and text normalisation) and Scrapy's own machinery. At the bare rate of "
    "that run (10.9 s for 4,958 pages), 0.70 needs the backfill under 15.6 s: 3.4 s, or 0.7 ms a "
    "page, less than now, which is more than most of the parsing. Reaching it would take a different"
    " way of finding the fields (one pass over the page instead of a query per field), not a "
    "tune-up.",
]


def crawl_body(f: Figures) -> list[str]:
    bare, ours = f["bare"], f["project"]
    rows = [
        [
            f"bare Scrapy spider, {bare['urls']:,} article URLs",
            number(bare["rate"]),
            f"{bare['seconds']:.1f} s",
            f"{bare['peak_mib']:.0f} MiB",
            ratio(bare["rate"], bare["rate"]),
        ],
        [
            "mizan-crawler `backfill`, SQLite store (discovery included)",
            number(ours["rate"]),
            f"{ours['seconds']:.1f} s",
            f"{ours['peak_mib']:.0f} MiB",
            ratio(ours["rate"], bare["rate"]),
        ],
    ]
    stored, articles, discovery = ours["stored"], f["article_requests"], f["discovery_requests"]
    intro = (
        "A full-speed backfill (from the replica's first day to its last, no delay, 16 concurrent "
        f"requests, AutoThrottle off) of a {f['articles']:,}-article replica running in its own "
        "process, with the SQLite store, next to a bare Scrapy spider (`bench/_bare_spider.py`: no "
        "parsing, no pipelines, Scrapy's other defaults) fetching the same article URLs with the "
        "same settings, in the same run. Both schedule their article requests from a callback "
        "(Scrapy feeds those faster than start requests). Wall times are the processes', start-up "
        f"included; each crawler's best of {rounds(f['rounds'])}, the two taking turns, each round "
        "on a fresh replica."
    )
    requests = (
        f"Requests: {articles:,} article pages and {discovery:,} discovery pages for {stored:,} "
        f"stored articles: {articles / max(stored, 1):.3f} article requests per stored article "
        f"plus {discovery / max(stored, 1):.3f} discovery pages (the requests targets are checked "
        "below, for both spiders)."
    )
    header = ["crawler", "articles/s", "wall time", "peak memory", "ratio"]
    return [intro, table(header, rows), requests]


def crawl_targets(f: Figures) -> list[Target]:
    measured = figure(f, "ratio")
    return [Target("crawl ≥ 0.70 of bare Scrapy's rate", measured, 0.70, True, CRAWL_WHY)]


# Browser ----------------------------------------------------------------------------------------

BROWSER_FINDINGS = [
    "What a render costs (2026-11-29, Chromium 156): about 250 ms more than a plain page, that is "
    "Chromium opening a tab (100–150 ms), loading and running the page (about 100 ms) and "
    "serialising the DOM (about 40 ms), then closing the tab; the first render also starts "
    "Playwright and Chromium (about 0.9 s, once per crawl). Installing the handler cost plain "
    "requests nothing measurable (0.98–1.05× over three runs): Playwright starts only at the first "
    "render. Behind a challenge, `auto` pays one render and then goes on over plain HTTP with the "
    "cookie the browser earned.",
    "That measurement's plain rows (45.5 ms/page, against 298.8 ms/page rendered: 6.56×) included "
    "a wait of about 40 ms on every answer from the replica (its headers and body went out in two "
    "writes, and Nagle's algorithm held the second for the client's delayed ACK). The replica now "
    "disables Nagle's algorithm, so plain rows take less time than then and a render's ratio comes "
    "out larger for the same browser cost: compare the extra milliseconds, not the ratios.",
    "At the production rate (one page every 2 s or more) a render's time does not show in a crawl's "
    "duration; its memory does: during an `always` crawl the crawler's process tree held 510–590 "
    "MiB (proportional set size), about 400–450 MiB of it Chromium and Playwright's driver, none of "
    "which a crawl that never renders starts. Measured with Scrapy's default concurrency instead "
    "(no delay, where Scrapy 2.19 does not hold a download slot to "
    "`CONCURRENT_REQUESTS_PER_DOMAIN`, so up to 8 requests and 4 browser pages ran at once), the "
    "figures were 7.2 ms/page plain and 160.7 ms/page rendered.",
]
BROWSER_LABELS = {
    "never": "plain HTTP, no browser handler (`MIZAN_PLAYWRIGHT=never`)",
    "auto": "plain HTTP, handler installed (`auto`, no page needs the browser)",
    "always": "every page rendered in Chromium (`always`)",
    "challenged": "`auto`, every article behind a challenge",
}


def browser_rows(f: Figures) -> list[list[str]]:
    modes = f["modes"]
    base = modes[0]["ms_per_page"]
    keys = ["never", "auto", "always", "challenged"]
    rows = []
    for key, mode in zip(keys, modes, strict=True):
        if "not_measured" in mode:
            rows.append(not_measured_row(BROWSER_LABELS[key], mode["not_measured"], 5))
            continue
        per_page = mode["ms_per_page"]
        rows.append(
            [
                BROWSER_LABELS[key],
                number(per_page),
                number(1000 / per_page),
                ratio(per_page, base),
                str(mode["renders"]),
            ]
        )
    return rows


def browser_body(f: Figures) -> list[str]:
    chromium = f["chromium"]
    browser = (
        f"Browser: {chromium['version']}, headless, through scrapy-playwright {f['scrapy_playwright']}."
        if "version" in chromium
        else f"Browser: none ({chromium['missing']}), so only the first row was measured."
    )
    intro = (
        f"The same {f['pages']:,} replica article pages crawled by the `article` spider four ways "
        "in the same run, one request at a time (`CONCURRENT_REQUESTS=1`, the production "
        "politeness without its delay), no store; time per page is the crawl's own elapsed time "
        "over the pages (the browser's launch included), best of "
        f"{rounds(f['rounds'])}, interleaved. {browser} The issue sets no target here."
    )
    body = [intro, table(["crawl", "ms/page", "pages/s", "ratio", "renders"], browser_rows(f))]
    rendered, plain = f["modes"][2], f["modes"][0]
    if "ms_per_page" in rendered:
        extra = rendered["ms_per_page"] - plain["ms_per_page"]
        body.append(f"In this run a rendered page cost {extra:.0f} ms more than a plain one.")
    return body


# Memory -----------------------------------------------------------------------------------------

MEMORY_WHY = (
    "peak memory should not grow with the replica: the backfill keeps only a news code and a "
    "`lastmod` per sitemap entry while planning and queues `MIZAN_BACKFILL_WINDOW` requests at a "
    "time, so a miss means per-article state is kept again somewhere (a queue, a list, a cache). "
    "Load slows these crawls but hardly changes their memory."
)
MEMORY_FINDINGS = [
    "The first measurement (2026-11-28) gave 288 MiB at 50,000 articles (1.99× the 5,000-article "
    "run): the backfill queued every planned article request at once (about 2 KB each in Scrapy's "
    "memory queue) and kept every sitemap entry after planning. It now keeps only a news code and "
    "a `lastmod` per entry while planning, and queues `MIZAN_BACKFILL_WINDOW` (1,000) requests at "
    "a time, refilled one for one as pages come back (with Redis the whole plan goes to the shared "
    "queue instead)."
]


def memory_row(run: Figures, base: float) -> list[str]:
    return [
        f"{run['articles']:,} articles",
        f"{run['peak_mib']:.0f} MiB",
        ratio(run["peak_mib"], base),
        f"{run['seconds']:.1f} s",
        f"{run['stored']:,}",
    ]


def memory_body(f: Figures) -> list[str]:
    small, large = f["small"], f["large"]
    intro = (
        "Full-speed backfills of the whole replica (16 concurrent requests, SQLite store), at "
        f"{small['articles']:,} and at {large['articles']:,} articles, each replica in its own "
        "process; peak memory is Scrapy's `memusage/max` (the crawler's largest resident set)."
    )
    header = ["backfill", "peak memory", "ratio", "wall time", "stored"]
    rows = [memory_row(small, small["peak_mib"]), memory_row(large, small["peak_mib"])]
    return [intro, table(header, rows)]


def memory_targets(f: Figures) -> list[Target]:
    small = figure(f, "small", "articles") or 5000
    large = figure(f, "large", "articles") or 50000
    name = f"peak memory at {large:,} articles ≤ 1.3× that at {small:,}"
    return [Target(name, figure(f, "ratio"), 1.3, False, MEMORY_WHY, load_sensitive=False)]


# Requests per stored article --------------------------------------------------------------------

REQUESTS_FINDINGS = [
    "Discovery costs little: `backfill` reads robots.txt, the sitemap index and one urlset per "
    "month of its range; `news` reads robots.txt, the feed, the news sitemap and the listing pages "
    "back to its `since` day. Counts leave out the benchmark's own requests to the replica (figures "
    "before this report's generator counted its readiness probe as one more listing page)."
]


def requests_why(run: Figures) -> str:
    return (
        "article pages fetched more than once, or fetched and not stored, raise the figure: "
        f"retries after server errors or timeouts (this crawl retried {run.get('retries', 0)} "
        "times; timeouts come with a loaded machine), a news code let through the duplicate filter "
        "twice, or pages dropped by validation."
    )


def requests_table(spider: str, run: Figures) -> str:
    stored = run["stored"]
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in run["discovery_kinds"].items())
    rows = [
        ["stored articles", f"{stored:,}", ratio(stored, stored, 3)],
        [
            "article pages requested",
            f"{run['article_requests']:,}",
            ratio(run["article_requests"], stored, 3),
        ],
        [
            f"discovery pages requested ({kinds})",
            f"{run['discovery_requests']:,}",
            ratio(run["discovery_requests"], stored, 3),
        ],
    ]
    return table([f"`{spider}`", "requests", "per stored article"], rows)


def requests_body(f: Figures) -> list[str]:
    small, news = f["small"], f["news"]
    intro = (
        "Requests per stored article, from the replica's own request log: the "
        f"{small['articles']:,}-article `backfill` above (the whole replica), and the `news` spider "
        f"on an empty store paging back over a {news['articles']:,}-article replica (`since` its "
        "first day, no page limit). Each table's baseline is the number of articles stored: one "
        "article request per stored article is the least possible."
    )
    return [intro, requests_table("backfill", small), requests_table("news", news)]


def requests_targets(f: Figures) -> list[Target]:
    targets = []
    for spider, key in (("backfill", "small"), ("news", "news")):
        run = figure(f, key) or {}
        name = f"`{spider}`: ≤ 1.05 article requests per stored article, plus discovery pages"
        measured = run.get("article_requests_per_stored")
        targets.append(Target(name, measured, 1.05, False, requests_why(run), 3, ""))
    return targets


def no_targets(f: Figures) -> list[Target]:
    return []


Body = Callable[[Figures], list[str]]
Targets = Callable[[Figures], list[Target]]
# Per section: title, the benchmark whose figures it shows, its body, targets and findings.
SECTIONS: list[tuple[str, str, Body, Targets, list[str]]] = [
    ("Extraction: `bench/parse.py`", "parse", parse_body, parse_targets, PARSE_FINDINGS),
    ("Store: `bench/store.py`", "store", store_body, store_targets, STORE_FINDINGS),
    ("Crawl: `bench/crawl.py`", "crawl", crawl_body, crawl_targets, CRAWL_FINDINGS),
    ("Browser: `bench/browser.py`", "browser", browser_body, no_targets, BROWSER_FINDINGS),
    ("Memory: `bench/memory.py`", "memory", memory_body, memory_targets, MEMORY_FINDINGS),
    (
        "Requests per stored article: `bench/memory.py`",
        "memory",
        requests_body,
        requests_targets,
        REQUESTS_FINDINGS,
    ),
]


def sections(
    results: dict[str, Figures | None], reasons: dict[str, str]
) -> list[tuple[str, Section]]:
    """Every section, with the name of the benchmark it comes from; a benchmark without figures
    gives sections that say why, and targets that say "not measured"."""
    built = []
    for title, name, body, targets, findings in SECTIONS:
        found = results.get(name)
        shown = body(found) if found else [f"Not measured: {reasons.get(name, 'not run')}."]
        built.append((name, Section(title, shown, targets(found or {}), findings)))
    return built
