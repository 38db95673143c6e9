"""The one redaction: every shape of address the drivers accept loses its passwords and secret
query values and keeps the rest; driver errors and log records lose every secret of the crawl."""

from __future__ import annotations

import hashlib
import io
import logging
import string
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from hypothesis import assume, given
from hypothesis import strategies as st
from scrapy.settings import Settings

from mizan_crawler.distributed.keys import redis_client, redis_problem
from mizan_crawler.redaction import (
    MASK,
    redact_arguments,
    redact_text,
    redact_url,
    redact_value,
    url_secrets,
)
from mizan_crawler.secret_filter import crawl_secrets, install
from mizan_crawler.store import StoreUnavailable, open_store
from mizan_crawler.store.spool import Spool


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:s3cret@h:5432/d", "postgresql://u:***@h:5432/d"),
        ("postgres://:s3cret@h/d", "postgres://:***@h/d"),
        ("redis://:s3cret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("rediss://worker:s3cret@cache.example:6380/2", "rediss://worker:***@cache.example:6380/2"),
        ("postgresql://u:p%40ss%2Fw@h/d", "postgresql://u:***@h/d"),
        ("postgresql://u:p@ss@h/d", "postgresql://u:***@h/d"),  # '@' unencoded: the last one counts
        ("postgresql://u:pa:ss@h/d", "postgresql://u:***@h/d"),
        ("postgresql://u:s3cret@[::1]:5432/d", "postgresql://u:***@[::1]:5432/d"),
        (
            "postgresql://u@h/d?sslmode=require&password=s3cret&application_name=crawler",
            "postgresql://u@h/d?sslmode=require&password=***&application_name=crawler",
        ),
        ("postgresql://u@h/d?sslpassword=s3cret", "postgresql://u@h/d?sslpassword=***"),
        ("postgresql://h/d?PassWord=s3cret", "postgresql://h/d?PassWord=***"),
        ("postgresql://h/d?pass%77ord=s3cret", "postgresql://h/d?pass%77ord=***"),
        ("redis://h:6379/0?password=s3cret", "redis://h:6379/0?password=***"),
        ("redis://h:6379?password=s3cret", "redis://h:6379?password=***"),
        ("unix:///run/redis.sock?db=1&password=s3cret", "unix:///run/redis.sock?db=1&password=***"),
        (
            "https://h/x?api_key=a&token=b&client_secret=c&auth=d&pwd=e&page=2",
            "https://h/x?api_key=***&token=***&client_secret=***&auth=***&pwd=***&page=2",
        ),
        (
            "postgresql://u:one@h/d?password=two#part",
            "postgresql://u:***@h/d?password=***#part",
        ),
        # libpq reads '?' and '#' before the '@' as part of the password, a URL parser as the
        # query: which it is cannot be told, so the whole server part goes.
        ("postgresql://u:pa#ss@h/d", "postgresql://***/d"),
        ("postgresql://u:pa?ss@h/d", "postgresql://***/d"),
        # libpq keyword/value strings, and an address without its scheme
        ("host=h user=u password=s3cret dbname=d", "host=h user=u password=*** dbname=d"),
        ("host=h password = 'se cr\\'et' port=5432", "host=h password = *** port=5432"),
        ("u:s3cret@h:5432/d", "u:***@h:5432/d"),
    ],
)
def test_redact_url_masks_every_secret_and_keeps_the_rest(url: str, shown: str) -> None:
    assert redact_url(url) == shown


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:///data/mizan.sqlite",
        "sqlite:////var/lib/mizan/store.sqlite",
        "postgresql://postgres@127.0.0.1:5432/mizan",
        "postgresql://u:@h/d",  # an empty password: nothing to hide
        "postgresql://h/d?sslmode=verify-full&application_name=mizan&connect_timeout=10",
        "redis://127.0.0.1:6379/15",
        "http://127.0.0.1:8000/fa/allnews?p=3",
        "",
    ],
)
def test_addresses_without_secrets_are_shown_as_given(url: str) -> None:
    assert redact_url(url) == url
    assert url_secrets(url) == []


