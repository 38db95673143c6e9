"""Text as full-text search compares it: one normalisation for what is indexed and what is asked.

Stored text keeps every letter as published (``text.py``); search folds the forms a reader does not
tell apart, the same way on both sides (``raw_words``), before either database sees it:

- letters: Arabic ي ى ك are Persian ی ک; ة, ۀ (and هٔ), ە and ھ are ه; the hamza and madda forms of
  alef are ا (آ too, as Lucene's Persian analyser does: «آمریکا» and «امریکا» are one word), ؤ is
  و and ئ is ی («پائیز», «پاییز»); presentation forms are their letters (Unicode NFKD);
- diacritics (harakat, the superscript alef, every other combining mark), tatweel and invisible
  format characters (bidi marks, BOM, ZWJ; not the ZWNJ) go;
- digits of every script are ASCII (۱۴۰۳, ١٤٠٣ and 1403 are one token); Latin letters are
  case-folded;
- a word is a run of letters and digits; punctuation and spaces separate words; a "word" longer
  than ``MAX_WORD`` characters (a pasted blob, never a word of prose) is not indexed;
- **ZWNJ**: a word whose parts are joined by ZWNJs («گفت‌وگو», «صهیونیست‌ها») is indexed twice over,
  whole and as its parts. The index holds two streams of each field: *words*, where such a word is
  one token with the ZWNJ taken out («گفتوگو»), and *parts*, where each part is a token («گفت»,
  «وگو»). A query word is looked for in both forms. So «گفت‌وگو», «گفتوگو» and «گفت وگو» all find
  an article that wrote any of the three, «صهیونیست‌ها» finds «صهیونیست‌ها», «صهیونیست ها» and
  «صهیونیستها», and «صهیونیست» finds «صهیونیست‌ها» too (a ZWNJ marks where a suffix or a second
  word begins, and a reader looking for the word expects its plural). A word written solid
  («صهیونیستها») has no parts to find: it is one word. Keeping two streams, rather than adding the
  parts beside the whole word, keeps phrase positions true in both.

Queries (``parse_query``): words are all required; «...» or "..." quote a phrase. The same parsed
query becomes an FTS5 ``MATCH`` expression (SQLite) or a ``tsquery`` (PostgreSQL), and the
snippet marks the words of the published text that match. Changing this normalisation changes
what the index holds: it must come with a store migration that indexes every article again.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from .text import ZWNJ

Word = tuple[str, ...]  # a word as its ZWNJ-separated parts (one part for most words)

_LETTERS = {
    "ي": "ی",
    "ى": "ی",
    "ك": "ک",
    "ة": "ه",
    "ە": "ه",  # U+06D5: what ۀ leaves once its hamza is taken off
    "ھ": "ه",
    "ٱ": "ا",
    "ـ": None,  # tatweel
    "\u200d": None,  # ZWJ: joins letters that would join anyway
}


def _table() -> dict[str, str]:
    """Combining marks and invisible format characters (bidi marks, BOM, soft hyphen...: ZWNJ
    aside) removed and decimal digits as ASCII, over the Basic Multilingual Plane."""
    table: dict[str, str] = {}
    for point in range(0x80, 0x10000):
        char = chr(point)
        category = unicodedata.category(char)
        if category == "Mn" or (category == "Cf" and char != ZWNJ):
            table[char] = ""
        elif category == "Nd":
            table[char] = str(unicodedata.decimal(char))
    table.update((char, value or "") for char, value in _LETTERS.items())
    return table


def _ranges(chars: Iterable[str]) -> str:
    """A regular-expression character class of ``chars``, as ranges."""
    points = sorted(map(ord, chars))
    spans: list[list[int]] = []
    for point in points:
        if spans and point == spans[-1][1] + 1:
            spans[-1][1] = point
        else:
            spans.append([point, point])
    return (
        "["
        + "".join(re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in spans)
        + "]"
    )


_TABLE = _table()
# Most characters stay as they are: a search for those that change is ten times faster than
# str.translate, which looks every character up.
_CHANGING = re.compile(_ranges(_TABLE))
_WORD = re.compile(rf"[^\W_]+(?:{ZWNJ}+[^\W_]+)*")
# The quotation marks a phrase may be written between: Persian guillemets, straight and curly.
_PHRASE = re.compile(r"«([^»]*)»?|\"([^\"]*)\"?|“([^”]*)”?")
MAX_WORD = 200  # characters: at most 800 bytes, under PostgreSQL's 2047 a lexeme
TSVECTOR_MAX_POSITION = 16383  # PostgreSQL's limit; later tokens share the last position
TSVECTOR_MAX_POSITIONS = 255  # positions kept per token (PostgreSQL keeps at most 256)
# A tsvector holds at most 1 MB; past this estimate of its size no new token is added (text of
# that size has said everything searchable long before).
TSVECTOR_BUDGET = 900_000


def fold(text: str) -> str:
    """``text`` with letters, marks and digits folded as search compares them; ZWNJs kept."""
    decomposed = unicodedata.normalize("NFKD", text).casefold()
    return _CHANGING.sub(_change, decomposed)


def _change(match: re.Match[str]) -> str:
    return _TABLE[match.group()]


def raw_words(text: str | None) -> list[str]:
    """The words of ``text`` as search compares them, ZWNJs still in: the one tokenisation that
    the index (``streams``) and queries (``search_words``) share."""
    if not text:
        return []
    words = _WORD.findall(fold(text))
    if words and max(map(len, words)) > MAX_WORD:
        words = [word for word in words if len(word) <= MAX_WORD]
    return words


def search_words(text: str | None) -> list[Word]:
    """The words of ``text``, each as its ZWNJ-separated parts."""
    return [tuple(part for part in word.split(ZWNJ) if part) for word in raw_words(text)]


def whole(word: Word) -> str:
    """A word as one token: its parts joined, the ZWNJs taken out («گفتوگو»)."""
    return "".join(word)


def streams(text: str | None) -> tuple[str, str]:
    """The *words* and *parts* streams of ``text``: space-separated tokens (see the docstring)."""
    spaced = " ".join(raw_words(text))
    return spaced.replace(ZWNJ, ""), spaced.replace(ZWNJ, " ")


@dataclass(frozen=True)
class Phrase:
    """Words that must come in this order, next to each other (one word for an unquoted one)."""

    words: tuple[Word, ...]

    def forms(self) -> list[tuple[str, ...]]:
        """Token sequences that match it: each word whole, and each word as its parts."""
        joined = tuple(whole(word) for word in self.words)
        parts = tuple(part for word in self.words for part in word)
        return [joined] if joined == parts else [joined, parts]

    def tokens(self) -> set[str]:
        """Every token a match may consist of (for marking a snippet)."""
        return {token for form in self.forms() for token in form}


class SearchQueryError(ValueError):
    """A query with nothing to search for."""


def parse_query(text: str) -> list[Phrase]:
    """The phrases of a query, all required: each unquoted word, and each quoted phrase."""
    phrases: list[Phrase] = []
    position = 0
    for match in _PHRASE.finditer(text):
        phrases += [Phrase((word,)) for word in search_words(text[position : match.start()])]
        quoted = tuple(search_words(next(group for group in match.groups() if group is not None)))
        phrases += [Phrase(quoted)] if quoted else []
        position = match.end()
    phrases += [Phrase((word,)) for word in search_words(text[position:])]
    if not phrases:
        raise SearchQueryError(f"nothing to search for in {text!r}: give a word")
    return phrases


def fts5_match(phrases: Sequence[Phrase]) -> str:
    """An FTS5 ``MATCH`` expression: every phrase, in any of its forms, in any column."""
    groups = (" OR ".join(f'"{" ".join(form)}"' for form in phrase.forms()) for phrase in phrases)
    return " AND ".join(f"({group})" for group in groups)


def tsquery(phrases: Sequence[Phrase]) -> str:
    """A PostgreSQL ``tsquery`` in its text form (read with a cast: no parser, no dictionary)."""
    groups = (
        " | ".join(" <-> ".join(f"'{token}'" for token in form) for form in phrase.forms())
        for phrase in phrases
    )
    return " & ".join(f"({group})" for group in groups)


def tsvector(fields: Iterable[tuple[str | None, str]]) -> str:
    """A PostgreSQL ``tsvector`` in its text form from ``(text, weight)`` pairs: each field's
    words stream, then its parts stream, with a position left empty between streams so that no
    phrase runs from one into the next."""
    labels: dict[str, list[str]] = {}
    position = 0
    for text, weight in fields:
        suffix = "" if weight == "D" else weight
        for stream in streams(text):
            tokens = stream.split()
            for at, token in enumerate(tokens, position + 1):
                labels.setdefault(token, []).append(f"{min(at, TSVECTOR_MAX_POSITION)}{suffix}")
            position += len(tokens) + 1 if tokens else 0
    return " ".join(_lexemes(labels))


def _lexemes(labels: dict[str, list[str]]) -> Iterator[str]:
    """Each token with its positions, as PostgreSQL's limits allow, until the size budget."""
    size = 0
    for token, at in labels.items():
        kept = list(dict.fromkeys(at))[:TSVECTOR_MAX_POSITIONS]  # clamped positions repeat
        size += len(token.encode()) + 8 + 2 * len(kept)
        if size > TSVECTOR_BUDGET:
            return
        yield f"'{token}':{','.join(kept)}"


def snippet(texts: Iterable[str | None], phrases: Sequence[Phrase], width: int = 12) -> str:
    """About ``2 * width`` words of the published text around the first that matches the query,
    matching words in [brackets]; the opening words when none does (the match is elsewhere)."""
    tokens = set().union(*(phrase.tokens() for phrase in phrases))
    chunks = " ".join(text for text in texts if text).split()
    hits = [i for i, chunk in enumerate(chunks) if _matches(chunk, tokens)]
    start = max(0, hits[0] - width) if hits else 0
    marked = set(hits)
    end = min(len(chunks), start + 2 * width)
    shown = [f"[{chunks[i]}]" if i in marked else chunks[i] for i in range(start, end)]
    return ("… " if start else "") + " ".join(shown) + (" …" if end < len(chunks) else "")


def _matches(chunk: str, tokens: set[str]) -> bool:
    return any(whole(word) in tokens or tokens.intersection(word) for word in search_words(chunk))
