"""``python -m mizan_crawler.oneoff SPIDER name=value ...``: one crawl with spider arguments
written plainly, as in ``docker compose run backfill from=2024-06-01 to=2024-06-30``."""

from __future__ import annotations

import os
import sys

from .scheduler import crawl_command

# Options of `scrapy crawl` followed by a value, which is not a spider argument.
VALUED_OPTIONS = frozenset(
    {"-a", "-s", "--set", "-o", "--output", "-O", "--overwrite-output", "-L", "--loglevel"}
)


def crawl_arguments(words: list[str]) -> list[str]:
    """``name=value`` words become ``-a name=value``; options and their values pass through."""
    arguments: list[str] = []
    for position, word in enumerate(words):
        is_option_value = position > 0 and words[position - 1] in VALUED_OPTIONS
        is_spider_argument = "=" in word and not word.startswith("-") and not is_option_value
        arguments += ["-a", word] if is_spider_argument else [word]
    return arguments


def main(argv: list[str] | None = None) -> None:
    words = sys.argv[1:] if argv is None else argv
    if not words:
        raise SystemExit(
            "usage: python -m mizan_crawler.oneoff SPIDER [name=value ...] [crawl options]"
        )
    command = crawl_command(words[0], crawl_arguments(words[1:]))
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
