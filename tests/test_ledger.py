"""The coverage ledger's arithmetic and the listing walk's bookkeeping, without a crawl."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from mizan_crawler import ledger
from mizan_crawler.spiders.walk import ListedPage, ListingWalk
from mizan_crawler.store import CoverageMark


def _news(first: int, last: int, run: str = "r") -> CoverageMark:
    return CoverageMark(run, "news", first, last)


def test_spans_merge_where_they_meet_and_holes_stay() -> None:
    marks = [_news(100, 200), _news(150, 300), _news(400, 500), CoverageMark("b", "codes", 1, 9)]
    assert ledger.timeline(marks) == [(100, 300), (400, 500)]
    assert ledger.holes(marks, 100, 500) == [(300, 400)]
    assert ledger.holes(marks, 50, 600) == [(50, 100), (300, 400), (500, 600)]


def test_reach_is_the_top_of_the_block_holding_the_goal() -> None:
    marks = [_news(100, 300), _news(400, 500), CoverageMark("r", ledger.GOAL, 120, 120)]
    goal = ledger.goal(marks)
    assert goal == 120
    assert ledger.reach(marks, goal).stop_at == 300  # not 500: the hole above 300 is unread
    assert ledger.reach(marks, 350).covered_to is None
    assert ledger.reach(marks, 350).stop_at == 350


def test_a_completed_backfill_counts_as_read() -> None:
    marks = [_news(300, 400), CoverageMark("b", "backfill", 100, 300)]
    assert ledger.reach(marks, 150).covered_to == 400


@given(st.lists(st.tuples(st.integers(0, 1000), st.integers(0, 200)), max_size=12))
def test_merged_blocks_cover_exactly_the_spans(pairs: list[tuple[int, int]]) -> None:
    spans = [(first, first + length) for first, length in pairs]
    blocks = ledger.merged(spans)
    assert blocks == sorted(blocks)
    for (_, last), (first, _) in pairwise(blocks):
        assert first > last  # disjoint, not touching
    for point in range(0, 1201, 7):
        inside_span = any(a <= point <= b for a, b in spans)
        inside_block = any(a <= point <= b for a, b in blocks)
        assert inside_span == inside_block


def test_the_walk_vouches_only_for_settled_pages_in_order() -> None:
    walk = ListingWalk()
    for key in ("a", "b", "c"):
        walk.sent(key)
    walk.add_page(ListedPage(1, ["a", "b"], [500, 400]), {"a": 500, "b": 400})
    walk.add_page(ListedPage(2, ["c", "d"], [300, 200]), {"c": 300, "d": 200})  # d: stored
    walk.settled("c")
    assert walk.span() is None  # page 1 still waits for a and b
    walk.settled("a")
    walk.settled("b")
    assert walk.span() == (200, 500)


def test_an_article_that_could_not_be_fetched_ends_the_span_above_it() -> None:
    walk = ListingWalk()
    for key in ("a", "b", "c"):
        walk.sent(key)
    walk.add_page(ListedPage(1, ["a", "b"], [500, 400]), {"a": 500, "b": 400})
    walk.add_page(ListedPage(2, ["c"], [300]), {"c": 300})
    walk.settled("a")
    walk.settled("b", ok=False)
    walk.settled("c")
    assert walk.span() == (401, 500)


def test_the_newest_listed_article_failing_vouches_for_nothing() -> None:
    walk = ListingWalk()
    walk.sent("a")
    walk.add_page(ListedPage(1, ["a"], [500]), {"a": 500})
    walk.settled("a", ok=False)
    assert walk.span() is None


def test_one_article_under_two_requests_settles_when_both_have() -> None:
    walk = ListingWalk()
    walk.sent("a")  # from the feed
    walk.sent("a")  # from the listing, dropped by the request filter as a duplicate
    walk.add_page(ListedPage(1, ["a"], [500]), {"a": 500})
    walk.settled("a")
    assert walk.span() is None
    walk.settled("a")
    assert walk.span() == (500, 500)
