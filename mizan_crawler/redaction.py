"""The one redaction of secrets, used wherever an address, a setting or a driver's error is shown.

What counts as a secret:

- the password of a URL's user-info (``postgresql://user:PASSWORD@host/db``);
- the value of a URL query parameter whose name, case-insensitive and percent-decoded, contains
  ``pass``, ``pwd``, ``token``, ``secret``, ``key`` or ``auth`` (``?password=``,
  ``?sslpassword=``, ``?api_key=``, ``?authToken=``): libpq and redis-py both take a password
  from the query string;
- the same keywords in a libpq ``keyword=value`` string (``host=db password=PASSWORD``), which is
  what an operator may write instead of a URL;
- the value of a setting whose name ends with ``PASSWORD``, ``TOKEN``, ``SECRET``, ``ACCESS_KEY``
  or ``API_KEY`` (notification tokens), as a log filter or a logged command line meets it.

Each is shown as ``***``; the rest of the address stays as given, so an operator still sees which
server and which database. Messages built from a driver's error may echo the address or the
password itself: ``redact_text`` masks every secret value of the address in any text.

Where the address cannot be read one way only (a ``?`` or ``#`` before the ``@`` that ends the
user-info: libpq reads that as part of the password, a URL parser as the start of the query), all
of the server part is masked: more is hidden, never less.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

MASK = "***"
SECRET_WORDS = ("pass", "pwd", "token", "secret", "key", "auth")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
# A URL inside free text: up to the first space, quote or bracket that cannot be in an address.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>()\[\]{}]+")
# libpq keyword/value pairs: keyword = value, the value bare or single-quoted (with \' escapes).
_KEYWORD_VALUE = re.compile(r"(?P<name>\w+)(?P<eq>\s*=\s*)(?P<value>'(?:[^'\\]|\\.)*'|[^\s']+)")
# Settings whose whole value is a secret: the name ends with one of these words
# (SPIDERMON_SLACK_SENDER_TOKEN, AWS_SECRET_ACCESS_KEY). Names that merely contain one are not:
# MIZAN_REDIS_KEY_PREFIX is "mizan", which must not vanish from every line.
_SECRET_SETTING = re.compile(
    r"(PASSWORD|PASS|PWD|TOKEN|SECRET|SECRET_KEY|ACCESS_KEY|API_KEY)$", re.IGNORECASE
)


def is_secret_name(name: str) -> bool:
    """Whether a query parameter or keyword of this name holds a secret."""
    lowered = unquote_plus(name).lower()
    return any(word in lowered for word in SECRET_WORDS)


def is_secret_setting(name: str) -> bool:
    """Whether the setting (or environment variable) of this name is itself a secret."""
    return bool(_SECRET_SETTING.search(name))


def redact_url(url: str) -> str:
    """``url`` with its user-info password and secret query values replaced by ``***``.

    An address without secrets comes back unchanged, character for character (the spool file of a
    store is named after this form, so such names stay what they were).
    """
    scheme = _SCHEME.match(url)
    if scheme is None:
        return _redact_schemeless(url)
    head, rest = _split_authority(url[scheme.end() :])
    return scheme.group() + _redact_authority(head) + _redact_path(rest)


def url_secrets(url: str) -> list[str]:
    """The secret values of ``url`` as written, decoded and encoded, for ``redact_text``."""
    scheme = _SCHEME.match(url)
    if scheme is None:
        found = [
            _unquote_keyword_value(match["value"])
            for match in _KEYWORD_VALUE.finditer(url)
            if is_secret_name(match["name"])
        ]
        if not any(space in url for space in " \t\n"):  # user:password@host
            found.append(_password(url))
        return _spellings(found)
    after = url[scheme.end() :]
    head, rest = _split_authority(after)
    found = [_password(head)]
    for query in {rest.partition("?")[2], after.partition("?")[2]}:  # both readings, if two
        for pair in query.partition("#")[0].split("&"):
            name, equals, value = pair.partition("=")
            if equals and is_secret_name(name):
                found.append(value)
    return _spellings(found)


def text_secrets(text: str) -> list[str]:
    """The secret values of every address inside ``text`` (a setting, a message)."""
    return [secret for match in _URL_IN_TEXT.finditer(text) for secret in url_secrets(match[0])]


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """``text`` (a driver's error, a log line) with every address in it redacted and every one of
    ``secrets`` replaced by ``***``, longest first so that no part of a longer one is left."""
    text = _URL_IN_TEXT.sub(lambda match: redact_url(match.group()), text)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        if secret in MASK:  # "*" cannot be hidden by stars; replacing it would never end
            continue
        while secret in text:  # a mask next to a part of the secret can spell it again
            text = text.replace(secret, MASK)
    return text


def redact_value(value: Any, secrets: Iterable[str]) -> Any:
    """``value`` (a stat, a setting) with ``redact_text`` applied to every string inside it."""
    secrets = list(secrets)
    if isinstance(value, str):
        return redact_text(value, secrets)
    if isinstance(value, dict):
        return {key: redact_value(item, secrets) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [redact_value(item, secrets) for item in value]
    return value


def redact_arguments(arguments: Iterable[str]) -> str:
    """A command line for the log: ``-s NAME=VALUE`` of a secret setting masked, and every
    address in it redacted."""
    shown = []
    for argument in arguments:
        name, equals, _ = argument.partition("=")
        shown.append(f"{name}={MASK}" if equals and is_secret_setting(name) else argument)
    return redact_text(" ".join(shown), [])


def _spellings(secrets: Iterable[str]) -> list[str]:
    """Each secret as written, decoded, and encoded the two ways a URL or a driver may show it."""
    spelled: list[str] = []
    for secret in secrets:
        if not secret:
            continue
        for decoded in (secret, unquote(secret), unquote_plus(secret)):
            spelled += [decoded, quote(decoded, safe=""), quote_plus(decoded, safe="")]
    return list(dict.fromkeys(s for s in spelled if s))


def _split_authority(after_scheme: str) -> tuple[str, str]:
    """The server part (up to the first ``/``) and the rest (path, query, fragment).

    A server part with no ``@`` ends at the first ``?`` or ``#`` as well, so that a query without
    a path (``redis://host?password=x``) is read as a query.
    """
    slash = after_scheme.find("/")
    head = after_scheme if slash < 0 else after_scheme[:slash]
    if "@" not in head:
        end = min((i for i in (head.find("?"), head.find("#")) if i >= 0), default=len(head))
        head = head[:end]
    return head, after_scheme[len(head) :]


def _password(head: str) -> str:
    """The password of a server part ``user:password@host`` ("" without one)."""
    userinfo, at, _ = head.rpartition("@")
    return userinfo.partition(":")[2] if at else ""


def _redact_authority(head: str) -> str:
    userinfo, at, host = head.rpartition("@")
    if not at:
        return head
    if "?" in userinfo or "#" in userinfo:  # a password or a query: cannot tell, hide it all
        return MASK
    user, colon, password = userinfo.partition(":")
    if not colon or not password:
        return head
    return f"{user}:{MASK}@{host}"


def _redact_path(rest: str) -> str:
    """The path as given; the secret values of its query masked."""
    before, question, after = rest.partition("?")
    if not question:
        return rest
    query, hash_sign, fragment = after.partition("#")
    pairs = [_redact_pair(pair) for pair in query.split("&")]
    return f"{before}?{'&'.join(pairs)}{hash_sign}{fragment}"


def _redact_pair(pair: str) -> str:
    name, equals, value = pair.partition("=")
    if equals and value and is_secret_name(name):
        return f"{name}={MASK}"
    return pair


def _redact_schemeless(text: str) -> str:
    """A libpq ``keyword=value`` string, or an address written without its scheme."""

    def masked(match: re.Match[str]) -> str:
        if not is_secret_name(match["name"]):
            return match.group()
        return f"{match['name']}{match['eq']}{MASK}"

    text = _KEYWORD_VALUE.sub(masked, text)
    if "@" in text and not any(space in text for space in " \t\n"):  # user:password@host
        head, rest = _split_authority(text)
        text = _redact_authority(head) + rest
    return text


def _unquote_keyword_value(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return re.sub(r"\\(.)", r"\1", value[1:-1])
    return value
