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
    "400 pages, 2026-11-28).",
    "On pages of the live site's weight (2026-12-01) each of the parser's some 25 queries walked "
    "the whole tree, site chrome included: 13.1 ms a page against 1.5 ms for building the tree. "
    "The page module now finds the article's container once (one query, on `div` elements only) "
    "and runs every field query on the container's parent and on `<head>`: 2.8 ms a page, with "
    "the same record on every fixture, property test and 300 replica articles of both themes at "
    "both weights. What is left above the floor is that container query (about 0.5 ms: any walk "
    "of a 2,400-element tree costs that much in libxml2's XPath), the ItemLoader and text "
    "normalisation (about 0.5 ms, as on light pages) and the field queries on the column.",
]


def parse_table(found: Figures, trafilatura: str) -> str:
    base = found["floor_rate"]
    rows = [
        ("`lxml.html.fromstring` on the same text (the floor)", base),
        ("mizan-crawler `parse_article` (loader, normalisation, Jalali dates)", found["ours_rate"]),
        (f"trafilatura {trafilatura} `extract`", found["theirs_rate"]),
    ]
    cells = [[name, number(rate), f"{1000 / rate:.2f}", ratio(rate, base)] for name, rate in rows]
    return table(["extractor", "articles/s", "ms/page", "ratio"], cells)


WEIGHT_PAGES = {
    "live": "pages of the live site's weight (about 185 KB)",
    "light": "light pages (about 4 KB)",
}
WEIGHT_NAMES = {
    "live": "Pages of the live site's weight (`--weight live`: its menus, lists, scripts, footer)",
    "light": "Light pages (the templates alone, as every benchmark used before 2026-12-01)",
}


def parse_body(f: Figures) -> list[str]:
    intro = (
        f"Parsing {f['pages']:,} replica article pages (both themes; news, photo and video pages) "
        "in-process, from HTML text to record, next to the floor of any lxml-based extractor "
        "(building the tree from the same text) and trafilatura's "
        '`extract(..., output_format="json", with_metadata=True)` on the same pages in the same '
        f"run, at both page weights; best of {rounds(f['rounds'])}, one of each in turn."
    )
    body = [intro]
    for weight, found in f["weights"].items():
        body.append(f"{WEIGHT_NAMES[weight]}, {found['kib_per_page']:.1f} KiB a page:")
        body.append(parse_table(found, f["trafilatura_version"]))
        body.append(
            f"On these pages `parse_article` runs at {found['of_floor']:.2f} of the floor's rate "
            f"({found['ours_ms']:.2f} against {found['floor_ms']:.2f} ms a page) and "
            f"{found['ratio']:.2f}× trafilatura's."
        )
    return body


def parse_targets(f: Figures) -> list[Target]:
    name = "extraction ≥ 4× trafilatura's rate (light pages, as first set)"
    return [Target(name, figure(f, "ratio"), 4.0, True, PARSE_WHY)]


# Reparse ----------------------------------------------------------------------------------------

REPARSE_NOT_ALIKE = (
    "the reparse rate is the whole command a user runs (start-up, reading and inflating the "
    "archive, the workers, the item pipelines and the SQLite store), while trafilatura's and the "
    "floor's are one function called in-process on pages already in memory, with no store and no "
    "pipelines."
)
REPARSE_THEIRS_WHY = (
    f"{REPARSE_NOT_ALIKE} On a small archive the command's fixed costs (a second or two of "
    "start-up and shutdown) also weigh on its rate."
)
REPARSE_FLOOR_WHY = (
    f"{REPARSE_NOT_ALIKE} Every reparsed page is built into a tree too, and the parser alone "
    "takes about twice the floor's time on these pages (Extraction, above), so half the floor's "
    "rate on one worker would leave no time for anything else."
)
REPARSE_WORKERS_WHY = (
    "two workers can at most halve the parsing, not the crawl process's own work (reading the "
    "archive, sending each page of about 185 KB to a worker, the pipelines and the store) nor the "
    "start-up; and on 2 cores the two workers share them with the crawl process and with "
    "whatever else runs on the machine."
)


