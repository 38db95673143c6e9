"""Normalise the text fields of every item, whichever spider or loader produced it."""

from __future__ import annotations

from typing import Any

from itemadapter import ItemAdapter

from ..text import normalize_line, normalize_or_none

LINE_FIELDS = ("title", "uptitle", "lead", "service", "category")


def normalize_body(body: str | None) -> str:
    """Each paragraph normalised, empty ones dropped, joined by one blank line."""
    paragraphs = (normalize_line(part) for part in (body or "").split("\n\n"))
    return "\n\n".join(part for part in paragraphs if part)


class NormalizePipeline:
    """Idempotent: items from the article loader come out unchanged."""

    def process_item(self, item: Any) -> Any:
        adapter = ItemAdapter(item)
        for name in LINE_FIELDS:
            if name in adapter:
                adapter[name] = normalize_or_none(adapter.get(name))
        if "body" in adapter:
            adapter["body"] = normalize_body(adapter.get("body"))
        if "tags" in adapter:
            tags = (normalize_line(tag) for tag in adapter.get("tags") or [])
            adapter["tags"] = list(dict.fromkeys(tag for tag in tags if tag))
        return item
