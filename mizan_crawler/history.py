"""What changed between the kept versions of an article: fields compared, text diffed by paragraph.

Pure functions over records (no store, no I/O): ``history`` and ``export`` feed them the versions
the store keeps. Text is compared and printed in whole paragraphs (the body's are separated by one
blank line), never cut inside a word, so every ZWNJ of the Persian text reaches the reader intact.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from .exporters import LIST_SEPARATOR
from .items import ARTICLE_FIELDS
from .store.records import LIST_FIELDS, UNFINGERPRINTED

# The fields an edit can change: all the record says but when it was fetched and its fingerprint.
COMPARED_FIELDS = tuple(name for name in ARTICLE_FIELDS if name not in UNFINGERPRINTED)
TEXT_FIELDS = ("title", "uptitle", "lead", "body")
PARAGRAPH_BREAK = "\n\n"


@dataclass(frozen=True)
class Version:
    """One kept version of an article, numbered from 1 (the oldest crawl)."""

    number: int
    record: dict[str, Any]
    is_current: bool
    changed_fields: list[str] = field(default_factory=list)
    """Fields that differ from the version before (none for the first)."""


def _value(record: dict[str, Any], name: str) -> Any:
    value = record.get(name)
    return list(value or []) if name in LIST_FIELDS else value


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """The compared fields whose values differ, in the record's order (``[]`` without a
    ``before``)."""
    if before is None:
        return []
    return [name for name in COMPARED_FIELDS if _value(before, name) != _value(after, name)]


def versions(records: Iterable[dict[str, Any]]) -> Iterator[Version]:
    """``records`` (one article's versions, oldest first, each with ``is_current``) numbered,
    each with what changed since the one before."""
    previous: dict[str, Any] | None = None
    for number, record in enumerate(records, start=1):
        yield Version(
            number, record, bool(record.get("is_current")), changed_fields(previous, record)
        )
        previous = record


def paragraphs(text: str | None) -> list[str]:
    """A text field's paragraphs (a title or lead is one paragraph; nothing is none)."""
    return text.split(PARAGRAPH_BREAK) if text else []


def _removed_added(before: list[Any], after: list[Any]) -> tuple[list[Any], list[Any]]:
    """What ``SequenceMatcher`` finds removed from ``before`` and added in ``after``, whole items,
    in order."""
    removed: list[Any] = []
    added: list[Any] = []
    matcher = SequenceMatcher(None, before, after, autojunk=False)
    for tag, low, high, new_low, new_high in matcher.get_opcodes():
        if tag in ("replace", "delete"):
            removed.extend(before[low:high])
        if tag in ("replace", "insert"):
            added.extend(after[new_low:new_high])
    return removed, added


def change(name: str, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """One changed field as data: the ``removed`` and ``added`` paragraphs of a text field or
    items of a list (a list only reordered: its new ``order``), else the value ``before`` and
    ``after`` (also a text that went from none to empty or back)."""
    old, new = _value(before, name), _value(after, name)
    if name in TEXT_FIELDS and (paragraphs(old) or paragraphs(new)):
        removed, added = _removed_added(paragraphs(old), paragraphs(new))
        return {"removed": removed, "added": added}
    if name in LIST_FIELDS:
        removed = [item for item in old if item not in new]
        added = [item for item in new if item not in old]
        return {"removed": removed, "added": added} if removed or added else {"order": new}
    return {"before": old, "after": new}


def diff_lines(name: str, before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """One changed field for people: ``- `` what went, ``+ `` what came, whole paragraphs or
    items (a paragraph's own line breaks indented under it)."""
    found = change(name, before, after)
    if "order" in found:
        return [f"same items, now in this order: {LIST_SEPARATOR.join(found['order'])}"]
    if "removed" in found:
        gone, came = found["removed"], found["added"]
    else:
        gone, came = [found["before"]], [found["after"]]
    return [
        f"{sign} {_shown(item)}".replace("\n", "\n  ")
        for sign, items in (("-", gone), ("+", came))
        for item in items
    ]


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "(none)" if value is None else "(empty)"
    return str(value)


def describe(news_code: int, kept: list[Version]) -> str:
    """The history as text: each version with when it was crawled, what changed and how."""
    lines = [f"news code {news_code}: {len(kept)} kept versions, oldest first"]
    for number, version in enumerate(kept):
        current = " (current)" if version.is_current else ""
        lines += ["", f"version {version.number}{current}, crawled {version.record['crawled_at']}"]
        if number == 0:
            lines.append("  the first kept version")
            continue
        lines.append(f"  changed: {', '.join(version.changed_fields) or 'nothing'}")
        before = kept[number - 1].record
        for name in version.changed_fields:
            lines.append(f"  {name}:")
            lines += [f"    {line}" for line in diff_lines(name, before, version.record)]
    return "\n".join(lines)


def as_json(news_code: int, kept: list[Version]) -> str:
    """The history for scripts: every version's record, changed fields and changes."""
    entries = []
    for number, version in enumerate(kept):
        before = kept[number - 1].record if number else None
        entries.append(
            {
                "version": version.number,
                "is_current": version.is_current,
                "crawled_at": version.record["crawled_at"],
                "changed_fields": version.changed_fields,
                "changes": {
                    name: change(name, before, version.record)
                    for name in version.changed_fields
                    if before is not None
                },
                "record": {name: version.record.get(name) for name in ARTICLE_FIELDS},
            }
        )
    document = {"news_code": news_code, "versions": entries}
    return json.dumps(document, ensure_ascii=False, indent=2, default=str)