REPARSE_FINDINGS = [
    "On 2026-12-01 (afternoon) the reparse command began to record the CPU its processes use "
    "(stats `mizan/reparse/cpu_seconds/crawl_process` and `.../workers`), which the reasons above "
    "are worked out from, and its workers build each page's tree from the page's bytes, as the "
    "crawl does (the same record on every fixture, with byte order marks, NUL bytes, invalid "
    "UTF-8 and CRLF). On a 1,488-page archive on the slower machine of that afternoon the crawl "
    "process spent 5.9 ms of CPU a page and the one worker 11.1 ms, against 4.3 ms for the floor.",
]


def reparse_table(f: Figures) -> str:
    base, one, two = f["floor_rate"], f["reparse"]["1"], f["reparse"]["2"]
    version = f["trafilatura_version"]
    rows = [
        ("`lxml.html.fromstring` on the bytes (the floor), in-process", base),
        (f"trafilatura {version} `extract`, in-process", f["trafilatura_rate"]),
        ("`mizan-crawler reparse --workers 1` (store and pipelines included)", one["rate"]),
        ("`mizan-crawler reparse --workers 2` (store and pipelines included)", two["rate"]),
    ]
    cells = [
        [name, number(rate), f"{1000 / rate:.2f}", ratio(rate, base, 3)] for name, rate in rows
    ]
    return table(["run", "articles/s", "ms/page", "ratio"], cells)


def reparse_body(f: Figures) -> list[str]:
    built, one, two = f["archive"], f["reparse"]["1"], f["reparse"]["2"]
    intro = (
        f"A WARC archive of {built['pages']:,} replica article pages of the live site's weight "
        f"({built['kib_per_page']:.1f} KiB a page, {built['warc_mib']:,.0f} MiB compressed), "
        "written as a crawl writes them (a request and a response record per page, by the archive "
        "middleware's functions and `WarcFiles`), reparsed by `mizan-crawler reparse` into a "
        "fresh SQLite store on 1 and on 2 worker processes: wall time of the command, start-up "
        f"included, best of {rounds(f['rounds'])}, the two taking turns. Next to it, in the same "
        'run, trafilatura\'s `extract(..., output_format="json", with_metadata=True)` on the '
        "pages' text and `lxml.html.fromstring` on their bytes, in-process, on "
        f"{f['sample']:,} pages of the same archive spread evenly through it (trafilatura takes "
        f"over 0.1 s a page here), best of {rounds(f['parse_rounds'])}, one of each in turn."
    )
    ratios = (
        f"On one worker the reparse runs at {f['of_trafilatura']:.2f}× trafilatura's rate and "
        f"{f['of_floor']:.2f} of the floor's; two workers run at {f['two_of_one']:.2f}× the rate "
        f"of one (they stored {one['stored']:,} and {two['stored']:,} articles). The reparse "
        "rates include the store and the item pipelines (and the command's start-up), "
        "trafilatura's and the floor's neither: this compares what a user gets, not like with like."
    )
    body = [intro, reparse_table(f), ratios]
    if cpu := f.get("cpu"):
        body.append(
            f"CPU a page on one worker (the command's own stats): the crawl process "
            f"{cpu['crawl_ms']:.2f} ms (reading the archive, the pipelines, the store), the worker "
            f"{cpu['worker_ms']:.2f} ms (the parse), start-up included."
        )
    return body


def reparse_floor_why(f: Figures) -> str:
    """The floor target's why, with the worker's measured CPU a page where the run has it."""
    cpu = f.get("cpu")
    if not cpu:
        return REPARSE_FLOOR_WHY
    floor_ms = 1000 / f["floor_rate"]
    return (
        f"{REPARSE_NOT_ALIKE} On one worker the worker process spent {cpu['worker_ms']:.2f} ms of "
        f"CPU a page (the page's tree, the parse, and the response rebuilt from the archive), "
        f"{cpu['worker_ms'] / floor_ms:.2f} times the floor's {floor_ms:.2f} ms, while half the "
        f"floor's rate allows {2 * floor_ms:.2f} ms a page for everything: the parser alone takes "
        "about twice the floor's time on these pages (Extraction, above), so the target would "
        "leave no time for anything else."
    )


