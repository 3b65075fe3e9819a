"""Article bodies: Markdown rendered by markdown-it-py, then sanitised by nh3 (an allow-list), so that an
editor's script tag, event handler or javascript: link ends up inert text or gone."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

# Raw HTML in the Markdown is escaped, not passed through; nh3 is the second fence.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "td": {"align"}, "th": {"align"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def render_markdown(text: str) -> str:
    """Safe HTML for an article body."""
    html = _MARKDOWN.render((text or "").replace("\x00", ""))
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener",
        strip_comments=True,
    )


_MARKUP = re.compile(r"[`*_#>\[\]()|~]+")
_LINK_TARGET = re.compile(r"\]\([^)]*\)")


def plain_text(text: str) -> str:
    """The words of a Markdown text, for the search index and snippets."""
    text = _LINK_TARGET.sub("]", text or "")
    return " ".join(_MARKUP.sub(" ", text).split())
