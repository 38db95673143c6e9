"""Template breakage, for tests of the monitors: the site changes a class name and a crawl that
does not notice would store empty records."""

from __future__ import annotations

# What a theme change renames: the printed date and the body container, in both themes.
BREAKAGES = {
    "date": (("news_pdate_c", "news_pdate_x"), ("photo_pdate", "photo_pdate_x")),
    "body": (('class="body"', 'class="content_x"'), ('class="body" ', 'class="content_x" ')),
}


def break_template(page: str, parts: tuple[str, ...]) -> str:
    """``page`` with the named parts of its template renamed."""
    for part in parts:
        for old, new in BREAKAGES[part]:
            page = page.replace(old, new)
    return page