def reparse_workers_why(f: Figures) -> str:
    """The two-worker target's why, from the one-worker run's CPU a page where the run has it."""
    cpu = f.get("cpu")
    if not cpu:
        return REPARSE_WORKERS_WHY
    crawl, worker, cores = cpu["crawl_ms"], cpu["worker_ms"], f.get("cores", 2)
    return (
        f"on one worker the crawl process (reading and inflating the archive, sending each page "
        f"to the worker, the item pipelines and the store) spent {crawl:.2f} ms of CPU a page and "
        f"the worker {worker:.2f} ms. Two workers halve only the worker's part, and on {cores} "
        f"cores all three processes share them: a page takes at least the largest of "
        f"{crawl:.2f} ms, {worker / 2:.2f} ms and ({crawl:.2f} + {worker:.2f}) / {cores} = "
        f"{(crawl + worker) / cores:.2f} ms, which is {cpu['best_two_of_one']:.2f}× the rate "
        "measured on one worker: the most two workers can give on this machine, against 1.7 asked. "
        f"On {cores} cores 1.7× needs the crawl process's CPU a page under about 0.18 of the "
        f"worker's ({0.176 * worker:.2f} ms): a faster parser moves the figure away from the "
        "target, not towards it."
    )


def reparse_targets(f: Figures) -> list[Target]:
    return [
        Target(
            "`reparse` on 1 worker ≥ 10× trafilatura's rate",
            figure(f, "of_trafilatura"),
            10.0,
            True,
            REPARSE_THEIRS_WHY,
        ),
        Target(
            "`reparse` on 1 worker ≥ 0.5 of the floor's rate",
            figure(f, "of_floor"),
            0.5,
            True,
            reparse_floor_why(f),
            unit="",
        ),
        Target(
            "`reparse` on 2 workers ≥ 1.7× its rate on 1",
            figure(f, "two_of_one"),
            1.7,
            True,
            reparse_workers_why(f),
        ),
    ]


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
    "pages and then builds each page's tree, parses, validates and stores every article, all on "
    "the one thread Scrapy runs on, so it needs CPU the baseline does not: on pages of the live "
    "site's weight building the tree alone (about 1.5 ms a page, the floor of any lxml-based "
    "parser) is most of the bare spider's whole time a page (about 2 ms). Both wall times include "
    "the interpreter's start-up, and the backfill's discovery is a fixed cost; at small replica "
    "sizes these fixed costs dominate the rate."
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
    "On 2026-12-01 the benchmark moved to pages of the live site's weight (about 185 KB a page "
    "instead of 4 KB), where the backfill ran at 0.13 of the bare rate. Four changes took it to "
    "about 0.4: field queries on the article's column instead of the whole tree (13.1 to 2.8 ms a "
    "page in-process); the browser check no longer tests the page's selector for truth, which "
    "serialised the whole document (1.1 ms a page); the browser check and the parser share one "
    "tree per response; and that tree is freed with its response (below, under memory). What is "
    "left is building the tree (1.5 ms a page), the rest of the parsing (about 1.3 ms), the "
    "pipelines (about 0.7 ms) and Scrapy's own machinery, all on Scrapy's one thread, while the "
    "bare spider takes about 2.5 ms a page in all: 0.8 would need the backfill's own work a page "
    "under about 0.6 ms, less than building the tree. Only parsing in other processes (the second "
    "core, which the replica shares) could get there; it is not done yet.",
    "Later on 2026-12-01 the web archive became the default, and this benchmark crawls with it on, "
    "as the issue asks: that day's first full run gave 0.14 (0.30 with the archive off), because "
    "warcio compressed every record at zlib level 9 on Scrapy's one thread. Its records are now "
    "compressed by ISA-L (`isal`: 0.43 against 9.8 ms for a page of this weight, in-process, on "
    "the slower machine of that afternoon; files about a quarter larger), and each record's "
    "length and digests are given to warcio, computed in one call each, instead of warcio copying "
    "the body into a buffer and digesting it in 16 KiB steps twice. On 2,000 articles, one round "
    "each on the same machine, the ratio went from 0.20 to 0.34 with the archive on.",
    "A profile of that backfill (cProfile, 1,984 live pages, 56 s under the profiler) after those "
    "changes: building the pages' trees 16% of the time, the browser check's own queries 4%, the "
    "parser 18% (its field queries on the column and the container query 12%), the web archive "
    "9%, the item pipelines 5% (Spidermon's validation 4%), and the other half Scrapy's own "
    "machinery (downloads, middleware chains, scheduling), discovery and start-up. A thread cannot "
    "take the trees off Scrapy's thread: lxml's HTML parser holds the GIL for most of its work (a "
    "thread parsing these pages left a Python loop on the main thread a quarter of its speed). "
    "Parsing in worker processes is what is left to try; the CPU figures above bound what it could "
    "give on a machine whose two cores also serve the replica.",
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
        f"process and serving {WEIGHT_PAGES[f.get('weight', 'light')]}, with the SQLite store, next to a bare Scrapy spider (`bench/_bare_spider.py`: no "
        "parsing, no pipelines, Scrapy's other defaults) fetching the same article URLs with the "
        "same settings, in the same run. Both schedule their article requests from a callback "
        "(Scrapy feeds those faster than start requests). Wall times are the processes', start-up "
        f"included; each crawler's best of {rounds(f['rounds'])}, the two taking turns, each round "
        "on a fresh replica. Peak memory is Scrapy's `memusage/max`, checked every 0.5 s."
    )
    requests = (
        f"Requests: {articles:,} article pages and {discovery:,} discovery pages for {stored:,} "
        f"stored articles: {articles / max(stored, 1):.3f} article requests per stored article "
        f"plus {discovery / max(stored, 1):.3f} discovery pages (the requests targets are checked "
        "below, for both spiders)."
    )
    header = ["crawler", "articles/s", "wall time", "peak memory", "ratio"]
    body = [intro, table(header, rows), requests]
    if "cpu_ms" in ours:
        body.append(
            f"CPU an article (the crawl's process, start-up included; the replica's process over "
            f"the same time): backfill {ours['cpu_ms']:.2f} ms (replica {ours['replica_cpu_ms']:.2f}"
            f" ms), bare spider {bare['cpu_ms']:.2f} ms (replica {bare['replica_cpu_ms']:.2f} ms)."
        )
    if "archive_bytes" in ours:
        body.append(
            f"The backfill's web archive took {ours['archive_bytes'] / max(stored, 1) / 1024:.1f} "
            "KiB per stored article (its discovery pages included): "
            f"{ours['archive_bytes'] / max(stored, 1) / 1000:.0f} MB per 1,000 articles."
        )
    return body


