"""A deterministic corpus of articles, built one article at a time from (seed, index).

Nothing is held per article: any article is recomputed from its index, so a corpus of 100,000
articles costs no more memory than one of ten. News codes rise with publication time, with gaps,
and jump from six digits (mizanonline.com years, old theme) to seven, as on the live site.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

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

    @property
    def path(self) -> str:
        """The canonical path ``/fa/news/{code}/{slug}``."""
        return f"/fa/news/{self.news_code}/{self.slug}"

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


class Corpus:
    """``n`` articles spread evenly (with jitter) between ``start`` and ``end``."""

    def __init__(
        self,
        n: int,
        seed: int = 1,
        start: datetime = DEFAULT_START,
        end: datetime = DEFAULT_END,
    ) -> None:
        if n < 1:
            raise ValueError("a corpus needs at least one article")
        self.n, self.seed, self.start, self.end = n, seed, start, end
        self.step = (end - start) / n
        self.first_new_index = min(n, max(0, math.ceil((NEW_ERA - start) / self.step)))

    def __len__(self) -> int:
        return self.n

    def _rng(self, index: int, purpose: str) -> random.Random:
        return random.Random(f"{self.seed}:{index}:{purpose}")

    def news_code(self, index: int) -> int:
        """The news code of the article at ``index``."""
        offset = self._rng(index, "code").randrange(CODE_STRIDE)
        if index < self.first_new_index:
            return OLD_CODE_BASE + CODE_STRIDE * index + offset
        return NEW_CODE_BASE + CODE_STRIDE * (index - self.first_new_index) + offset

    def index_of(self, news_code: int) -> int | None:
        """The index of the article with ``news_code``, or ``None`` if there is none."""
        if news_code >= NEW_CODE_BASE:
            index = self.first_new_index + (news_code - NEW_CODE_BASE) // CODE_STRIDE
        elif news_code >= OLD_CODE_BASE:
            index = (news_code - OLD_CODE_BASE) // CODE_STRIDE
            if index >= self.first_new_index:
                return None
        else:
            return None
        if index >= self.n or self.news_code(index) != news_code:
            return None
        return index

    def published(self, index: int) -> datetime:
        """Publication moment of the article at ``index`` (whole minutes, Iran time)."""
        jitter = self._rng(index, "time").random() * 0.8
        moment = self.start + self.step * (index + jitter)
        moment = moment.astimezone(TEHRAN).replace(second=0, microsecond=0)
        return moment.astimezone(TEHRAN)

    def article(self, index: int) -> ReplicaArticle:
        """Build the article at ``index``."""
        rng = self._rng(index, "content")
        code = self.news_code(index)
        published = self.published(index)
        kind = rng.choices(("news", "photo", "video"), weights=(80, 12, 8))[0]
        theme = "old" if index < self.first_new_index else "current"
        title = _sentence(rng, 5, 11)
        service, service_slug, categories = rng.choice(SERVICES)
        paragraph_count = {"news": rng.randint(2, 8), "photo": rng.randint(0, 1), "video": 1}
        paragraphs = tuple(_paragraph(rng) for _ in range(paragraph_count[kind]))
        folder = f"/files/fa/news/{published:%Y/%m/%d}"
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
            withdrawn=rng.random() < 0.01,
            noise_seed=rng.randrange(2**32),
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
