"""Unit tests of browser rendering's settings, add-on and helpers (no browser started)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.http.cookies import CookieJar
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from mizan_crawler.browser import BrowserAddon, BrowserUnavailable, skip_heavy_resource
from mizan_crawler.browser.config import HANDLER, RENDER_TIMEOUT, browser_mode, browser_usable
from mizan_crawler.browser.middleware import is_document_url
from mizan_crawler.browser.page import jar_cookie, render_meta, settled


@pytest.fixture
def fake_chromium(tmp_path: Path) -> str:
    path = tmp_path / "chromium"
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)
    return str(path)


def _settings(**values: str) -> Settings:
    settings = Settings()
    settings.setmodule("mizan_crawler.settings", priority="project")
    for name, value in values.items():
        settings.set(name, value, priority="cmdline")
    return settings


def test_project_settings_cap_and_lighten_the_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCRAPY_SETTINGS_MODULE", "mizan_crawler.settings")
    settings = get_project_settings()
    assert settings.get("MIZAN_PLAYWRIGHT") == "auto"
    assert settings.get("MIZAN_CHROMIUM") == "/usr/bin/chromium"
    assert settings.getdict("DOWNLOADER_MIDDLEWARES")["mizan_crawler.browser.BrowserMiddleware"]
    launch = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
    assert launch["headless"] is True
    for flag in ("--no-sandbox", "--disable-background-networking", "--disable-quic"):
        assert flag in launch["args"]
    assert settings.getint("PLAYWRIGHT_MAX_CONTEXTS") == 1
    assert 1 <= settings.getint("PLAYWRIGHT_MAX_PAGES_PER_CONTEXT") <= 8
    assert settings.get("PLAYWRIGHT_ABORT_REQUEST") == "mizan_crawler.browser.skip_heavy_resource"


def test_mode_is_checked() -> None:
    assert browser_mode(Settings()) == "auto"
    assert browser_mode(Settings({"MIZAN_PLAYWRIGHT": " Never "})) == "never"
    with pytest.raises(ValueError, match="auto, always, never"):
        browser_mode(Settings({"MIZAN_PLAYWRIGHT": "sometimes"}))


@pytest.mark.parametrize("mode", ["auto", "always"])
def test_addon_installs_the_handler_when_a_browser_exists(mode: str, fake_chromium: str) -> None:
    settings = _settings(MIZAN_PLAYWRIGHT=mode, MIZAN_CHROMIUM=fake_chromium)
    BrowserAddon().update_settings(settings)
    handlers = settings.getdict("DOWNLOAD_HANDLERS")
    assert handlers["http"] == handlers["https"] == HANDLER
    launch = settings.getdict("PLAYWRIGHT_LAUNCH_OPTIONS")
    assert launch["executable_path"] == fake_chromium
    assert "--disable-background-networking" in launch["args"]
    assert browser_usable(settings)


def test_a_render_that_times_out_is_retried_and_obeys_download_timeout(fake_chromium: str) -> None:
    settings = _settings(MIZAN_PLAYWRIGHT="auto", MIZAN_CHROMIUM=fake_chromium)
    BrowserAddon().update_settings(settings)
    retried = settings.getlist("RETRY_EXCEPTIONS")
    assert RENDER_TIMEOUT in retried and "scrapy.exceptions.DownloadTimeoutError" in retried
    assert settings.getfloat("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT") == 30_000  # the project's
    settings = _settings(
        MIZAN_PLAYWRIGHT="auto", MIZAN_CHROMIUM=fake_chromium, DOWNLOAD_TIMEOUT="4"
    )
    BrowserAddon().update_settings(settings)
    assert settings.getfloat("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT") == 4_000
    settings = _settings(
        MIZAN_CHROMIUM=fake_chromium,
        DOWNLOAD_TIMEOUT="4",
        PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT="9000",
    )
    BrowserAddon().update_settings(settings)
    assert settings.getfloat("PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT") == 9_000  # asked for itself


def test_addon_keeps_plain_http_with_never(fake_chromium: str) -> None:
    settings = _settings(MIZAN_PLAYWRIGHT="never", MIZAN_CHROMIUM=fake_chromium)
    BrowserAddon().update_settings(settings)
    assert "https" not in settings.getdict("DOWNLOAD_HANDLERS")
    assert not browser_usable(settings)


def test_addon_without_a_browser(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-chromium")
    settings = _settings(MIZAN_PLAYWRIGHT="auto", MIZAN_CHROMIUM=missing)
    BrowserAddon().update_settings(settings)  # auto: plain HTTP, a warning later if needed
    assert "https" not in settings.getdict("DOWNLOAD_HANDLERS")
    settings = _settings(MIZAN_PLAYWRIGHT="always", MIZAN_CHROMIUM=missing)
    with pytest.raises(BrowserUnavailable, match=f"always, but no browser at {missing}"):
        BrowserAddon().update_settings(settings)


def test_browser_cookies_go_into_scrapys_jar() -> None:
    jar = CookieJar()
    host_only = {"name": "__arcsjs", "value": "tok", "domain": "127.0.0.1", "path": "/"}
    host_only |= {"expires": -1, "httpOnly": False, "secure": False, "sameSite": "Lax"}
    jar.set_cookie(jar_cookie(host_only))
    request = Request("http://127.0.0.1:8000/fa/news/1")
    jar.add_cookie_header(request)
    assert request.headers.get("Cookie") == b"__arcsjs=tok"
    other = Request("http://127.0.0.2:8000/fa/news/1")
    jar.add_cookie_header(other)
    assert other.headers.get("Cookie") is None


def test_domain_cookies_reach_subdomains_and_keep_their_expiry() -> None:
    jar = CookieJar()
    data = {"name": "a", "value": "1", "domain": ".mizanonline.ir", "path": "/fa"}
    cookie = jar_cookie(data | {"expires": 4102444800.5, "secure": True, "httpOnly": True})
    assert (cookie.expires, cookie.discard, cookie.has_nonstandard_attr("HttpOnly")) == (
        4102444800,
        False,
        True,
    )
    jar.set_cookie(cookie)
    request = Request("https://www.mizanonline.ir/fa/news/1")
    jar.add_cookie_header(request)
    assert request.headers.get("Cookie") == b"a=1"


@pytest.mark.parametrize(
    ("url", "document"),
    [
        ("https://www.mizanonline.ir/robots.txt", True),
        ("https://www.mizanonline.ir/fa-sitemap-news", True),
        ("https://www.mizanonline.ir/fa-sitemap-newsarchive?y=1403&m=3", True),
        ("https://www.mizanonline.ir/fa/rss/allnews", True),
        ("https://www.mizanonline.ir/feed.xml", True),
        ("https://www.mizanonline.ir/fa/news/4776124", False),
        ("https://www.mizanonline.ir/fa/allnews?p=2", False),
    ],
)
def test_documents_stay_on_plain_http(url: str, document: bool) -> None:
    assert is_document_url(url) is document


def test_heavy_resources_are_not_downloaded() -> None:
    def skipped(kind: str) -> bool:
        return skip_heavy_resource(SimpleNamespace(resource_type=kind))  # type: ignore[arg-type]

    assert all(skipped(kind) for kind in ("image", "font", "media"))
    assert not any(skipped(kind) for kind in ("document", "script", "xhr", "fetch"))


def test_render_meta_and_its_report() -> None:
    meta = render_meta("challenge")
    assert meta["playwright"] is True
    assert meta["playwright_page_goto_kwargs"] == {"wait_until": "commit"}
    assert settled(meta) == {}  # not run yet
    meta["playwright_page_methods"][0].result = {"cookies": [], "status": 200}
    assert settled(meta) == {"cookies": [], "status": 200}
    assert render_meta("x")["playwright_page_methods"][0] is not meta["playwright_page_methods"][0]