def crawl_why(f: Figures) -> str:
    """The crawl target's why, from the CPU each process spent, where the run measured it."""
    cpu = f.get("cpu")
    if not cpu:
        return CRAWL_WHY
    ours, bare, cores = f["project"], f["bare"], cpu["cores"]
    one_thread_ms = cpu["bare_ms"] / 0.8
    all_cores_ms = one_thread_ms * cores - ours["replica_cpu_ms"]
    return (
        f"the backfill's process spent {ours['cpu_ms']:.2f} ms of CPU on each stored article "
        f"(start-up and discovery included) and the bare spider's {bare['cpu_ms']:.2f} ms, while "
        f"the bare spider took {cpu['bare_ms']:.2f} ms of wall time an article. The backfill's "
        "work is done on the one thread Scrapy runs on (its store thread does little of it), so "
        f"even with no waiting at all it would run at {cpu['one_thread']:.2f} of the bare rate; "
        f"spread perfectly over the machine's {cores} cores, which also serve the replica "
        f"({ours['replica_cpu_ms']:.2f} ms an article meanwhile), at most {cpu['all_cores']:.2f}. "
        f"0.80 needs the backfill's CPU an article under {one_thread_ms:.2f} ms on one thread, or "
        f"under {all_cores_ms:.2f} ms were it spread perfectly over {cores} cores, against "
        f"{ours['cpu_ms']:.2f} ms now. Building the "
        "page's tree alone (the floor of any lxml-based parser) costs about what the bare spider "
        "spends on a whole page; the findings below say where the rest goes."
    )


