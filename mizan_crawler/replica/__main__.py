"""``python -m mizan_crawler.replica --port 8000 --articles 1000 --seed 1 [--allow-archive]
[--challenge-share 0.2] [--script-body-share 0.1] [--crawl-delay 1] [--validators]
[--draft-share 0.08] [--weight live] [--sitemap-quirks duplicate-reference,gzip,publication-dates,failing-index]``."""

from __future__ import annotations

import argparse
import logging

from .chrome import WEIGHTS
from .corpus import Corpus
from .server import ReplicaServer
from .sitemap_quirks import SitemapQuirks

logger = logging.getLogger("mizan_crawler.replica")


def build_parser() -> argparse.ArgumentParser:
    """Command-line options of the replica."""
    parser = argparse.ArgumentParser(description="Serve a local replica of mizanonline.ir.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback only)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--articles", type=int, default=1000, help="corpus size (1-100000+)")
    parser.add_argument("--seed", type=int, default=1, help="same seed, same corpus")
    parser.add_argument(
        "--allow-archive",
        action="store_true",
        help="drop the CMS's 'Disallow: /fa/archive' rule from robots.txt",
    )
    parser.add_argument(
        "--challenge-share",
        type=float,
        default=0.0,
        help="share of articles (0-1) answering an ArvanCloud-style challenge until the client "
        "has its cookie",
    )
    parser.add_argument(
        "--script-body-share",
        type=float,
        default=0.0,
        help="share of articles (0-1) whose body is inserted by a script",
    )
    parser.add_argument(
        "--crawl-delay",
        type=float,
        default=None,
        help="seconds robots.txt asks between requests (a Crawl-delay line; none by default)",
    )
    parser.add_argument(
        "--validators",
        action="store_true",
        help="ETag/Last-Modified on the feed, news sitemap and listings, and 304 to a client whose "
        "If-None-Match/If-Modified-Since shows its copy is current",
    )
    parser.add_argument(
        "--draft-share",
        type=float,
        default=0.0,
        help="share of articles (0-1) that waited 1-12 hours as drafts: their codes are lower "
        "than those of articles published before them",
    )
    parser.add_argument(
        "--weight",
        choices=WEIGHTS,
        default="light",
        help="article pages as light as the templates (about 4 KB) or at the live site's weight, "
        "with its menus, lists, scripts and footer (about 185 KB)",
    )
    parser.add_argument(
        "--sitemap-quirks",
        type=SitemapQuirks.parse,
        default=SitemapQuirks(),
        help="archive sitemap irregularities, comma-separated: duplicate-reference, gzip, "
        "publication-dates, failing-index",
    )
    parser.add_argument(
        "--break",
        dest="broken",
        default="",
        help="break the article template, for monitor tests: date, body or date,body",
    )
    parser.add_argument(
        "--short-links", action="store_true", help="feed and listings link by short link (/00AbCd)"
    )
    parser.add_argument(
        "--fail",
        default="",
        help="discovery pages answering 500: feed, news_sitemap, listing (comma-separated; the "
        "sitemap index: --sitemap-quirks failing-index)",
    )
    parser.add_argument(
        "--redesign-listing",
        action="store_true",
        help="listing cards in a markup no card selector knows",
    )
    parser.add_argument(
        "--future-dated",
        default="",
        help="news codes printed with a date a year ahead (comma-separated)",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted."""
    args = build_parser().parse_args(argv)
    if not args.host.startswith("127.") and args.host not in ("localhost", "::1"):
        raise SystemExit("the replica serves on loopback addresses only")
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    server = ReplicaServer(
        Corpus(args.articles, seed=args.seed, draft_share=args.draft_share),
        host=args.host,
        port=args.port,
        archive_allowed=args.allow_archive,
        challenge_share=args.challenge_share,
        script_body_share=args.script_body_share,
        crawl_delay=args.crawl_delay,
        validators=args.validators,
        broken=tuple(part for part in args.broken.split(",") if part),
        short_links=args.short_links,
        failing=tuple(part for part in args.fail.split(",") if part),
        listing_redesign=args.redesign_listing,
        future_dated=frozenset(int(code) for code in args.future_dated.split(",") if code),
        sitemap_quirks=args.sitemap_quirks,
        weight=args.weight,
    )
    logger.info("Replica of %d articles at %s (seed %d)", args.articles, server.base_url, args.seed)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        logger.info("Stopped")
    finally:
        server.httpd.server_close()


if __name__ == "__main__":
    main()
