"""``python -m mizan_crawler`` is the ``mizan-crawler`` command."""

from __future__ import annotations

from .cli import main

main()
