"""Full-text search results, and the SQL each database searches with.

Both stores index the current version of every article (title, lead and body, folded by
``search_text``) in the transaction that writes it; earlier versions (``article_revisions``) are
not searched. SQLite keeps an FTS5 table, ``article_search`` (rowid = news code), whose columns
hold the *words* and *parts* streams of each field as space-separated tokens, read by FTS5's
``ascii`` tokenizer (which splits on spaces and ASCII punctuation only, so it takes the tokens as
Python made them). PostgreSQL keeps a ``search_vector`` column of ``articles`` (GIN-indexed), a
``tsvector`` written by Python with its positions and weights (title A, lead B, body D), searched
with a ``tsquery`` cast from text: neither goes through PostgreSQL's parser, whose idea of a
word, with the ``C`` locale, takes in ZWNJs and Persian punctuation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..search_text import Phrase, snippet, streams

# FTS5's bm25 weights of the columns, in their order: a match in the title counts most.
FTS_COLUMNS = ("title_words", "lead_words", "body_words", "title_parts", "lead_parts", "body_parts")
FTS_WEIGHTS = (4.0, 2.0, 1.0, 4.0, 2.0, 1.0)
TEXT_FIELDS = ("title", "lead", "body")
RESULT_COLUMNS = "news_code, published_at_jalali, published_at, service, title, lead, body"


@dataclass(frozen=True)
class SearchHit:
    """One article that matches: its news code, Jalali date (None when undated), title and where
    in its text the query matched."""

    news_code: int
    published_at_jalali: str | None
    published_at: str | None
    service: str | None
    title: str
    snippet: str


def hit(row: dict[str, Any], phrases: list[Phrase]) -> SearchHit:
    """A result row as a hit, with a snippet of its lead and body."""
    return SearchHit(
        news_code=int(row["news_code"]),
        published_at_jalali=row["published_at_jalali"],
        published_at=row["published_at"],
        service=row["service"],
        title=row["title"],
        snippet=snippet((row["lead"], row["body"]), phrases),
    )


def fts_row(row: dict[str, Any]) -> dict[str, Any]:
    """The FTS5 columns of an article row: each field's words and parts streams."""
    values: dict[str, Any] = {"news_code": row["news_code"]}
    for field in TEXT_FIELDS:
        values[f"{field}_words"], values[f"{field}_parts"] = streams(row[field])
    return values


def and_where(where: list[str]) -> str:
    """Conditions appended to a ``WHERE`` that already has one."""
    return "".join(f" AND {condition}" for condition in where)
