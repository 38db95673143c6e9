"""The last guard of the crawl's log: whatever a component, a driver or Scrapy itself writes, no
secret of the crawl's settings reaches the log.

Our own messages already show addresses through ``redaction.redact_url``; this guard is for the
messages we do not write: Scrapy's ``Overridden settings`` and stats dump, a driver's error text,
a traceback. ``SecretFilterAddon`` (first in ``ADDONS``) puts a ``SecretFilter`` on the handlers
of the root logger, which Scrapy has installed by then (``Crawler.__init__``); a handler's filter
sees every record that reaches it, from any logger (a logger's own filter would see only records
logged on that very logger). The add-on runs before the other add-ons, the extensions and the
``Overridden settings`` line (``tests/test_secret_crawls.py`` checks that line in a real crawl).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from scrapy.settings import BaseSettings, default_settings

from .redaction import is_secret_setting, redact_text, text_secrets, url_secrets

# Settings that name a server and may be a libpq keyword/value string rather than a URL.
_ADDRESS_SETTING = re.compile(r"(_URL|_DSN|_URI)$")


def crawl_secrets(settings: BaseSettings | Mapping[str, Any]) -> list[str]:
    """Every secret value the settings hold: passwords and secret query values of every address
    (``DATABASE_URL``, ``MIZAN_REDIS_URL``, a feed URI), and the values of secret-named settings
    (notification tokens)."""
    found: list[str] = []
    for name in list(settings):
        value = settings[name]
        if _is_secret_setting(name, value):
            found.append(value)
        if isinstance(value, str) and _ADDRESS_SETTING.search(name.upper()):
            found += url_secrets(value)
        found += [secret for text in _strings(value) for secret in text_secrets(text)]
    return sorted(set(found) - {""}, key=len, reverse=True)


def _is_secret_setting(name: str, value: Any) -> bool:
    """A secret-named setting, set (Scrapy's own defaults are no one's secret: FTP_PASSWORD is
    "guest", for anonymous FTP)."""
    return (
        isinstance(value, str)
        and bool(value)
        and is_secret_setting(name)
        and value != getattr(default_settings, name, None)
    )


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    """The strings in a setting's value, keys of dicts included (``FEEDS`` is keyed by URI)."""
    if isinstance(value, str):
        yield value
    elif depth < 4 and isinstance(value, BaseSettings | Mapping):
        for key in list(value):
            yield from _strings(key, depth + 1)
            yield from _strings(value[key], depth + 1)
    elif depth < 4 and isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item, depth + 1)


class SecretFilter(logging.Filter):
    """Rewrites a record's message, traceback and stack with every secret masked (the record is
    kept: a line is never lost, only what it must not show)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Mask these too (longest first, so no part of a longer secret is left)."""
        self.secrets = sorted(set(self.secrets).union(secrets) - {""}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):  # a malformed call; logging reports it itself
            return True
        redacted = redact_text(message, self.secrets)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact_text(record.exc_text, self.secrets)
        if record.stack_info:
            record.stack_info = redact_text(record.stack_info, self.secrets)
        return True


def install(secrets: Iterable[str], logger: logging.Logger | None = None) -> None:
    """Make every handler of ``logger`` (the root logger) mask ``secrets``: one ``SecretFilter``
    a handler, which also keeps masking the secrets of an earlier crawler of the process."""
    logger = logger or logging.getLogger()
    secrets = list(secrets)
    for handler in logger.handlers:
        present = [f for f in handler.filters if isinstance(f, SecretFilter)]
        if present:
            present[0].add(secrets)
        else:
            handler.addFilter(SecretFilter(secrets))


class SecretFilterAddon:
    """``ADDONS`` entry, first of them: masks the crawl's secrets in every log line."""

    def update_settings(self, settings: BaseSettings) -> None:
        install(crawl_secrets(settings))
