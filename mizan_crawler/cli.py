"""The ``mizan-crawler`` command.

mizan-crawler crawl SPIDER [scrapy crawl options]   run a spider with the project's settings
mizan-crawler replica [--port 8000 --articles 1000 --seed 1]   serve the local replica site
"""

from __future__ import annotations

import argparse
import os
import sys

from scrapy.cmdline import execute

from .replica.__main__ import main as replica_main

SETTINGS_MODULE = "mizan_crawler.settings"


def crawl(argv: list[str]) -> None:
    """``scrapy crawl`` with this project's settings, from any directory."""
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", SETTINGS_MODULE)
    execute(["scrapy", "crawl", *argv])


COMMANDS = {"crawl": crawl, "replica": replica_main}


def main(argv: list[str] | None = None) -> None:
    """Dispatch to a sub-command; each takes the rest of the command line as it is."""
    args = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(
        prog="mizan-crawler",
        description="Crawl Mizan Online (mizanonline.ir) into typed article records.",
        epilog="Examples: mizan-crawler crawl article -a urls=4776124 -O articles.jsonl | "
        "mizan-crawler replica --port 8000",
    )
    parser.add_argument("command", choices=sorted(COMMANDS), help="what to do")
    if not args or args[0] in ("-h", "--help") or args[0] not in COMMANDS:
        parser.parse_args(args[:1] or ["--help"])
    COMMANDS[args[0]](args[1:])
