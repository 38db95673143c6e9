"""Politeness defaults, the Retry-After arithmetic, the site's domains and the command line."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

import pytest
from scrapy.utils.project import get_project_settings

from mizan_crawler.middlewares import retry_after_seconds
from mizan_crawler.spiders.base import allowed_domains_for


def test_polite_defaults() -> None:
    settings = get_project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1
    assert settings.get("USER_AGENT").startswith("mizan-crawler/")
    assert settings.get("FEED_EXPORT_ENCODING") == "utf-8"
    assert settings.get("MIZAN_BASE_URL") == "https://www.mizanonline.ir"
    middlewares = settings.getdict("DOWNLOADER_MIDDLEWARES")
    assert middlewares["scrapy.downloadermiddlewares.retry.RetryMiddleware"] is None
    assert "mizan_crawler.middlewares.PoliteRetryMiddleware" in middlewares


def test_base_url_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    code = "from mizan_crawler import settings; print(settings.MIZAN_BASE_URL)"
    env = {"MIZAN_BASE_URL": "http://127.0.0.1:9"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("header", "seconds"),
    [("120", 120.0), (b"7", 7.0), (" 3 ", 3.0), (None, None), ("soon", None)],
)
def test_retry_after_seconds(header: str | bytes | None, seconds: float | None) -> None:
    assert retry_after_seconds(header) == seconds


def test_retry_after_http_date() -> None:
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Thu, 01 Jan 2026 12:01:30 GMT", now=now) == 90.0
    assert retry_after_seconds("Thu, 01 Jan 2026 11:00:00 GMT", now=now) == 0.0


@pytest.mark.parametrize(
    ("base", "domains"),
    [
        ("https://www.mizanonline.ir", ["mizanonline.ir", "mizanonline.com"]),
        ("https://mizanonline.ir/", ["mizanonline.ir", "mizanonline.com"]),
        ("http://127.0.0.1:8000", ["127.0.0.1"]),
    ],
)
def test_allowed_domains(base: str, domains: list[str]) -> None:
    assert allowed_domains_for(base) == domains


def test_console_script_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mizan_crawler", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "crawl" in done.stdout and "replica" in done.stdout


def test_console_script_passes_through_to_scrapy_crawl() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mizan_crawler", "crawl", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0
    assert "-a NAME=VALUE" in done.stdout
