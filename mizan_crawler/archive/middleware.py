"""The downloader middleware that writes every fetch to the web archive.

It sits nearest the downloader (950, above Scrapy's 900 and every middleware of ours), so its
``process_response`` (called from the highest number down) sees each answer as it came off the
wire: a 3xx before RedirectMiddleware (600) follows it, a 304 before the HTTP cache (540) swaps
in the stored copy, a compressed body before HttpCompressionMiddleware (590) inflates it, a 503
before a retry, robots.txt (RobotsTxtMiddleware downloads it through this chain too). A copy the
HTTP cache serves without asking the site (flag ``cached``) is no fetch and is not written.

Whoever handles the response finds where it lies in ``meta["archive_record"]`` and when it was
fetched (the record's WARC-Date) in ``meta["fetched_at"]``: the article's ``archive_record`` and
``crawled_at``, so a reparse of the record gives the very same row.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import UTC, datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

from scrapy import Request, Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, Response
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from .files import WarcFiles, warc_date

logger = logging.getLogger(__name__)

# Scrapy's HTTP/1.1 client removes the chunked framing before the body reaches us; a record that
# kept the header would tell readers to un-chunk a body that no longer is chunked.
DROPPED_RESPONSE_HEADERS = frozenset({"transfer-encoding"})


def _header_pairs(headers: Headers, dropped: frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        if name.decode("latin-1").lower() not in dropped
        for value in values
    ]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _sha1(*parts: bytes) -> str:
    digest = hashlib.sha1()
    for part in parts:
        digest.update(part)
    return "sha1:" + base64.b32encode(digest.digest()).decode("ascii")


def _record(
    builder: WARCWriter,
    url: str,
    kind: str,
    http: StatusAndHeaders,
    *,
    body: bytes,
    warc_headers: dict[str, str],
) -> ArcWarcRecord:
    """A record of ``body`` whose length and digests are given to warcio, not left to it: told
    neither, it copies the body into a buffer and digests it in 16 KiB steps, twice (to build
    the record, then to write it), which cost more than compressing a page of the live site's
    weight. The block digest covers the HTTP head exactly as the writer serialises it."""
    http.compute_headers_buffer()
    head = http.headers_buff
    headers = {
        **warc_headers,
        "WARC-Payload-Digest": _sha1(body),
        "WARC-Block-Digest": _sha1(head, body),
    }
    return builder.create_warc_record(
        url, kind, payload=BytesIO(body), length=len(body), http_headers=http,
        warc_headers_dict=headers,
    )  # fmt: skip


def request_record(builder: WARCWriter, request: Request, date: str) -> ArcWarcRecord:
    """The request as sent (headers of every middleware included, ``Host`` added as the client
    adds it)."""
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    pairs = _header_pairs(request.headers)
    if not any(name.lower() == "host" for name, _ in pairs):
        pairs.insert(0, ("Host", parts.netloc))
    http = StatusAndHeaders(f"{request.method} {target} HTTP/1.1", pairs, is_http_request=True)
    return _record(
        builder, request.url, "request", http, body=request.body, warc_headers={"WARC-Date": date}
    )


def response_record(builder: WARCWriter, response: Response, date: str) -> ArcWarcRecord:
    """The response as received: status, headers and the body as it came (still compressed)."""
    protocol = response.protocol if (response.protocol or "").startswith("HTTP/1") else "HTTP/1.1"
    http = StatusAndHeaders(
        f"{response.status} {_reason(response.status)}",
        _header_pairs(response.headers, DROPPED_RESPONSE_HEADERS),
        protocol=protocol,
    )
    warc_headers = {"WARC-Date": date}
    if response.ip_address is not None:
        warc_headers["WARC-IP-Address"] = str(response.ip_address)
    return _record(
        builder, response.url, "response", http, body=response.body, warc_headers=warc_headers
    )


class ArchiveMiddleware:
    """Writes a request record and its response record (``WARC-Concurrent-To`` linking them)
    for every response. Off when ``MIZAN_ARCHIVE_DIR`` is empty; files roll at
    ``MIZAN_ARCHIVE_FILE_BYTES``. Stats: ``mizan/archive/records|bytes|files|failed``.

    A record that cannot be written (disk full) is an error in the log and the stats, and the
    crawl goes on: its article is stored without an archive position.
    """

    def __init__(self, crawler: Crawler, directory: Path, max_bytes: int) -> None:
        self.stats = crawler.stats
        info = {"format": "WARC File Format 1.1", "robots": "obey"}
        self.files = WarcFiles(directory, max_bytes, info)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchiveMiddleware:
        directory = crawler.settings.get("MIZAN_ARCHIVE_DIR")
        if not directory:
            raise NotConfigured("MIZAN_ARCHIVE_DIR is empty: no web archive")
        max_bytes = crawler.settings.getint("MIZAN_ARCHIVE_FILE_BYTES", 1_000_000_000)
        middleware = cls(crawler, Path(directory).absolute(), max_bytes)
        crawler.signals.connect(middleware.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def spider_opened(self, spider: Spider) -> None:
        self.files.info["isPartOf"] = spider.name
        logger.info("Keeping every fetched page in the web archive %s", self.files.directory)

    def spider_closed(self, spider: Spider) -> None:
        self.files.close()

    def process_response(self, request: Request, response: Response) -> Response:
        if "cached" in response.flags:
            return response
        fetched = datetime.now(UTC).replace(microsecond=0)
        try:
            position = self._write(request, response, warc_date(fetched))
        except OSError as error:
            self.stats.inc_value("mizan/archive/failed")
            logger.error(
                "Could not archive %s in %s: %s", response.url, self.files.directory, error
            )
            for key in ("archive_record", "fetched_at"):  # a retry's copies of an earlier answer's
                request.meta.pop(key, None)
            return response
        request.meta["archive_record"] = position
        request.meta["fetched_at"] = fetched.isoformat()
        return response

    def _write(self, request: Request, response: Response, date: str) -> str:
        builder = self.files.builder()
        answer = response_record(builder, response, date)
        asked = request_record(builder, request, date)
        asked.rec_headers.add_header(
            "WARC-Concurrent-To", answer.rec_headers.get_header("WARC-Record-ID")
        )
        written = self.files.append([asked, answer])
        self.stats.inc_value("mizan/archive/records")
        self.stats.inc_value("mizan/archive/bytes", written.size)
        self.stats.set_value("mizan/archive/files", len(self.files.names))
        return written.position()
