"""The ItemLoader for articles: which cleaning function runs on which field.

This is the one place the text fields are cleaned (title, uptitle, lead, body, tags and the
breadcrumbs that become service and category): every item comes from the page parser, which
fills its fields through this loader, so no pipeline cleans them again.
"""

from __future__ import annotations

from itemloaders.processors import Identity, Join, MapCompose, TakeFirst
from scrapy.loader import ItemLoader

from .text import normalize_or_none, parse_news_code, strip_end_marker


def _unique(values: list[str]) -> list[str]:
    """Keep the first of repeated values, in order."""
    return list(dict.fromkeys(values))


class ArticleLoader(ItemLoader):
    """Collects raw values per field; the page module turns the result into an ``Article``.

    Selectors are added in priority order, so ``TakeFirst`` keeps the first one that matched.
    Every text value is normalised, and one left empty is dropped.
    """

    default_item_class = dict
    default_input_processor = MapCompose(normalize_or_none)
    default_output_processor = TakeFirst()

    news_code_in = MapCompose(parse_news_code)

    body_in = MapCompose(normalize_or_none, strip_end_marker)
    body_out = Join("\n\n")

    tags_out = _unique
    image_urls_in = Identity()
    image_urls_out = _unique
    breadcrumbs_out = Identity()
