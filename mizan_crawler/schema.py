"""The record's JSON Schema, generated from the ``Article`` class so it is never written twice.

The validate pipeline checks every item against it, as Spidermon does
(``SPIDERMON_VALIDATION_SCHEMAS``; ``pipelines/validate.py``).
"""

from __future__ import annotations

import types
import typing
from dataclasses import MISSING, fields
from typing import Any

from .items import Article

# An aware ISO 8601 moment; a meta tag may give fractions of a second, which are kept.
_AWARE_ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}:\d{2}$"
# Constraints the types alone do not say.
_EXTRA: dict[str, dict[str, Any]] = {
    "news_code": {"minimum": 1},
    "url": {"pattern": r"^https?://[^\s/]+/fa/news/\d+(/[^\s]*)?$"},
    "title": {"minLength": 1},
    "published_at": {"pattern": _AWARE_ISO},
    "published_at_jalali": {"pattern": r"^1[34]\d{2}-\d{2}-\d{2} \d{2}:\d{2}$"},
    "kind": {"enum": ["news", "photo", "video"]},
    "crawled_at": {"pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}"},
    "archive_record": {"pattern": r"^.+#\d+$"},
    "content_hash": {"pattern": "^[0-9a-f]{64}$"},
    "source": {"const": "mizanonline.ir"},
    "language": {"const": "fa"},
    "modified_at": {"pattern": _AWARE_ISO},
    "withdrawn_at": {"pattern": _AWARE_ISO},
}
_JSON_TYPES = {int: "integer", str: "string", list: "array"}


def _json_type(annotation: Any) -> dict[str, Any]:
    origin = typing.get_origin(annotation)
    if origin in (types.UnionType, typing.Union):
        parts = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        inner = _json_type(parts[0])
        return {**inner, "type": [inner["type"], "null"]}
    if origin is list:
        (item,) = typing.get_args(annotation)
        return {"type": "array", "items": _json_type(item)}
    return {"type": _JSON_TYPES[annotation]}


def article_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of an ``Article`` as exported."""
    hints = typing.get_type_hints(Article)
    properties, required = {}, []
    for field in fields(Article):
        properties[field.name] = {
            **_json_type(hints[field.name]),
            **_EXTRA.get(field.name, {}),
            "description": field.metadata["doc"],
        }
        if field.default is MISSING and field.default_factory is MISSING:
            required.append(field.name)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Mizan Online article",
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": False,
    }


ARTICLE_SCHEMA = article_schema()