def crawl_targets(f: Figures) -> list[Target]:
    measured = figure(f, "ratio")
    name = "crawl ≥ 0.80 of bare Scrapy's rate (pages of the live site's weight)"
    return [Target(name, measured, 0.80, True, crawl_why(f))]


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
    "time, and a page's tree goes with its response, so a miss means per-article state is kept "
    "again somewhere (a queue, a list, a cache), or trees of pages done outlive them (a reference "
    "cycle through a response, a string of lxml's that keeps its element). Load slows these "
    "crawls but hardly changes their memory."
)
BARE_MEMORY_WHY = (
    "the bare spider holds a page's body only while it is fetched; the backfill also holds each "
    "page's tree (about 1.3 MB for 185 KB of HTML) from its arrival to its parsing, for every page "
    "waiting between the downloader and the spider at 16 concurrent requests."
)
MEMORY_FINDINGS = [
    "The first measurement (2026-11-28) gave 288 MiB at 50,000 articles (1.99× the 5,000-article "
    "run): the backfill queued every planned article request at once (about 2 KB each in Scrapy's "
    "memory queue) and kept every sitemap entry after planning. It now keeps only a news code and "
    "a `lastmod` per entry while planning, and queues `MIZAN_BACKFILL_WINDOW` (1,000) requests at "
    "a time, refilled one for one as pages come back (with Redis the whole plan goes to the shared "
    "queue instead).",
    "Until 2026-12-01 peak memory was read from `memusage/max` as Scrapy checks it, every 60 s, so "
    "a crawl shorter than a minute reported about its start-up size; it is now checked every "
    "0.5 s, for both crawlers. On pages of the live site's weight that showed 553 MiB for 1,500 "
    "articles against 93 MiB for the bare spider. Python's own objects stayed at about 60 MiB "
    "(tracemalloc) and few pages were alive at any moment: the rest were trees of pages already "
    "done, freed only by the cyclic garbage collector, because Scrapy's `response.selector` makes "
    "a reference cycle (the response caches its selector, the selector keeps its response) and the "
    "collector counts objects, not the 1.3 MB of tree behind each. The parser and the browser check "
    "now share one selector per response that hangs from a weak reference to it "
    "(`pages/tree.py`), so a tree goes with its response: 139 MiB for the same crawl. The parser's "
    'queries also return plain strings now: lxml\'s default "smart" strings keep their element, '
    "and so the whole tree, alive wherever one is kept (`urllib.parse.urlsplit`'s cache sees every "
    "slug candidate).",
]


def memory_row(label: str, run: Figures, base: float) -> list[str]:
    stored = f"{run['stored']:,}" if "stored" in run else f"{run['urls']:,} fetched"
    return [label, f"{run['peak_mib']:.0f} MiB", ratio(run["peak_mib"], base),
            f"{run['seconds']:.1f} s", stored]  # fmt: skip


def memory_body(f: Figures) -> list[str]:
    small, large = f["small"], f["large"]
    bare = large["bare"]
    intro = (
        "Full-speed backfills of the whole replica (16 concurrent requests, SQLite store), at "
        f"{small['articles']:,} and at {large['articles']:,} articles, each replica in its own "
        f"process serving {WEIGHT_PAGES[f.get('weight', 'light')]}, and the bare Scrapy spider "
        f"(`bench/_bare_spider.py`) fetching the {large['articles']:,}-article replica's article "
        "URLs with the same settings; peak memory is Scrapy's `memusage/max` (the crawler's largest "
        "resident set), checked every 0.5 s for all three."
    )
    header = ["crawl", "peak memory", "ratio", "wall time", "stored"]
    rows = [
        memory_row(
            f"bare Scrapy spider, {large['articles']:,}-article replica", bare, bare["peak_mib"]
        ),
        memory_row(f"`backfill`, {small['articles']:,} articles", small, bare["peak_mib"]),
        memory_row(f"`backfill`, {large['articles']:,} articles", large, bare["peak_mib"]),
    ]
    return [intro, table(header, rows)]


