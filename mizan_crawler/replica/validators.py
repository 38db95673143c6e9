"""Conditional GET for the replica's discovery documents: ``ETag`` and ``Last-Modified`` on the
answer, ``304 Not Modified`` when the client already has it (RFC 9110, section 13).

A switch of the server (``validators=True``), off by default, because the live site may or may not
send validators and a crawler has to work either way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime

from .replies import Reply

# The conditions a client may send, as the handler passes them on.
CONDITION_HEADERS = ("If-None-Match", "If-Modified-Since")


def entity_tag(body: bytes) -> str:
    """A strong ETag that changes exactly when the body does."""
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def http_date(moment: datetime) -> str:
    """``Sat, 01 Jun 2024 04:30:00 GMT`` (whole seconds, as HTTP dates are)."""
    return format_datetime(moment.astimezone(UTC), usegmt=True)


def _matches(if_none_match: str, etag: str) -> bool:
    """Whether an ``If-None-Match`` list names ``etag`` (weak comparison, ``*`` matches all)."""
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def _unmodified_since(if_modified_since: str, modified: datetime) -> bool:
    """Whether the client's copy, dated ``if_modified_since``, is as new as ``modified``."""
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError):
        return False  # an unreadable date is ignored, as RFC 9110 says
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    return modified.replace(microsecond=0) <= since


def not_modified(conditions: Mapping[str, str], etag: str, modified: datetime) -> bool:
    """RFC 9110 13.2.2: ``If-None-Match`` decides when present; ``If-Modified-Since`` only
    without it."""
    if_none_match = conditions.get("If-None-Match")
    if if_none_match:
        return _matches(if_none_match, etag)
    if_modified_since = conditions.get("If-Modified-Since")
    return bool(if_modified_since) and _unmodified_since(if_modified_since, modified)


def conditional(reply: Reply, conditions: Mapping[str, str], modified: datetime) -> Reply:
    """``reply`` (a 200) with its validators, or a bodiless 304 carrying them when the client's
    copy is current."""
    if reply.status != 200:
        return reply
    etag = entity_tag(reply.body)
    validators = {"ETag": etag, "Last-Modified": http_date(modified)}
    if not_modified(conditions, etag, modified):
        return Reply(304, b"", reply.content_type, {**reply.headers, **validators})
    reply.headers.update(validators)
    return reply