def test_spool_names_stay_as_they_were_and_ignore_the_password(tmp_path: Path) -> None:
    url = "postgresql://crawler:first-pw@db:5432/mizan"
    # The store's part of the name, as before query secrets were masked: the digest of the
    # user-info-masked address (each crawl's file adds its own suffix to it; see store/spool.py).
    digest = hashlib.sha256(b"postgresql://crawler:***@db:5432/mizan").hexdigest()[:16]
    spool = Spool(tmp_path, redact_url(url))
    assert spool.prefix == f"spool-{digest}"
    assert spool.path.name.startswith(f"spool-{digest}-") and spool.path.suffix == ".jsonl"
    renamed = Spool(tmp_path, redact_url(url.replace("first-pw", "second-pw")))
    assert renamed.prefix == f"spool-{digest}"
    queried = [redact_url(f"postgresql://db/mizan?password={pw}") for pw in ("one", "two")]
    assert queried[0] == queried[1]


# A password drawn from printable characters, as typed (user-info: every character the drivers
# read there unencoded, so not '/'; a query value: not '&' or '#', which end it) or
# percent-encoded (any character at all).
raw_userinfo = st.text(alphabet=string.printable.replace("/", ""), min_size=1, max_size=30)
raw_query_value = st.text(alphabet=string.printable.translate({38: None, 35: None}), min_size=1)
any_password = st.text(min_size=1, max_size=30).filter(lambda text: "\x00" not in text)
secret_names = st.sampled_from(
    ["password", "sslpassword", "PASSWORD", "pass", "pwd", "api_key", "Token", "client_secret"]
)


def _shown_independent_of(make: object, password: str, ambiguous: str = "") -> None:
    """The address shows nothing of the password: it is shown the same whatever the password
    (or, with a '?' or '#' typed in the user-info, as ``ambiguous``: the server part masked), and
    the password appears in it only if it appears in every such address (``1`` in ``127.0.0.1``)."""
    assert callable(make)
    shown, baseline = redact_url(make(password)), redact_url(make("x"))
    typed_query_sign = ambiguous and ("?" in password or "#" in password)
    assert shown == (ambiguous if typed_query_sign else baseline)
    assert password not in shown or password in redact_url(make("Q"))


@given(raw_userinfo)
def test_any_typed_userinfo_password_is_never_shown(password: str) -> None:
    _shown_independent_of(
        lambda pw: f"postgresql://crawler:{pw}@db.example:5432/mizan",
        password,
        ambiguous="postgresql://***/mizan",
    )
    _shown_independent_of(
        lambda pw: f"redis://:{pw}@cache.example:6379/0", password, ambiguous="redis://***/0"
    )


@given(any_password)
def test_any_encoded_userinfo_password_is_never_shown(password: str) -> None:
    encoded = quote(password, safe="")
    _shown_independent_of(lambda pw: f"postgresql://crawler:{pw}@db.example/mizan", encoded)


@given(secret_names, raw_query_value)
def test_any_typed_query_secret_is_never_shown(name: str, value: str) -> None:
    def address(pw: str) -> str:
        return f"postgresql://crawler@db.example/mizan?sslmode=require&{name}={pw}&x=1"

    _shown_independent_of(address, value)
    _shown_independent_of(lambda pw: f"redis://cache.example:6379/0?{name}={pw}", value)


@given(secret_names, any_password)
def test_any_encoded_query_secret_is_never_shown(name: str, password: str) -> None:
    encoded = quote(password, safe="")
    _shown_independent_of(lambda pw: f"postgresql://db.example/mizan?{name}={pw}", encoded)


@given(any_password, any_password)
def test_redact_text_leaves_no_secret_of_the_address(userinfo: str, query: str) -> None:
    assume(userinfo not in MASK and query not in MASK)
    url = f"postgresql://u:{quote(userinfo, safe='')}@h/d?password={quote(query, safe='')}"
    message = (
        f'connection to {url} failed: FATAL: password "{userinfo}" rejected; '
        f"invalid sslpassword {query}; dsn user=u password={quote(query)}"
    )
    redacted = redact_text(message, url_secrets(url))
    for secret in (userinfo, query, quote(userinfo, safe=""), quote(query, safe="")):
        assert secret not in redacted


def test_redact_text_keeps_the_message_around_the_secrets() -> None:
    url = "postgresql://u:S3cr3t%2FZx9q@h/d?password=Qu3ry-Pw7k"
    message = f'connection to {url} failed: password "S3cr3t/Zx9q" rejected (Qu3ry-Pw7k)'
    assert redact_text(message, url_secrets(url)) == (
        'connection to postgresql://u:***@h/d?password=*** failed: password "***" rejected (***)'
    )


