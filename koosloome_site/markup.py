"""Editors' Markdown to safe HTML.

cmark-gfm (GitHub's CommonMark implementation in C, through cmarkgfm) converts: the Markdown
editors know from GitHub, with tables, strikethrough and autolinks, and thirty times faster
than Python-Markdown, which took a third of a large build. It passes raw HTML through; nh3
(the Rust ammonia sanitiser) then keeps only the tags and attributes a programme description
needs, so a pasted <script> or style never reaches a page. Link addresses keep only the
URL_SCHEMES (or none: a relative address); nh3 decodes entities and drops the control
characters and white space browsers ignore before it looks at the scheme, so
`jav&#x09;ascript:` goes too. HTML comments are removed. tests/test_hostile_content.py puts
hundreds of XSS payloads through it. Markdown without raw HTML whose tags and link
addresses nh3 would keep as they are skips it (`_as_sanitised`: the same bytes).
"""

from __future__ import annotations

import ctypes
import functools
import re
from collections.abc import Callable

import nh3
from cmarkgfm import _cmark
from cmarkgfm.cmark import Options

_TAGS = {"p", "br", "strong", "em", "a", "ul", "ol", "li", "h2", "h3", "h4", "blockquote"}
_TAGS |= {"code", "pre", "hr", "abbr", "table", "thead", "tbody", "tr", "th", "td", "del"}
_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# UNSAFE: raw HTML goes on to nh3, which keeps what is allowed (cmark alone would drop all of
# it). No SMART: it would write English quotes (“”), and Estonian uses „“.
# GITHUB_PRE_LANG and the extensions: what cmarkgfm.github_flavored_markdown_to_html uses.
_OPTIONS = Options.CMARK_OPT_UNSAFE | Options.CMARK_OPT_GITHUB_PRE_LANG
_EXTENSIONS = ("table", "autolink", "tagfilter", "strikethrough", "tasklist")


# Made once: nh3.clean builds its sanitiser from these settings on every call (a quarter of
# the time it takes for a description).
_SANITISER = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    url_schemes=set(URL_SCHEMES),
    link_rel="noopener",
    strip_comments=True,
)


def to_html(text: str) -> str:
    html = _github_flavored(text)
    if "<" not in text:  # no raw HTML: every tag is cmark's own
        plain = _as_sanitised(html)
        if plain is not None:
            return plain.rstrip("\n")
    return _SANITISER.clean(html).rstrip("\n")


# cmark's tags that nh3 keeps as they are, and the links whose address nh3 keeps (a scheme it
# allows, a host of plain labels ending in letters: nothing its URL parser could refuse) and
# gives rel="noopener". Any other tag or address goes through nh3.
_KEPT = "/?(?:p|em|strong|ul|ol|li|h[234]|blockquote|code|del)>|/a>|[bh]r />"
_ADDRESS = (
    r"(?:https?://(?:(?!xn--)[a-z0-9-]+\.)+[a-z]{2,63}(?:[/?#](?:[\w\-.~!$()*+,;=:@/?#%]|&amp;)*)?"
    r"|mailto:[\w\-.+%]+@(?:[a-z0-9-]+\.)+[a-z]{2,63}|tel:\+?[\d\-]+)"
)
_OTHER_TAG = re.compile(f'<(?!{_KEPT}|a href="{_ADDRESS}">)', re.ASCII)


def _as_sanitised(html: str) -> str | None:
    """What nh3 makes of `html`, cmark's rendering of Markdown without raw HTML, when that
    is plain to see: only the tags and links above. nh3 parses the page's HTML and writes it
    again (html5ever): a tenth of a programme page's context, though for most descriptions
    all it changes is how a few things are written: `"` in text as itself, a no-break space
    as `&nbsp;`, `<br>`, `<hr>`, and rel="noopener" on links. None: ask nh3.
    (tests/test_markup.py compares the two on thousands of generated descriptions.)"""
    if _OTHER_TAG.search(html) or "\r" in html:
        return None
    # Only the links' tags have attributes, and a `"` elsewhere is `&quot;` until now.
    html = html.replace('">', '" rel="noopener">').replace("&quot;", '"')
    html = html.replace("\xa0", "&nbsp;").replace("<br />", "<br>")
    return html.replace("<hr />", "<hr>")


def _github_flavored(text: str) -> str:
    """cmarkgfm.github_flavored_markdown_to_html, the same calls, but freeing what cmark
    allocates: cmarkgfm frees neither the document tree nor the HTML string (some 20 KB per
    description; a thousand programmes' pages kept 25 MB; theacodes/cmarkgfm#53)."""
    lib, ffi = _cmark.lib, _cmark.ffi
    parser = lib.cmark_parser_new(_OPTIONS)
    try:
        for extension in _extensions():
            lib.cmark_parser_attach_syntax_extension(parser, extension)
        data = text.encode("utf-8")
        lib.cmark_parser_feed(parser, data, len(data))
        root = lib.cmark_parser_finish(parser)
        try:
            extensions = lib.cmark_parser_get_syntax_extensions(parser)
            html = lib.cmark_render_html(root, _OPTIONS, extensions)
            try:
                return str(ffi.string(html).decode("utf-8"))
            finally:
                _c_functions()[0](int(ffi.cast("uintptr_t", html)))
        finally:
            _c_functions()[1](int(ffi.cast("uintptr_t", root)))
    finally:
        lib.cmark_parser_free(parser)


@functools.cache
def _extensions() -> list[object]:
    _cmark.lib.cmark_gfm_core_extensions_ensure_registered()
    return [_cmark.lib.cmark_find_syntax_extension(name.encode()) for name in _EXTENSIONS]


@functools.cache
def _c_functions() -> tuple[Callable[[int], None], Callable[[int], None]]:
    """libc's free (cmark allocates with the default allocator: calloc and realloc) and
    cmark_node_free, which cmarkgfm does not expose, from its own library."""
    free = ctypes.CDLL(None).free
    node_free = ctypes.CDLL(_cmark.__file__).cmark_node_free
    for function in (free, node_free):
        function.argtypes, function.restype = [ctypes.c_void_p], None
    return free, node_free
