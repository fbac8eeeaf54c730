"""Editors' Markdown to safe HTML.

Python-Markdown passes raw HTML through; nh3 (the Rust ammonia sanitiser) then keeps only the
tags and attributes a programme description needs, so a pasted <script> or style never
reaches a page. Link addresses keep only the URL_SCHEMES (or none: a relative address); nh3
decodes entities and drops the control characters and white space browsers ignore before it
looks at the scheme, so `jav&#x09;ascript:` goes too. HTML comments are removed.
tests/test_hostile_content.py puts hundreds of XSS payloads through it.

Its input is bounded by validation (fields.MAX_TEXT): Python-Markdown needs time quadratic in
the length of some inputs, such as thousands of unmatched `[`.
"""

from __future__ import annotations

import markdown
import nh3
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.smarty import SmartyExtension
from markdown.extensions.tables import TableExtension

_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "h2", "h3", "h4", "blockquote"}
_TAGS |= {"code", "pre", "hr", "abbr", "table", "thead", "tbody", "tr", "th", "td"}
_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# Extension objects, not names: names are looked up through package metadata, which costs
# a noticeable part of start-up.
_converter = markdown.Markdown(
    extensions=[SaneListExtension(), TableExtension(), SmartyExtension(smart_quotes=False)],
)


def to_html(text: str) -> str:
    _converter.reset()
    html = _converter.convert(text)
    return nh3.clean(
        html,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener",
        strip_comments=True,
    )