def test_redact_value_masks_strings_inside_stats() -> None:
    stats = {"mizan/distributed/error": "AUTH s3cret refused", "count": 3, "list": ["s3cret", 1]}
    assert redact_value(stats, ["s3cret"]) == {
        "mizan/distributed/error": "AUTH *** refused",
        "count": 3,
        "list": ["***", 1],
    }


def test_a_command_line_for_the_log_shows_no_secret() -> None:
    command = [
        "crawl", "news",
        "-s", "DATABASE_URL=postgresql://u:pw-one@h/d?password=pw-two",
        "-s", "SPIDERMON_SLACK_SENDER_TOKEN=xoxb-token",
        "-s", "MIZAN_REDIS_KEY_PREFIX=mizan",
    ]  # fmt: skip
    assert redact_arguments(command) == (
        "crawl news -s DATABASE_URL=postgresql://u:***@h/d?password=*** "
        "-s SPIDERMON_SLACK_SENDER_TOKEN=*** -s MIZAN_REDIS_KEY_PREFIX=mizan"
    )


def test_crawl_secrets_come_from_addresses_and_secret_settings_only() -> None:
    settings = Settings(  # over Scrapy's defaults
        {
            "DATABASE_URL": "postgresql://u:pg-pw@h/d?sslpassword=ssl-pw",
            "MIZAN_REDIS_URL": "redis://h:6379/0?password=redis-pw",
            "SPIDERMON_SLACK_SENDER_TOKEN": "xoxb-token",
            "FEEDS": {"s3://AKIDEXAMPLE:aws-pw@bucket/items.jsonl": {"format": "jsonl"}},
            "MIZAN_REDIS_KEY_PREFIX": "mizan",  # a "key" in the name, not a secret
            "MIZAN_BASE_URL": "http://127.0.0.1:8000",
        }
    )
    secrets = crawl_secrets(settings)
    for secret in ("pg-pw", "ssl-pw", "redis-pw", "xoxb-token", "aws-pw"):
        assert secret in secrets
    assert "mizan" not in secrets
    assert "guest" not in secrets  # Scrapy's default FTP_PASSWORD, for anonymous FTP
    assert not any("127.0.0.1" in secret for secret in secrets)


def test_crawl_secrets_read_a_keyword_value_database_url() -> None:
    assert "kv-pw" in crawl_secrets({"DATABASE_URL": "host=h user=u password=kv-pw"})


def test_secret_filter_masks_messages_arguments_tracebacks_and_stacks() -> None:
    logger = logging.getLogger("mizan_crawler.tests.secret_filter")
    logger.propagate = False
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger.addHandler(handler)
    try:
        install(["S3cr3t-Zx9q"], logger)
        install(["Qu3ry-Pw7k"], logger)  # a second crawler of the process adds its own
        assert len(handler.filters) == 1
        logger.warning("Overridden settings:\n%(settings)s", {"settings": {"X": "S3cr3t-Zx9q"}})
        logger.warning("store at %s", "postgresql://u@h/d?password=never-named")
        try:
            raise RuntimeError("driver said: password Qu3ry-Pw7k is wrong")
        except RuntimeError:
            logger.exception("write failed")
        logger.warning("where S3cr3t-Zx9q was", stack_info=True)
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    for secret in ("S3cr3t-Zx9q", "Qu3ry-Pw7k", "never-named"):
        assert secret not in text
    assert "{'X': '***'}" in text
    assert "password=***" in text
    assert "RuntimeError: driver said: password *** is wrong" in text
    assert "where *** was" in text
    assert "Stack (most recent call last)" in text


def test_unreachable_postgres_error_shows_no_password_of_either_place() -> None:
    with pytest.raises(StoreUnavailable) as caught:
        open_store("postgresql://user:S3cr3t-Zx9q@127.0.0.1:1/db?password=Qu3ry-Pw7k")
    message = str(caught.value)
    assert "S3cr3t-Zx9q" not in message
    assert "Qu3ry-Pw7k" not in message
    assert "postgresql://user:***@127.0.0.1:1/db?password=***" in message


def test_unreachable_redis_error_shows_no_password() -> None:
    for url in ("redis://:S3cr3t-Zx9q@127.0.0.1:1/0", "redis://127.0.0.1:1/0?password=S3cr3t-Zx9q"):
        client = redis_client(url, 1.0)
        try:
            client.ping()
        except redis.RedisError as error:
            problem = redis_problem(url, error)
        else:
            pytest.fail("a Redis answered on port 1")
        finally:
            client.close()
        assert "S3cr3t-Zx9q" not in problem
        assert "Redis at redis://" in problem
        assert "***" in problem
