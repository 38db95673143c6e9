"""What a route answers, and the few shapes of answer the replica gives."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from . import render


@dataclass
class Reply:
    """What a route answers."""

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    fault: str | None = None  # how the handler should misbehave sending it: truncated or slow


def html(status: int, page: str) -> Reply:
    """An HTML page."""
    return Reply(status, page.encode("utf-8"))


def not_found() -> Reply:
    """The CMS's error page with status 404."""
    return html(404, render.error_page())


def json_reply(data: object, status: int = 200) -> Reply:
    """JSON in UTF-8 (Persian left readable)."""
    body = json.dumps(data, ensure_ascii=False).encode("utf-8")
    return Reply(status, body, "application/json")


def xml(text: str, content_type: str = "application/xml; charset=utf-8") -> Reply:
    """An XML document: sitemaps by default, RSS with its own type."""
    return Reply(200, text.encode("utf-8"), content_type)


def plain(text: str) -> Reply:
    """A plain-text document such as robots.txt."""
    return Reply(200, text.encode("utf-8"), "text/plain; charset=utf-8")


def redirect(location: str) -> Reply:
    """A permanent redirect, as short links answer."""
    return Reply(301, b"", headers={"Location": location})
