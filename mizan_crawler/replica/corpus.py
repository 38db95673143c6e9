"""A deterministic corpus of articles, built one article at a time from (seed, index).

Nothing is held per article: any article is recomputed from its index, so a corpus of 100,000
articles costs no more memory than one of ten. News codes rise with publication time (drafts
aside, below), with gaps, and jump from six digits (mizanonline.com years, old theme) to seven, as
on the live site.
Publication time rises with the index too, so every "articles between two moments" question is a
binary search over indices, never a scan. Edits and withdrawals have draws of their own, so lists
can ask about them without building the article.

With ``draft_share`` some articles are drafts: their code was given when the item was created,
hours before it was published (``draft_hours``), so a draft's code is lower than the codes of
articles published before it, as on a real CMS. Publication order stays index order (the binary
searches stay valid); only codes move: they are handed out in creation order, a table of two
integers per article built once, and only when drafts are asked for.
"""

from __future__ import annotations

import bisect
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jdatetime

from .words import SERVICES, TAGS, WORDS

TEHRAN = ZoneInfo("Asia/Tehran")
DEFAULT_START = datetime(2018, 3, 1, tzinfo=TEHRAN)
DEFAULT_END = datetime(2025, 6, 1, tzinfo=TEHRAN)
# Articles published before this use six-digit codes and the old theme.
NEW_ERA = datetime(2021, 3, 21, tzinfo=TEHRAN)
OLD_CODE_BASE = 400_000
NEW_CODE_BASE = 4_700_000
CODE_STRIDE = 3
DATE_FORMS = 6
KINDS = ("news", "photo", "video")
KIND_WEIGHTS = (80, 12, 8)
# About this share of articles is edited again, 1 to 10 days after publication.
EDITED_SHARE = 0.15
EDIT_DELAY_DAYS = (1, 10)
EDIT_WINDOW = timedelta(days=EDIT_DELAY_DAYS[1])
WITHDRAWN_SHARE = 0.01
# A draft waits this many hours (uniformly drawn) between creation (its code) and publication.
DRAFT_HOURS = (1.0, 12.0)


@dataclass(frozen=True)
class ReplicaArticle:
    """One generated article: the clean truth plus how the replica will dress it up."""

    index: int
    news_code: int
    published: datetime
    kind: str
    theme: str
    title: str
    slug: str
    uptitle: str | None
    lead: str | None
    paragraphs: tuple[str, ...]
    service: str
    service_slug: str
    category: str
    tags: tuple[str, ...]
    images: tuple[str, ...]
    date_form: int
    with_meta_date: bool
    withdrawn: bool
    noise_seed: int = field(repr=False)
    edited_at: datetime | None = None

    @property
    def path(self) -> str:
        """The canonical path ``/fa/news/{code}/{slug}``."""
        return f"/fa/news/{self.news_code}/{self.slug}"

    @property
    def encoded_path(self) -> str:
        """The canonical path with the slug percent-encoded, as sitemaps and redirects give it."""
        return f"/fa/news/{self.news_code}/{quote(self.slug)}"

    @property
    def body(self) -> str:
        """The article text a correct parser must produce."""
        return "\n\n".join(self.paragraphs)


def _sentence(rng: random.Random, low: int = 6, high: int = 16) -> str:
    words = rng.choices(WORDS, k=rng.randint(low, high))
    if rng.random() < 0.2:
        words.insert(rng.randrange(len(words)), rng.choice(("۱۴۰۳", "۲۵", "۱۲۰", "3", "۹۸")))
    return " ".join(words)


def _paragraph(rng: random.Random) -> str:
    return ". ".join(_sentence(rng) for _ in range(rng.randint(1, 3))) + "."


def _opening(rng: random.Random) -> tuple[str, str, tuple[str, str, tuple[str, ...]]]:
    """The first content draws (kind, title, service), shared so a service replays alone."""
    kind = rng.choices(KINDS, weights=KIND_WEIGHTS)[0]
    title = _sentence(rng, 5, 11)
    return kind, title, rng.choice(SERVICES)


def _noise_seed(rng: random.Random) -> int:
    """The seed of a page's noise. The draw before it once decided withdrawal; it is still taken,
    so that every page stays as it was when withdrawal moved to a draw of its own."""
    rng.random()
    return rng.randrange(2**32)


