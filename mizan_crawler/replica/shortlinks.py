"""Short links such as ``/00AbCd``: ``00`` followed by the news code in base 62.

Sister Iransamaneh sites print these under each story; a crawler meets them in shared text and
must follow the 301 to the article, whose code is the identity.
"""

from __future__ import annotations

import string

ALPHABET = string.digits + string.ascii_lowercase + string.ascii_uppercase
PREFIX = "00"


def base62(number: int) -> str:
    """``number`` (>= 0) in base 62 over ``0-9a-zA-Z``."""
    if number < 0:
        raise ValueError("base62 encodes non-negative numbers only")
    digits = []
    while True:
        number, remainder = divmod(number, len(ALPHABET))
        digits.append(ALPHABET[remainder])
        if number == 0:
            return "".join(reversed(digits))


def from_base62(text: str) -> int:
    """The number ``text`` spells in base 62; ``ValueError`` on a character outside the alphabet."""
    number = 0
    for character in text:
        position = ALPHABET.find(character)
        if position < 0:
            raise ValueError(f"not a base62 digit: {character!r}")
        number = number * len(ALPHABET) + position
    return number


def short_link(news_code: int) -> str:
    """The short path of an article, e.g. ``/00jU6s``."""
    return f"/{PREFIX}{base62(news_code)}"


def code_of_token(token: str) -> int | None:
    """The news code a short-link token (without the slash) names, or ``None``."""
    if not token.startswith(PREFIX) or len(token) == len(PREFIX):
        return None
    try:
        return from_base62(token[len(PREFIX) :])
    except ValueError:
        return None