def memory_targets(f: Figures) -> list[Target]:
    small = figure(f, "small", "articles") or 1000
    large = figure(f, "large", "articles") or 20000
    flat = f"peak memory at {large:,} articles ≤ 1.3× that at {small:,}"
    bare = f"peak memory at {large:,} articles ≤ 2× the bare spider's"
    return [
        Target(flat, figure(f, "ratio"), 1.3, False, MEMORY_WHY, load_sensitive=False),
        Target(bare, figure(f, "of_bare"), 2.0, False, BARE_MEMORY_WHY, load_sensitive=False),
    ]


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


# Start-up ---------------------------------------------------------------------------------------

STARTUP_WHY = (
    "a scheduled run imports Scrapy, the project's components and the libraries they use; Redis's "
    "client, psycopg, pyarrow, Playwright and the notifiers are imported only when configured or "
    "needed (a miss means one of them, or another heavy library, is imported at start again: "
    "`python -X importtime -m mizan_crawler crawl news` shows which). On a loaded machine both "
    "runs slow, and the difference with them."
)
STARTUP_FINDINGS = [
    "Measured first (2026-12-01, load about 4): 2.58 s against 0.48 s. The `mizan-crawler` command "
    "imported every sub-command's modules (Redis, the exporters with pyarrow, psycopg through the "
    "stores, the replica), the Redis add-on imported its components without Redis configured, "
    "the monitors imported the Slack and Telegram notifiers (with their HTTP and template "
    "libraries), the browser add-on's handler and middleware imported Playwright and "
    "scrapy-playwright, and Playwright's TimeoutError in `RETRY_EXCEPTIONS` imported it again. "
    "Each is now imported where it is used: 0.66 s against 0.45 s (load about 2.4).",
    "The target is a difference in seconds, so it moves with the machine's speed. On the "
    "afternoon of 2026-12-01 the machine was about 2.6 times slower than that morning's (the "
    "bare `scrapy crawl` took 1.27 s against 0.49 s, and every other benchmark slowed alike): the "
    "`news` run took 1.57 times the bare one's time against 1.53 times in the morning, so the "
    "difference grew from 0.26 to 0.72 s with the machine, not with the code. The one import "
    "added that day (isal, for the web archive) takes 2 ms (`python -X importtime`).",
]


def startup_body(f: Figures) -> list[str]:
    bare, news = f["bare_seconds"], f["news_seconds"]
    intro = (
        "Wall time from process start to exit, best of "
        f"{rounds(f['rounds'])} after one warm-up of each, the two taking turns: `scrapy crawl` of "
        "a spider that asks for nothing, in a bare project (its own folder, `scrapy.cfg` and "
        "settings, none of ours), and `mizan-crawler crawl news` with the project's settings and a "
        "SQLite store, against a 50-article replica, with `-a since` after its newest article: it "
        "reads robots.txt, the feed, the news sitemap and the first listing page, finds nothing "
        "new and stops (without the production delay between requests, which is politeness, not "
        "start-up)."
    )
    rows = [
        ["bare `scrapy crawl` of an empty spider", f"{bare:.2f} s",
         f"{f['bare_median']:.2f} s", ratio(bare, bare)],
        ["`mizan-crawler crawl news`, nothing to fetch", f"{news:.2f} s",
         f"{f['news_median']:.2f} s", ratio(news, bare)],
    ]  # fmt: skip
    return [intro, table(["run", "wall time", "median", "ratio"], rows)]


def startup_targets(f: Figures) -> list[Target]:
    name = "start-up of a `news` run with nothing to fetch within 0.3 s of a bare `scrapy crawl`"
    return [Target(name, figure(f, "difference"), 0.3, False, STARTUP_WHY, 2, " s")]


def no_targets(f: Figures) -> list[Target]:
    return []


Body = Callable[[Figures], list[str]]
Targets = Callable[[Figures], list[Target]]
# Per section: title, the benchmark whose figures it shows, its body, targets and findings.
SECTIONS: list[tuple[str, str, Body, Targets, list[str]]] = [
    ("Extraction: `bench/parse.py`", "parse", parse_body, parse_targets, PARSE_FINDINGS),
    ("Reparse: `bench/reparse.py`", "reparse", reparse_body, reparse_targets, REPARSE_FINDINGS),
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
    ("Start-up: `bench/startup.py`", "startup", startup_body, startup_targets, STARTUP_FINDINGS),
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
