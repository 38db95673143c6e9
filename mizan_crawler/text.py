"""Small pure functions that clean Persian text without changing what it says.

Letters and invisible characters use one ``str.translate`` table of our own: persiantools'
``characters.ar_to_fa`` also strips the kasra under some letters (it rewrites «دِ» as «د»), which
changes published text, and hazm (80–400 MB) splits URLs and times and rewrites digits. Digits go
through persiantools, which is dependency-free and does exactly that job.
"""

from __future__ import annotations

import re

from persiantools import digits

ZWNJ = "\u200c"

# Arabic letter forms the site sometimes publishes, mapped to the Persian letters they stand for.
_LETTERS = {"\u064a": "ی", "\u0649": "ی", "\u0643": "ک"}
# Characters with no visible form that only get in the way: bidi marks and embeddings, BOM,
# soft hyphen, zero-width space, word joiner, Arabic letter mark, and the C0 control characters
# (NUL included) other than the whitespace ones below. ZWNJ (U+200C) is not here.
_CONTROLS = "".join(map(chr, [*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F]))
_INVISIBLE = "\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff\u00ad\u061c"
# Space characters other than the plain space, including NBSP and the narrow/thin spaces.
_SPACES = "\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000\t\r\f\v"

_TABLE = str.maketrans(
    {**_LETTERS, **dict.fromkeys(_INVISIBLE + _CONTROLS), **dict.fromkeys(_SPACES, " ")}
)
_MULTI_SPACE = re.compile(r" {2,}")
_MULTI_ZWNJ = re.compile(ZWNJ + "{2,}")
# A ZWNJ beside a space (or at either end) joins nothing: it is dropped, the space stays.
_LOOSE_ZWNJ = re.compile(rf"(?<= ){ZWNJ}+|{ZWNJ}+(?= )|^{ZWNJ}+|{ZWNJ}+$")
# The end marker, with the spaces before it, or the ZWNJ that joined it to the last word: once the
# marker is gone that ZWNJ would join nothing.
_END_MARKER = re.compile(rf"[\s{ZWNJ}]*انتهای\s*پیام\s*/?\s*$")


def clean_chars(text: str) -> str:
    """Persian letters for Arabic ones, no invisible junk, plain spaces for NBSP and kin."""
    return text.translate(_TABLE)


def tidy_zwnj(text: str) -> str:
    """Collapse repeated ZWNJs and drop those next to a space; every ZWNJ inside a word stays."""
    if ZWNJ not in text:  # most lines: the two searches below would find nothing
        return text
    text = _MULTI_ZWNJ.sub(ZWNJ, text)
    return _LOOSE_ZWNJ.sub("", text)


def collapse_spaces(text: str) -> str:
    """One space between words, none at the ends."""
    if "  " in text:
        text = _MULTI_SPACE.sub(" ", text)
    return text.strip(" ")


def normalize_line(text: str) -> str:
    """Normalise one line of text (a title, a lead, a paragraph): all newlines become spaces."""
    text = clean_chars(text).replace("\n", " ")
    return collapse_spaces(tidy_zwnj(collapse_spaces(text)))


def normalize_or_none(text: str | None) -> str | None:
    """``normalize_line``, with an empty result as ``None`` (for loader processors)."""
    if text is None:
        return None
    return normalize_line(text) or None


def strip_end_marker(paragraph: str) -> str | None:
    """Remove the agency's «انتهای پیام/» end-of-story marker, and the space or ZWNJ before it;
    ``None`` if nothing else is left."""
    return _END_MARKER.sub("", paragraph) or None


def to_ascii_digits(text: str) -> str:
    """Persian (۰-۹) and Arabic-Indic (٠-٩) digits as ASCII; used for codes and dates, not prose."""
    return digits.fa_to_en(digits.ar_to_fa(text))


def parse_news_code(text: str | None) -> int | None:
    """The news code in a text such as «کد خبر: ۴۷۷۶۱۲۴», as an int; ``None`` if there is none."""
    if not text:
        return None
    found = re.search(r"\d{4,10}", to_ascii_digits(clean_chars(text)))
    return int(found.group(0)) if found else None
