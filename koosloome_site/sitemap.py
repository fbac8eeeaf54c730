"""sitemap.xml: every public page with the date its content last changed, for search engines;
robots.txt, which allows everything and names the sitemap."""

from __future__ import annotations

from html import escape

from . import urls
from .pages import Page

NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"


def sitemap(pages: list[Page], base_url: str) -> bytes:
    """Written as text: ElementTree took a tenth of a preview rebuild on a big site."""
    entries = "".join(
        f"  <url>\n    <loc>{escape(base_url + page.path, quote=False)}</loc>\n"
        f"    <lastmod>{page.context['updated']['iso']}</lastmod>\n  </url>\n"
        for page in pages
        if page.path != urls.NOT_FOUND
    )
    return (
        f"<?xml version='1.0' encoding='utf-8'?>\n<urlset xmlns=\"{NAMESPACE}\">\n"
        f"{entries}</urlset>\n"
    ).encode()


def robots(base_url: str) -> bytes:
    """Every crawler may read everything; the sitemap's absolute address (RFC 9309)."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {base_url}{urls.SITEMAP}\n".encode()
