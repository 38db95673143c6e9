"""The replica's HTTP server: routes in a table, so later features add a line, not a rewrite.

Run it with ``python -m mizan_crawler.replica --port 8000 --articles 1000 --seed 1``; tests use
``ReplicaServer(corpus).start()`` on a free port. It binds to 127.0.0.1 only.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from . import render
from .corpus import Corpus

LISTING_PAGE_SIZE = 30
REQUEST_LOG_SIZE = 1_000_000


@dataclass
class Reply:
    """What a route answers."""

    status: int
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LoggedRequest:
    """One request the replica answered: what a test asserts politeness and fetch counts on."""

    path: str
    status: int
    at: float


def _html(status: int, page: str) -> Reply:
    return Reply(status, page.encode("utf-8"))


def _json(data: object) -> Reply:
    return Reply(200, json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json")


Route = Callable[["ReplicaServer", re.Match[str], dict[str, list[str]]], Reply]


class ReplicaServer:
    """Serves a :class:`Corpus` in the live site's URL forms and templates."""

    def __init__(self, corpus: Corpus, host: str = "127.0.0.1", port: int = 0) -> None:
        self.corpus = corpus
        self.requests: deque[LoggedRequest] = deque(maxlen=REQUEST_LOG_SIZE)
        self._scripted: dict[str, deque[Reply]] = {}
        self._lock = threading.Lock()
        handler = type("Handler", (_Handler,), {"replica": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> ReplicaServer:
        """Serve in a background thread; returns ``self``."""
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in this thread until interrupted."""
        self.httpd.serve_forever()

    def script(self, path: str, *replies: Reply) -> None:
        """Answer the next requests for ``path`` with ``replies``, in order, then as usual."""
        with self._lock:
            self._scripted.setdefault(path, deque()).extend(replies)

    def requests_for(self, path: str) -> list[LoggedRequest]:
        """The logged requests whose path (with query) is ``path``."""
        return [logged for logged in list(self.requests) if logged.path == path]

    def answer(self, target: str) -> Reply:
        """The reply to a GET of ``target`` (path and query)."""
        with self._lock:
            scripted = self._scripted.get(target)
            if scripted:
                return scripted.popleft()
        parts = urlsplit(target)
        path, query = unquote(parts.path), parse_qs(parts.query)
        for pattern, route in ROUTES:
            match = pattern.fullmatch(path)
            if match:
                return route(self, match, query)
        return _html(404, render.error_page())

    # Routes -------------------------------------------------------------------------------

    def article(self, match: re.Match[str], query: dict[str, list[str]]) -> Reply:
        found = self.corpus.by_code(int(match.group("code")))
        if found is None:
            return _html(404, render.error_page())
        if found.withdrawn:
            return _html(200, render.error_page())  # the CMS answers 200 for a withdrawn story
        return _html(200, render.article_page(found))

    def allnews(self, match: re.Match[str], query: dict[str, list[str]]) -> Reply:
        pages = math.ceil(len(self.corpus) / LISTING_PAGE_SIZE)
        page = _int_param(query, "p", 1)
        if not 1 <= page <= pages:
            return _html(404, render.error_page())
        articles = self.corpus.newest(LISTING_PAGE_SIZE, offset=(page - 1) * LISTING_PAGE_SIZE)
        return _html(200, render.listing_page(articles, page, pages))

    def truth(self, match: re.Match[str], query: dict[str, list[str]]) -> Reply:
        return _json(list(self.truth_records()))

    def truth_one(self, match: re.Match[str], query: dict[str, list[str]]) -> Reply:
        found = self.corpus.by_code(int(match.group("code")))
        if found is None:
            return _json(None)
        return _json(self.corpus.expected_record(found, self.base_url))

    def request_log(self, match: re.Match[str], query: dict[str, list[str]]) -> Reply:
        return _json([vars(logged) for logged in list(self.requests)])

    def truth_records(self) -> Iterator[dict[str, object]]:
        """What exists: every published, not withdrawn article, oldest first, as a short record."""
        for article in self.corpus:
            if not article.withdrawn:
                yield {
                    "news_code": article.news_code,
                    "published_at": article.published.isoformat(),
                }


def _int_param(query: dict[str, list[str]], name: str, default: int) -> int:
    try:
        return int(query.get(name, [str(default)])[0])
    except ValueError:
        return 0


ROUTES: list[tuple[re.Pattern[str], Callable[..., Reply]]] = [
    (re.compile(r"/fa/news/(?P<code>\d{1,9})(?:/[^/]*)?/?"), ReplicaServer.article),
    (re.compile(r"/fa/allnews/?"), ReplicaServer.allnews),
    (re.compile(r"/_replica/truth"), ReplicaServer.truth),
    (re.compile(r"/_replica/truth/(?P<code>\d{1,9})"), ReplicaServer.truth_one),
    (re.compile(r"/_replica/requests"), ReplicaServer.request_log),
]


class _Handler(BaseHTTPRequestHandler):
    replica: ReplicaServer
    server_version = "replica-iransamaneh/1.0"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._reply(send_body=True)

    def do_HEAD(self) -> None:
        self._reply(send_body=False)

    def _reply(self, send_body: bool) -> None:
        reply = self.replica.answer(self.path)
        self.replica.requests.append(LoggedRequest(self.path, reply.status, time.monotonic()))
        self.send_response(reply.status, HTTPStatus(reply.status).phrase)
        self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if send_body:
            self.wfile.write(reply.body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the request log above is the record."""
