"""sitemap.xml: every public page with the date its content last changed, for search engines;
robots.txt, which allows everything and names the sitemap."""

from __future__ import annotations

from xml.etree import ElementTree

from . import urls
from .pages import Page

NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"


def sitemap(pages: list[Page], base_url: str) -> bytes:
    root = ElementTree.Element("urlset", xmlns=NAMESPACE)
    for page in pages:
        if page.path == urls.NOT_FOUND:
            continue
        entry = ElementTree.SubElement(root, "url")
        ElementTree.SubElement(entry, "loc").text = base_url + page.path
        ElementTree.SubElement(entry, "lastmod").text = page.context["updated"]["iso"]
    ElementTree.indent(root)
    return bytes(ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"


def robots(base_url: str) -> bytes:
    """Every crawler may read everything; the sitemap's absolute address (RFC 9309)."""
    return f"User-agent: *\nAllow: /\n\nSitemap: {base_url}{urls.SITEMAP}\n".encode()
