"""The replica's HTTP server: routes in a table, so later features add a line, not a rewrite.

Run it with ``python -m mizan_crawler.replica --port 8000 --articles 1000 --seed 1``; tests use
``ReplicaServer(corpus).start()`` on a free port. It binds to 127.0.0.1 only.

The server keeps a clock: articles published after it do not exist on any URL, feed, sitemap,
listing or truth route. Moving the clock (``set_clock``, ``publish``, ``/_replica/clock``) is how a
test makes news appear between two crawls. ``withdraw``, ``restore`` and ``edit`` are how it makes
the site take an article down, serve it again, or change it (none is used unless a test asks).
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

from . import discovery, render
from .breakage import break_template
from .catalog import Catalog
from .challenge import BrowserGate, challenge_page
from .chrome import WEIGHTS, Chrome
from .corpus import TEHRAN, Corpus, ReplicaArticle, lastmod
from .discovery import LISTING_PAGE_SIZE
from .faults import FaultPlan
from .replies import Reply, html, json_reply, not_found, redirect
from .shortlinks import code_of_token
from .sitemap_quirks import SitemapQuirks
from .validators import CONDITION_HEADERS, conditional

__all__ = ["LISTING_PAGE_SIZE", "LoggedRequest", "ReplicaServer", "Reply"]

REQUEST_LOG_SIZE = 1_000_000
# Seconds between checks for stop(): short, so a test's own server stops without a half-second wait.
SHUTDOWN_POLL = 0.05
Query = dict[str, list[str]]


@dataclass(frozen=True)
class LoggedRequest:
    """One request the replica answered: what a test asserts politeness and fetch counts on."""

    path: str
    status: int
    at: float


Route = Callable[["ReplicaServer", re.Match[str], Query], Reply]


def aware(moment: datetime) -> datetime:
    """``moment`` with a time zone: a naive moment is taken as Iran time."""
    return moment.replace(tzinfo=TEHRAN) if moment.tzinfo is None else moment


def parse_moment(text: str) -> datetime:
    """An ISO 8601 moment from a query string, where an unescaped ``+`` arrives as a space."""
    return aware(datetime.fromisoformat(text.strip().replace(" ", "+")))


class ReplicaServer:
    """Serves a :class:`Corpus` in the live site's URL forms and templates, as of a clock."""

    def __init__(
        self,
        corpus: Corpus,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        now: datetime | None = None,
        archive_allowed: bool = False,
        challenge_share: float = 0.0,
        script_body_share: float = 0.0,
        broken: tuple[str, ...] = (),
        faults: FaultPlan | None = None,
        future_dated: frozenset[int] = frozenset(),
        short_links: bool = False,
        failing: tuple[str, ...] = (),
        listing_redesign: bool = False,
        crawl_delay: float | None = None,
        validators: bool = False,
        sitemap_quirks: SitemapQuirks | None = None,
        weight: str = "light",
    ) -> None:
        self.corpus = corpus
        if weight not in WEIGHTS:
            raise ValueError(f"weight must be one of {', '.join(WEIGHTS)}, not {weight!r}")
        # Article pages at the live site's weight (its menus, lists, scripts; about 185 KB a
        # page) or light ones (about 4 KB, the default, which tests' expectations were made on).
        self.chrome = Chrome(corpus) if weight == "live" else None
        # Irregularities of real sites, each off by default (see ``shown`` and ``answer``):
        # articles printed with a date a year ahead (a typo in the CMS), feed and listings linking
        # by short link, discovery pages answering 500, listing cards in other class names.
        self.future_dated = future_dated
        self.short_links = short_links
        self.failing = failing
        self.listing_redesign = listing_redesign
        # robots.txt asks for this many seconds between requests (None: no Crawl-delay line).
        self.crawl_delay = crawl_delay
        # Discovery documents carry ETag/Last-Modified and answer 304 to a current copy.
        self.validators = validators
        # The archive sitemap's irregularities (see sitemap_quirks.py); none unless given.
        self.sitemap_quirks = sitemap_quirks or SitemapQuirks()
        # Template parts renamed on every article page (see breakage.py), for monitor tests.
        self.broken = broken
        self.faults = faults
        self.attempts: Counter[int] = Counter()  # article requests per news code, for faults
        self.catalog = Catalog(corpus)
        self.archive_allowed = archive_allowed
        # Browser-only answers (see challenge.py); none unless a share is given.
        self.gate = BrowserGate(corpus.seed, challenge_share, script_body_share)
        self.challenges_served: Counter[int] = Counter()
        self.requests: deque[LoggedRequest] = deque(maxlen=REQUEST_LOG_SIZE)
        self._scripted: dict[str, deque[Reply]] = {}
        # Edits a test scheduled (``edit``): per news code, (from when, changed fields), in order.
        self._edits: dict[int, list[tuple[datetime, dict[str, object]]]] = {}
        self.removed: set[int] = set()  # news codes withdrawn by a test: 404, on no list
        self.refusal: Reply | None = None  # the answer to everything, while set
        self._lock = threading.Lock()
        self._clock = (corpus.published(len(corpus) - 1), len(corpus))
        if now is not None:
            self.set_clock(now)
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
        serve = functools.partial(self.httpd.serve_forever, poll_interval=SHUTDOWN_POLL)
        self._thread = threading.Thread(target=serve, daemon=True)
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

    # Clock --------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        """The replica's present: what is published at or before it exists."""
        return self._clock[0]

    @property
    def published_count(self) -> int:
        """How many articles exist at :attr:`now` (indices ``0 .. published_count - 1``)."""
        return self._clock[1]

    def set_clock(self, moment: datetime) -> None:
        """Move the clock to ``moment`` (naive: Iran time), forward or back."""
        moment = aware(moment)
        self._clock = (moment, self.corpus.published_count(moment))

    def publish(self, count: int) -> list[ReplicaArticle]:
        """Move the clock so the next ``count`` articles are published; returns them."""
        before = self.published_count
        target = min(before + count, len(self.corpus))
        if target > before:
            self.set_clock(self.corpus.published(target - 1))
        return [self.build(index) for index in range(before, self.published_count)]

    def published_article(self, news_code: int) -> ReplicaArticle | None:
        """The article with ``news_code`` if it exists at :attr:`now`, withdrawn or not."""
        index = self.corpus.index_of(news_code)
        if index is None or index >= self.published_count:
            return None
        return self.build(index)

    def build(self, index: int) -> ReplicaArticle:
        """The article at ``index`` as it stands at :attr:`now`, with a test's edits once made."""
        return self.edited(self.corpus.article(index))

    def edited(self, article: ReplicaArticle) -> ReplicaArticle:
        """``article`` with every edit scheduled for it (``edit``) that has happened by
        :attr:`now`, applied in the order of their moments; each moves its ``lastmod``."""
        for moment, changes in list(self._edits.get(article.news_code, ())):
            if moment <= self.now:
                change = changes or {"paragraphs": (*article.paragraphs, EDIT_NOTE)}
                edited_at = max(moment, lastmod(article, self.now))
                article = dataclasses.replace(article, **change, edited_at=edited_at)  # type: ignore[arg-type]
        return article

    def edited_codes(self) -> set[int]:
        """The news codes a test scheduled edits for (``edit``)."""
        return set(self._edits)

    def lastmod_of(self, index: int) -> datetime:
        """When the article at ``index`` last changed as of :attr:`now`, a test's edit included."""
        changed = self.corpus.lastmod_of(index, self.now)
        edits = self._edits.get(self.corpus.news_code(index), ())
        return max([changed, *(moment for moment, _ in edits if moment <= self.now)])

    def shown(self, article: ReplicaArticle) -> ReplicaArticle:
        """``article`` (as ``build`` gives it) as its pages and listings print it: a year ahead
        when its date is one of the ``future_dated`` typos (the truth keeps the real date)."""
        if article.news_code not in self.future_dated:
            return article
        return dataclasses.replace(article, published=article.published + FUTURE_TYPO)

    # Test hooks ---------------------------------------------------------------------------

    def withdraw(self, news_code: int) -> None:
        """Take the article down from now on: its URLs answer 404, no list or sitemap has it."""
        index = self._index(news_code)
        self.removed.add(news_code)
        self.catalog.remove(index)

    def restore(self, news_code: int) -> None:
        """Serve a withdrawn article again, on its URLs and every list."""
        index = self._index(news_code)
        self.removed.discard(news_code)
        self.catalog.put_back(index)

    def _index(self, news_code: int) -> int:
        index = self.corpus.index_of(news_code)
        if index is None:
            raise KeyError(f"no article {news_code} in the corpus")
        return index

    def script(self, path: str, *replies: Reply) -> None:
        """Answer the next requests for ``path`` with ``replies``, in order, then as usual."""
        with self._lock:
            self._scripted.setdefault(path, deque()).extend(replies)

    def edit(self, news_code: int, when: datetime | None = None, /, **changes: object) -> None:
        """From ``when`` (default :attr:`now`; naive: Iran time) on, the article ``news_code`` is
        served changed: its pages, listings, sitemap ``lastmod`` and truth show ``changes``,
        fields of :class:`ReplicaArticle` among ``EDITABLE`` (``title=...``,
        ``paragraphs=(...)``, ``tags=(...)``), or without any, one more paragraph. Several edits of
        one article apply in the order of their moments, each over the ones before."""
        self._index(news_code)
        unknown = sorted(set(changes) - EDITABLE)
        if unknown:
            raise ValueError(f"not editable: {', '.join(unknown)} (editable: {sorted(EDITABLE)})")
        with self._lock:
            edits = self._edits.setdefault(news_code, [])
            edits.append((aware(when) if when is not None else self.now, dict(changes)))
            edits.sort(key=lambda edit: edit[0])
        self.catalog.forget_changes()

    def refuse_everything(self, reply: Reply | None) -> None:
        """Answer every request, robots.txt included, with ``reply`` (a site blocking the
        crawler, say 403, or 429 with Retry-After); ``None`` serves as usual again."""
        self.refusal = reply

    def requests_for(self, path: str) -> list[LoggedRequest]:
        """The logged requests whose path (with query) is ``path``."""
        return [logged for logged in list(self.requests) if logged.path == path]

    def article_fetches(self) -> Counter[int]:
        """How often each news code was requested through an article URL form (any status).

        Short links are not counted: the fetch of the article they redirect to is.
        """
        fetches: Counter[int] = Counter()
        for logged in list(self.requests):
            code = article_code(logged.path)
            if code is not None:
                fetches[code] += 1
        return fetches

    def truth_records(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> Iterator[dict[str, object]]:
        """What exists: published, not withdrawn articles in ``[since, until]``, oldest first."""
        span = self.corpus.index_range(
            None if since is None else aware(since), None if until is None else aware(until)
        )
        for index in self.catalog.live(range(span.start, min(span.stop, self.published_count))):
            article = self.build(index)
            yield {
                "news_code": article.news_code,
                "published_at": article.published.isoformat(),
                "lastmod": lastmod(article, self.now).isoformat(),
                "url": self.base_url + article.path,
            }

    def answer(
        self, target: str, cookie_header: str = "", conditions: Mapping[str, str] | None = None
    ) -> Reply:
        """The reply to a GET of ``target`` (path and query) with that ``Cookie`` header and
        those conditional headers (``If-None-Match``, ``If-Modified-Since``)."""
        if self.refusal is not None:
            return self.refusal
        with self._lock:
            scripted = self._scripted.get(target)
            if scripted:
                return scripted.popleft()
        challenged = self.challenge(target, cookie_header)
        if challenged is not None:
            return challenged
        return self._route(target, conditions or {})

    def _route(self, target: str, conditions: Mapping[str, str]) -> Reply:
        """The page ``target`` names, as the switches dress it."""
        parts = urlsplit(target)
        path, query = unquote(parts.path), parse_qs(parts.query)
        if any(FAILABLE[name].fullmatch(path) for name in self.failing):
            return html(500, "<html>Internal Server Error</html>")
        for pattern, route in ROUTES:
            match = pattern.fullmatch(path)
            if match:
                reply = route(self, match, query)
                if self.validators and route in VALIDATED_ROUTES:
                    # Every page is a function of the clock, so nothing served changed after it.
                    return conditional(reply, conditions, self.now)
                return reply
        return not_found()

    def challenge(self, target: str, cookie_header: str) -> Reply | None:
        """The challenge page when ``target`` is a challenged article URL and the request lacks
        the cookie; counted per news code in :attr:`challenges_served`."""
        code = article_code(target)
        if code is None or not self.gate.challenges(code, cookie_header):
            return None
        with self._lock:
            self.challenges_served[code] += 1
        return html(200, challenge_page(self.gate.token))

    # Routes -------------------------------------------------------------------------------

    def article(self, match: re.Match[str], query: Query) -> Reply:
        found = self.published_article(int(match.group("code")))
        if found is None or found.news_code in self.removed:
            return not_found()
        if found.withdrawn:
            return html(200, render.error_page())  # the CMS answers 200 for a withdrawn story
        if self.faults is not None:
            faulty = self.faulty(found.news_code)
            if faulty is not None:
                return faulty
        script_body = self.gate.script_body(found.news_code)
        page = render.article_page(self.shown(found), script_body=script_body, chrome=self.chrome)
        broken = self.broken
        if self.faults is not None and self.faults.is_broken(self.corpus.seed, found.news_code):
            broken = ("date", "body")
        reply = html(200, break_template(page, broken) if broken else page)
        if self.faults is not None:
            reply.fault = self.faults.fault(
                self.corpus.seed, found.news_code, self.attempts[found.news_code] - 1
            )
            reply.fault = reply.fault if reply.fault in ("truncated", "slow") else None
        return reply

    def faulty(self, code: int) -> Reply | None:
        """An error or 429 answer for this attempt at ``code``, as the fault plan says."""
        assert self.faults is not None
        with self._lock:
            attempt = self.attempts[code]
            self.attempts[code] += 1
        fault = self.faults.fault(self.corpus.seed, code, attempt)
        if fault == "errors":
            return html(
                self.faults.error_status(self.corpus.seed, code, attempt), "<html>خطا</html>"
            )
        if fault == "too_many":
            reply = html(429, "<html>Too Many Requests</html>")
            reply.headers["Retry-After"] = str(self.faults.retry_after)
            return reply
        return None

    def short_link(self, match: re.Match[str], query: Query) -> Reply:
        code = code_of_token(match.group("token"))
        found = None if code is None else self.published_article(code)
        if found is None:
            return not_found()
        return redirect(found.encoded_path)

    def truth(self, match: re.Match[str], query: Query) -> Reply:
        try:
            since, until = (_moment_param(query, name) for name in ("from", "to"))
        except ValueError as error:
            return json_reply({"error": str(error)}, 400)
        return json_reply(list(self.truth_records(since, until)))

    def truth_one(self, match: re.Match[str], query: Query) -> Reply:
        found = self.published_article(int(match.group("code")))
        if found is None:
            return json_reply(None)
        return json_reply(self.corpus.expected_record(self.edited(found), self.base_url))

    def clock(self, match: re.Match[str], query: Query) -> Reply:
        """``/_replica/clock``: read it, ``?set=ISO`` to move it, ``?publish=N`` to step it."""
        try:
            moment = _moment_param(query, "set")
        except ValueError as error:
            return json_reply({"error": str(error)}, 400)
        if moment is not None:
            self.set_clock(moment)
        answer: dict[str, object] = {}
        if "publish" in query:
            count = discovery.int_param(query, "publish", 0)
            answer["published"] = [article.news_code for article in self.publish(count)]
        return json_reply({"now": self.now.isoformat(), **answer})

    def request_log(self, match: re.Match[str], query: Query) -> Reply:
        return json_reply([vars(logged) for logged in list(self.requests)])

    def cpu(self, match: re.Match[str], query: Query) -> Reply:
        """``/_replica/cpu``: CPU seconds this process has used (every thread), so a benchmark
        can tell the replica's share of the machine from the crawler's."""
        return json_reply({"cpu_seconds": time.process_time()})


def _moment_param(query: Query, name: str) -> datetime | None:
    values = query.get(name)
    return parse_moment(values[0]) if values else None


# What ``ReplicaServer.edit`` may change: what an editor changes in the CMS after publication.
EDITABLE = frozenset({"title", "uptitle", "lead", "paragraphs", "tags", "images", "category"})
# The paragraph an edit without named changes adds to an article.
EDIT_NOTE = "این خبر پس از انتشار ویرایش شده است."
# A printed date a year ahead: the typo ``future_dated`` articles carry.
FUTURE_TYPO = timedelta(days=365)
# Discovery pages ``failing`` can name.
FAILABLE = {
    "feed": re.compile(r"/fa/rss/allnews/?"),
    "news_sitemap": re.compile(r"/fa-sitemap-news/?"),
    "listing": re.compile(r"/fa/allnews/?"),
}

ARTICLE_PATHS = [
    re.compile(r"/fa/(?:amp/)?news/(?P<code>\d{1,9})(?:/[^/]*)?/?"),
    re.compile(r"/fa/print/(?P<code>\d{1,9})/?"),
]


def article_code(target: str) -> int | None:
    """The news code if ``target`` (path and query) is one of an article's URL forms."""
    path = unquote(urlsplit(target).path)
    for pattern in ARTICLE_PATHS:
        match = pattern.fullmatch(path)
        if match:
            return int(match.group("code"))
    return None


# The discovery documents a scheduled crawl reads every run: the feed, the news sitemap, listings.
VALIDATED_ROUTES = frozenset({discovery.rss, discovery.news_sitemap, discovery.allnews})

ROUTES: list[tuple[re.Pattern[str], Route]] = [
    *((pattern, ReplicaServer.article) for pattern in ARTICLE_PATHS),
    *discovery.ROUTES,
    (re.compile(r"/(?P<token>00[0-9a-zA-Z]+)"), ReplicaServer.short_link),
    (re.compile(r"/_replica/truth"), ReplicaServer.truth),
    (re.compile(r"/_replica/truth/(?P<code>\d{1,9})"), ReplicaServer.truth_one),
    (re.compile(r"/_replica/clock"), ReplicaServer.clock),
    (re.compile(r"/_replica/requests"), ReplicaServer.request_log),
    (re.compile(r"/_replica/cpu"), ReplicaServer.cpu),
]


class _Handler(BaseHTTPRequestHandler):
    replica: ReplicaServer
    server_version = "replica-iransamaneh/1.0"
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes; without this the second waits ~40 ms for an ACK.
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._reply(send_body=True)

    def do_HEAD(self) -> None:
        self._reply(send_body=False)

    def _reply(self, send_body: bool) -> None:
        arrived = time.monotonic()  # when the request came, not when its answer was ready
        conditions = {
            name: self.headers[name] for name in CONDITION_HEADERS if name in self.headers
        }
        reply = self.replica.answer(self.path, self.headers.get("Cookie", ""), conditions)
        self.replica.requests.append(LoggedRequest(self.path, reply.status, arrived))
        if reply.fault == "slow":  # a server slow to answer at all: not even the status line yet
            time.sleep(self.replica.faults.slow_seconds if self.replica.faults else 0)
        self.send_response(reply.status, HTTPStatus(reply.status).phrase)
        bodiless = reply.status == 304  # has no body; its headers update the client's copy
        if not bodiless:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if not bodiless:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if reply.fault == "truncated" and send_body:
            self.wfile.write(reply.body[: len(reply.body) // 2])
            self.close_connection = True
            return
        if send_body:
            try:
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = (
                    True  # the client gave up (e.g. a size limit): not our error
                )

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the request log above is the record."""
