"""Editors' Markdown as HTML that is safe to put on a page.

Markdown-it renders it with raw HTML turned off (so ``<script>`` stays text),
and nh3 (Ammonia) then keeps only a short list of tags and attributes and
only web and mail links: two locks, so one bug in either is not enough.
"""

from __future__ import annotations

import html
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

TAGS = {"p", "br", "a", "em", "strong", "s", "del", "ul", "ol", "li", "blockquote", "code", "pre", "h3", "h4", "hr"}
ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "noopener noreferrer nofollow ugc"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("strikethrough").disable("image")


@lru_cache(maxsize=4096)
def render_markdown(text: str) -> str:
    """Sanitised HTML of ``text`` (cached: an entry is rendered once per version, not once per reader)."""
    parser = _parser()
    tokens = parser.parse(text)
    for token in tokens:  # the page has its own h1 and h2: an entry's headings start at h3
        if token.type in ("heading_open", "heading_close"):
            token.tag = "h3" if token.tag in ("h1", "h2", "h3") else "h4"
    return nh3.clean(parser.renderer.render(tokens, parser.options, {}), tags=TAGS, attributes=ATTRIBUTES, url_schemes=URL_SCHEMES,
                     link_rel=LINK_REL, clean_content_tags={"script", "style"})


def plain_text(text: str) -> str:
    """The words of ``text`` without any markup, for feeds, structured data and headlines."""
    stripped = nh3.clean(render_markdown(text), tags=set(), clean_content_tags={"script", "style"})
    return " ".join(html.unescape(stripped).split())


def headline(text: str, limit: int = 110) -> str:
    """The first words of ``text``, cut at a word boundary within ``limit`` characters."""
    words = plain_text(text)
    if len(words) <= limit:
        return words
    cut = words[:limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",.;:") + "…"
