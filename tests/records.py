"""Records for store and export tests."""

from __future__ import annotations

import hashlib
from typing import Any


def record(code: int, **changes: Any) -> dict[str, Any]:
    """A valid record for ``code``; ``changes`` override fields (the hash follows the text)."""
    base: dict[str, Any] = {
        "news_code": code,
        "url": f"https://www.mizanonline.ir/fa/news/{code}/خبر-{code}",
        "title": f"عنوان خبر {code}",
        "uptitle": None,
        "lead": "لید خبر با گفت\u200cوگو",
        "body": "پاراگراف یک.\n\nپاراگراف دو.",
        "published_at": "2024-06-01T08:00:00+03:30",
        "published_at_jalali": "1403-03-12 08:00",
        "published_at_raw": "۱۲ خرداد ۱۴۰۳ - ۰۸:۰۰",
        "service": "سیاسی",
        "category": "سیاست خارجی",
        "tags": ["قطر", "غزه"],
        "image_urls": [f"https://www.mizanonline.ir/files/{code}.jpg"],
        "kind": "news",
        "source": "mizanonline.ir",
        "language": "fa",
        "crawled_at": "2026-01-01T00:00:00+00:00",
        "modified_at": None,
        "archive_record": f"mizan-20260101T000000Z-0a1b2c-00000.warc.gz#{1000 * code}",
        "withdrawn_at": None,
    }
    base.update(changes)
    if "content_hash" not in changes:
        text = "\n".join((base["title"], base["lead"] or "", base["body"]))
        base["content_hash"] = hashlib.sha256(text.encode()).hexdigest()
    return base
