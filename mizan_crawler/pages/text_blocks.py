"""Article text as paragraphs: block elements and ``<br>`` break lines; non-content is skipped."""

from __future__ import annotations

import re

from lxml import etree

# Elements whose content is never article text.
SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "iframe",
        "form",
        "video",
        "audio",
        "object",
        "embed",
        "button",
        "svg",
        "select",
        "textarea",
        "template",
        "input",
    }
)
# Classes and ids of ads, players, share widgets and comment boxes that themes put inside bodies.
SKIP_MARKERS = re.compile(
    r"(?:^|[\s_-])(?:ads?|advert\w*|banner\w*|share\w*|social\w*|\w*player\w*|comments?\w*|"
    r"related\w*|print\w*|tags?\w*|newsletter\w*|mainNewsVideo)(?:$|[\s_-])",
    re.IGNORECASE,
)
BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "blockquote",
        "pre",
        "table",
        "tr",
        "figcaption",
        "figure",
        "hr",
        "br",
        "header",
        "footer",
    }
)


def _is_skipped(element: etree._Element) -> bool:
    tag = element.tag
    if not isinstance(tag, str):
        return True  # comments and processing instructions
    if tag.lower() in SKIP_TAGS:
        return True
    marker = f"{element.get('class', '')} {element.get('id', '')}"
    return bool(marker.strip()) and bool(SKIP_MARKERS.search(marker))


def paragraphs(root: etree._Element) -> list[str]:
    """The raw text of each paragraph under ``root``, in document order, unnormalised."""
    found: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        if buffer:
            found.append("".join(buffer))
            buffer.clear()

    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        is_block = isinstance(element.tag, str) and element.tag.lower() in BLOCK_TAGS
        if event == "start":
            if element is not root and _is_skipped(element):
                walker.skip_subtree()
                continue
            if is_block:
                flush()
            if element.text:
                buffer.append(element.text)
        else:
            if is_block:
                flush()
            if element is not root and element.tail:
                buffer.append(element.tail)
    flush()
    return found


def has_text(root: etree._Element) -> bool:
    """Whether :func:`paragraphs` would find anything under ``root``; stops at the first text."""
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        if event == "start":
            if element is not root and _is_skipped(element):
                walker.skip_subtree()
            elif element.text:
                return True
        elif element is not root and element.tail:
            return True
    return False