def image_folder(published: datetime) -> str:
    """``/files/fa/news/{y}/{mm}/{dd}``, by the Jalali date of publication as on the live site
    (a Gregorian folder would hand date extractors a hint the real site does not)."""
    local = jdatetime.date.fromgregorian(date=published.date())
    return f"/files/fa/news/{local.year}/{local.month:02d}/{local.day:02d}"


def lastmod(article: ReplicaArticle, now: datetime) -> datetime:
    """When ``article`` last changed as seen at ``now``: an edit counts once it has happened."""
    if article.edited_at is not None and article.edited_at <= now:
        return article.edited_at
    return article.published


class Corpus:
    """``n`` articles spread evenly (with jitter) between ``start`` and ``end``."""

    def __init__(
        self,
        n: int,
        seed: int = 1,
        start: datetime = DEFAULT_START,
        end: datetime = DEFAULT_END,
        *,
        draft_share: float = 0.0,
        draft_hours: tuple[float, float] = DRAFT_HOURS,
    ) -> None:
        if n < 1:
            raise ValueError("a corpus needs at least one article")
        self.n, self.seed, self.start, self.end = n, seed, start, end
        self.step = (end - start) / n
        self.first_new_index = min(n, max(0, math.ceil((NEW_ERA - start) / self.step)))
        self.draft_share, self.draft_hours = draft_share, draft_hours
        # Code slot of each index and index of each slot; None while codes follow the index.
        self._slots: tuple[list[int], list[int]] | None = (
            self._code_slots() if draft_share else None
        )

    def __len__(self) -> int:
        return self.n

    def _rng(self, index: int, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{index}:{purpose}")

    def _slot_code(self, slot: int) -> int:
        """The code of the ``slot``-th code handed out (its era's base, a stride, a gap)."""
        offset = self._rng(slot, "code").randrange(CODE_STRIDE)
        if slot < self.first_new_index:
            return OLD_CODE_BASE + CODE_STRIDE * slot + offset
        return NEW_CODE_BASE + CODE_STRIDE * (slot - self.first_new_index) + offset

    def is_draft(self, index: int) -> bool:
        """Whether the article at ``index`` waited as a draft between its code and publication."""
        return bool(self.draft_share) and self._rng(index, "draft").random() < self.draft_share

    def created(self, index: int) -> datetime:
        """When the article at ``index`` was created, so given its code: hours before
        publication for a draft, at publication otherwise."""
        published = self.published(index)
        if not self.is_draft(index):
            return published
        hours = self._rng(index, "draft_delay").uniform(*self.draft_hours)
        return published - timedelta(hours=hours)

    def _code_slots(self) -> tuple[list[int], list[int]]:
        """Codes handed out in creation order, each era on its own (a draft keeps its era)."""
        slot_of, index_at = [0] * self.n, [0] * self.n
        for era in (range(self.first_new_index), range(self.first_new_index, self.n)):
            created = sorted(era, key=lambda index: (self.created(index), index))
            for slot, index in zip(era, created, strict=True):
                slot_of[index], index_at[slot] = slot, index
        return slot_of, index_at

    def news_code(self, index: int) -> int:
        """The news code of the article at ``index``."""
        return self._slot_code(index if self._slots is None else self._slots[0][index])

    def index_of(self, news_code: int) -> int | None:
        """The index of the article with ``news_code``, or ``None`` if there is none."""
        if news_code >= NEW_CODE_BASE:
            slot = self.first_new_index + (news_code - NEW_CODE_BASE) // CODE_STRIDE
        elif news_code >= OLD_CODE_BASE:
            slot = (news_code - OLD_CODE_BASE) // CODE_STRIDE
            if slot >= self.first_new_index:
                return None
        else:
            return None
        if slot >= self.n or self._slot_code(slot) != news_code:
            return None
        return slot if self._slots is None else self._slots[1][slot]

    def published(self, index: int) -> datetime:
        """Publication moment of the article at ``index`` (whole minutes, Iran time)."""
        jitter = self._rng(index, "time").random() * 0.8
        moment = self.start + self.step * (index + jitter)
        # Through UTC: a wall time in the hour DST's start skipped (which the arithmetic above can
        # give) becomes the real time of the same instant, as the site would print it.
        return moment.replace(second=0, microsecond=0).astimezone(UTC).astimezone(TEHRAN)

    def edited_at(self, index: int) -> datetime | None:
        """When the article at ``index`` is edited (whole minutes, Iran time), or ``None``."""
        rng = self._rng(index, "edit")
        if rng.random() >= EDITED_SHARE:
            return None
        delay = timedelta(days=rng.uniform(*EDIT_DELAY_DAYS))
        moment = (self.published(index).astimezone(UTC) + delay).astimezone(TEHRAN)
        return moment.replace(second=0, microsecond=0)

    def lastmod_of(self, index: int, now: datetime) -> datetime:
        """:func:`lastmod` of the article at ``index`` without building the whole article."""
        edited = self.edited_at(index)
        return edited if edited is not None and edited <= now else self.published(index)

    def published_count(self, now: datetime) -> int:
        """How many articles have ``published <= now``: also the index of the first unpublished."""
        return bisect.bisect_right(range(self.n), now, key=self.published)

    def count_before(self, moment: datetime) -> int:
        """How many articles are published strictly before ``moment``."""
        return bisect.bisect_left(range(self.n), moment, key=self.published)

    def index_range(self, since: datetime | None = None, until: datetime | None = None) -> range:
        """Indices of the articles published in ``[since, until]`` (``None``: open-ended)."""
        low = 0 if since is None else self.count_before(since)
        high = self.n if until is None else self.published_count(until)
        return range(low, max(low, high))

    def opening(self, index: int) -> tuple[str, str, tuple[str, str, tuple[str, ...]]]:
        """Kind, title and service of the article at ``index``, without building the rest."""
        return _opening(self._rng(index, "content"))

    def withdrawn(self, index: int) -> bool:
        """Whether the article at ``index`` was withdrawn: its own draw, so lists skip it cheaply."""
        return self._rng(index, "withdrawn").random() < WITHDRAWN_SHARE

    def article(self, index: int) -> ReplicaArticle:
        """Build the article at ``index``."""
        rng = self._rng(index, "content")
        code = self.news_code(index)
        published = self.published(index)
        kind, title, (service, service_slug, categories) = _opening(rng)
        theme = "old" if index < self.first_new_index else "current"
        paragraph_count = {"news": rng.randint(2, 8), "photo": rng.randint(0, 1), "video": 1}
        paragraphs = tuple(_paragraph(rng) for _ in range(paragraph_count[kind]))
        folder = image_folder(published)
        if kind == "news":
            images = (f"{folder}/{code}_1.jpg",) if rng.random() < 0.7 else ()
        elif kind == "photo":
            images = tuple(f"{folder}/{code}_{n}.jpg" for n in range(1, rng.randint(3, 8)))
        else:
            images = (f"{folder}/{code}_poster.jpg",)
        return ReplicaArticle(
            index=index,
            news_code=code,
            published=published,
            kind=kind,
            theme=theme,
            title=title,
            slug="-".join(title.split()[:8]),
            uptitle=_sentence(rng, 2, 5) if rng.random() < 0.5 else None,
            lead=_sentence(rng, 12, 30) + "." if kind != "news" or rng.random() < 0.9 else None,
            paragraphs=paragraphs,
            service=service,
            service_slug=service_slug,
            category=rng.choice(categories),
            tags=tuple(rng.sample(TAGS, rng.randint(0, 4))),
            images=images,
            date_form=rng.randrange(DATE_FORMS),
            with_meta_date=theme == "current" and rng.random() < 0.5,
            withdrawn=self.withdrawn(index),
            noise_seed=_noise_seed(rng),
            edited_at=self.edited_at(index),
        )

    def by_code(self, news_code: int) -> ReplicaArticle | None:
        """The article with ``news_code``, or ``None``."""
        index = self.index_of(news_code)
        return None if index is None else self.article(index)

    def __iter__(self) -> Iterator[ReplicaArticle]:
        return (self.article(index) for index in range(self.n))

    def newest(self, count: int, offset: int = 0) -> list[ReplicaArticle]:
        """Up to ``count`` articles, newest first, skipping the ``offset`` newest."""
        last = self.n - 1 - offset
        return [self.article(index) for index in range(last, max(-1, last - count), -1)]

    def expected_record(self, article: ReplicaArticle, base_url: str) -> dict[str, object]:
        """The record a correct crawl stores for ``article`` (no ``crawled_at``/``content_hash``)."""
        return {
            "news_code": article.news_code,
            "url": base_url.rstrip("/") + article.path,
            "title": article.title,
            "uptitle": article.uptitle,
            "lead": article.lead,
            "body": article.body,
            "published_at": article.published.isoformat(),
            "service": article.service,
            "category": article.category,
            "tags": list(article.tags),
            "image_urls": [base_url.rstrip("/") + image for image in article.images],
            "kind": article.kind,
            "source": "mizanonline.ir",
            "language": "fa",
        }
