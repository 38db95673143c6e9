"""The replica's browser-only answers: an ArvanCloud-style challenge, and script-built bodies.

Some Iranian news sites sit behind ArvanCloud, which answers a client without its cookie with a
small page whose script sets the cookie and reloads; only a client that runs the script gets the
article. The replica does the same for a deterministic share of article URLs, so a crawl that
needs a browser can be tested; the cookie is one per replica, so a client that earned it once
(in a browser) passes with it on every later request, plain HTTP included. Another share of
articles has its body filled in by a script, as a script-built theme would.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

COOKIE_NAME = "__arcsjs"


def drawn(seed: int, news_code: int, purpose: str, share: float) -> bool:
    """Whether the article ``news_code`` is in ``share`` (0 to 1) of articles, for ``purpose``;
    the same answer every time for the same seed."""
    if share <= 0:
        return False
    digest = hashlib.sha256(f"{seed}:{news_code}:{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def cookie_value(cookie_header: str, name: str) -> str | None:
    """The value of cookie ``name`` in a ``Cookie`` request header, else ``None``."""
    for pair in cookie_header.split(";"):
        key, _, value = pair.strip().partition("=")
        if key == name:
            return value
    return None


def challenge_page(token: str) -> str:
    """ArvanCloud-style challenge: a few hundred bytes whose script sets the cookie and reloads."""
    return (
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>ArvanCloud</title></head>'
        "<body><p>Checking your browser before accessing the website. "
        "DDoS protection by ArvanCloud.</p>"
        f'<script>document.cookie = "{COOKIE_NAME}={token}; path=/"; location.reload();</script>'
        "</body></html>"
    )


@dataclass(frozen=True)
class BrowserGate:
    """Which articles are challenged or script-built, and which clients have passed."""

    seed: int
    challenge_share: float = 0.0
    script_body_share: float = 0.0

    def __post_init__(self) -> None:
        for name in ("challenge_share", "script_body_share"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, not {getattr(self, name)}")

    @property
    def token(self) -> str:
        """The cookie value the challenge's script sets (one per replica)."""
        return hashlib.sha256(f"arvancloud:{self.seed}".encode()).hexdigest()[:32]

    def challenges(self, news_code: int, cookie_header: str) -> bool:
        """Whether a request for ``news_code`` carrying ``cookie_header`` gets the challenge."""
        if not drawn(self.seed, news_code, "challenge", self.challenge_share):
            return False
        return cookie_value(cookie_header, COOKIE_NAME) != self.token

    def script_body(self, news_code: int) -> bool:
        """Whether the article's body is inserted by a script."""
        return drawn(self.seed, news_code, "script_body", self.script_body_share)
