"""Broken internal links fail the build, before anything is written.

Every `href` and `src` of every rendered page that points into the site (a relative or
absolute-path address, or an absolute URL on the site's own host, `webcal://` included) must
name a file of the build (`a/` is `a/index.html`), and its `#fragment` an `id` on the target
page; a bare `#x` is a jump within the page. External links are not ours to check.

Fast by design, because it runs on every build (about 55 ms for the 1,054 pages, 45 MB of
HTML, of the 1,000-programme benchmark corpus, most of it the one pass over the bytes): one
compiled regular expression per page picks the ` href="…"`, ` src="…"` and ` id="…"`
attributes as our templates and the Markdown sanitiser write them (double quotes, one space
before the name), leaving out links to other sites inside the regular expression engine; the
addresses that are exactly a file of the build (most of them) are settled by one set
difference; each remaining address is resolved once per build. The preview does not look
again at a page found fine by its last build while the page's links, the site's files and the
ids of the pages it jumps into are the very same objects. Only a page with a problem is
parsed properly (html.parser), to confirm that the address is an attribute and not text that
looks like one (say, HTML shown in a code sample). tests/test_linkcheck.py checks that the
regular expression finds exactly what html.parser finds on every page of the real and the rich
fixture site, so a template written differently is noticed.
"""

from __future__ import annotations

import functools
import html
import html.parser
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import compress
from operator import is_not
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urljoin, urlsplit

from . import urls
from .errors import BuildError
from .memo import Memo

if TYPE_CHECKING:
    from .pages import Page

_SCHEMES = ("http", "https", "webcal")  # the ones that can address this site
_SHOWN = 30  # problems listed in the message; the rest are counted


@dataclass(frozen=True)
class Problem:
    page: str  # output file, e.g. programmid/x/index.html
    link: str  # the attribute value, entities decoded
    message: str


def check_links(
    files: Mapping[str, bytes],
    base_url: str,
    pages: Iterable[Page] = (),
    templates_dir: Path | None = None,
    memo: Memo[Any] | None = None,
) -> None:
    """Raise BuildError naming every broken internal link or fragment in the HTML `files`
    ({output path: bytes}, as they will be written). `pages` and `templates_dir` only help to
    say where a broken link comes from: the template or content file line that has it, else
    the page's template."""
    problems = find_problems(files, base_url, memo)
    if problems:
        raise BuildError(report(problems, pages, templates_dir))


def check_site(
    names: Mapping[str, object],
    attributes: dict[str, Attributes],
    base_url: str,
    read: Callable[[str], bytes],
    pages: Iterable[Page] = (),
    templates_dir: Path | None = None,
    checked: Checked | None = None,
    names_as_before: Mapping[str, object] | None = None,
) -> None:
    """check_links for a site whose pages were read as they were made (page_attributes).
    With `checked` (the preview's, kept from one build to the next), a page found fine last
    time is not looked at again while its links, the site's files and the ids it links to
    are the very same. `names_as_before`: a mapping with the very paths of `names`, known
    without comparing them (write.Writer.paths_as_committed)."""
    problems = problems_in(names, attributes, base_url, read, checked, names_as_before)
    if problems:
        raise BuildError(report(problems, pages, templates_dir))


def find_problems(
    files: Mapping[str, bytes], base_url: str, memo: Memo[Any] | None = None
) -> list[Problem]:
    """With a `memo`, a page's links and ids are read again only when its bytes are not
    those of the last build (the very same object)."""
    memo = Memo() if memo is None else memo
    attributes = {
        name: page_attributes(name, data, base_url, memo)
        for name, data in files.items()
        if name.endswith(".html")
    }
    return problems_in(files, attributes, base_url, files.__getitem__)


# A page's internal link addresses and its ids, kept for every page until the check: a
# tuple and a frozenset of shared bytes take a third of the memory of two sets.
Attributes = tuple[tuple[bytes, ...], frozenset[bytes]]


def page_attributes(name: str, data: bytes, base_url: str, memo: Memo[Any]) -> Attributes:
    """What the check needs of one page, read once per page as the build makes it."""
    # (the scanner looked up only when the page is new: a rebuild asks for a thousand)
    attributes: Attributes = memo.get(
        name, (data,), base_url, lambda: _scanner(base_url).attributes(data)
    )
    return attributes


@dataclass
class Checked:
    """What the last link check found fine: its site, and each page's links with the ids
    of the pages they jump into (the very same objects: the memo's); every page's links and
    ids as checked, and for each file the pages found fine that jump into it."""

    site: _Site | None = None
    pages: dict[str, tuple[Attributes, list[_Jump]]] = field(default_factory=dict)
    attributes: Mapping[str, Attributes] = field(default_factory=dict)
    into: dict[str, set[str]] = field(default_factory=dict)


_Jump = tuple[str, frozenset[bytes] | None]  # a linked page and its ids when checked


def problems_in(
    names: Mapping[str, object],
    attributes: dict[str, Attributes],
    base_url: str,
    read: Callable[[str], bytes],
    checked: Checked | None = None,
    names_as_before: Mapping[str, object] | None = None,
) -> list[Problem]:
    """The problems of the pages whose `attributes` are given, in a site of the files
    `names`; `read` gives a page's bytes, for the few pages that need a closer look."""
    last = checked if checked is not None else Checked()
    same_site = last.site is not None and last.site.same(base_url, names, names_as_before)
    if same_site and last.site is not None:
        site = last.site
        site.names = names  # the same paths: as the next build's writer will know them
    else:
        site = _Site(base_url, names)
    fine: dict[str, tuple[Attributes, list[_Jump]]]
    into: dict[str, set[str]]
    pages: Iterable[str] = list(attributes)
    if same_site:
        # The pages to look at: those whose links or ids are not the very same objects as
        # last time, those not found fine then, and those that jump into a page that
        # changed (found in C but for the few that changed: a rebuild has a thousand pages).
        keys = attributes.keys()
        changed = set(
            compress(keys, map(is_not, map(last.attributes.get, keys), attributes.values()))
        )
        again = changed | (keys - last.pages.keys())
        for file in changed:
            again |= last.into.get(file, set())
        fine, into = last.pages.copy(), last.into
        for page in again:
            _forget(fine.pop(page, None), page, into)
        pages = [page for page in attributes if page in again]  # (in the site's order)
    else:
        fine, into = {}, {}
    resolved: dict[tuple[str, bytes], _Target | None] = {}  # shared by all pages
    problems = []
    for page in pages:
        links = attributes[page][0]
        jumps: list[_Jump] = []
        # Addresses that are exactly a file of the build need no further look.
        if not _check_page(page, _unknown(links, site), attributes, site, resolved, jumps):
            fine[page] = attributes[page], jumps
            for file, _ in jumps:
                into.setdefault(file, set()).add(page)
        else:
            # Confirm with an HTML parser: an attribute, not text that looks like one.
            parsed_links, ids = _parsed_attributes(read(page))
            attributes[page] = (tuple(parsed_links), frozenset(ids))
            problems += _check_page(page, _unknown(parsed_links, site), attributes, site, {}, [])
    if checked is not None:
        checked.site, checked.pages, checked.attributes, checked.into = site, fine, attributes, into
    return sorted(problems, key=lambda p: (p.page, p.link))


def _forget(
    found: tuple[Attributes, list[_Jump]] | None, page: str, into: dict[str, set[str]]
) -> None:
    """A page found fine before, to be looked at again: out of `into`."""
    for file, _ in found[1] if found is not None else ():
        into.get(file, set()).discard(page)


def _ids_of(attributes: Mapping[str, Attributes], file: str) -> frozenset[bytes] | None:
    return attributes[file][1] if file in attributes else None


def _unknown(links: Iterable[bytes], site: _Site) -> set[bytes]:
    return {link for link in links if link not in site.files}


class _Site:
    def __init__(self, base_url: str, files: Mapping[str, object]) -> None:
        parts = urlsplit(base_url)
        self.base_url = base_url
        self.netloc = parts.netloc.lower()
        self.base_path = parts.path or "/"  # "/" or "/sub/"
        self.origins = tuple(f"{scheme}://{parts.netloc}/".encode() for scheme in _SCHEMES)
        # Every address that names a file exactly, as bytes like the pages' attributes.
        base = self.base_path.encode()
        self.files = {base + name.encode() for name in files}
        self.files |= {name[:-10] for name in self.files if name.endswith(b"/index.html")}
        self.names = files

    def same(
        self, base_url: str, files: Mapping[str, object], as_before: Mapping[str, object] | None
    ) -> bool:
        """Whether this is the site of these very files (which have the paths of
        `as_before`, if given)."""
        if base_url != self.base_url:
            return False
        return self.names is as_before or files.keys() == self.names.keys()


class _Scanner:
    def __init__(self, base_url: str) -> None:
        # ` href="…"` or ` src="…"` unless it leads to another site (a scheme or a host other
        # than ours: mailto:, https://elsewhere, ...), and ` id="…"`. The literal `="` comes
        # first so that the engine's fast literal search drives the scan; the names are
        # checked looking back from it.
        netloc = urlsplit(base_url).netloc
        host = rb"(?i:" + re.escape(netloc.encode()) + rb")(?:[/?#\"])"
        elsewhere = rb"[A-Za-z][A-Za-z0-9+.\-]*:(?!//" + host + rb")|//(?!" + host + rb")"
        self._shared: dict[bytes, bytes] = {}  # one bytes object per address or id
        self._attribute = re.compile(
            rb'="(?:(?<= id=")([^"]*)|(?:(?<= href=")|(?<= src="))(?!' + elsewhere + rb')([^"]*))"'
        )

    def attributes(self, data: bytes) -> Attributes:
        """The page's internal link addresses and its ids, as written (entities undecoded)."""
        found: list[tuple[bytes, bytes]] = self._attribute.findall(data)
        shared = self._shared
        links = {shared.setdefault(link, link) for _, link in found if link}
        ids = frozenset(shared.setdefault(id_, id_) for id_, _ in found if id_)
        return tuple(links), ids  # href="" (the page itself) and (id, "") pairs left out


@functools.lru_cache(maxsize=8)
def _scanner(base_url: str) -> _Scanner:
    return _Scanner(base_url)


class _Collector(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: set[bytes] = set()
        self.ids: set[bytes] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            # Back to the escaped form of the fast reading, so that both are resolved alike.
            escaped = html.escape(value, quote=True).encode()
            if name in ("href", "src"):
                self.links.add(escaped)
            elif name == "id":
                self.ids.add(escaped)


def _parsed_attributes(data: bytes) -> tuple[set[bytes], set[bytes]]:
    collector = _Collector()
    collector.feed(data.decode("utf-8", "replace"))
    collector.close()
    return collector.links, collector.ids


@dataclass(frozen=True)
class _Target:
    file: str | None  # output file; None when there is none
    fragment: str | None
    note: str = ""  # what is wrong, when something is


_UNKNOWN = _Target(None, None, "not resolved yet")
_URL = re.compile(rb"[A-Za-z][A-Za-z0-9+.\-]*:|//")  # a scheme or a host


def _check_page(
    page: str,
    values: set[bytes],
    attributes: Mapping[str, Attributes],
    site: _Site,
    resolved: dict[tuple[str, bytes], _Target | None],
    jumps: list[_Jump],
) -> list[Problem]:
    """The page's problems; `jumps` gets each page whose ids were looked at."""
    problems = []
    address = "" if page == urls.NOT_FOUND else page.removesuffix("index.html")
    for value in values:
        if not value:
            continue  # href="": this page
        relative = False
        if value[:1] == b"#":  # a jump within the page (its own ids: its attributes)
            if value[1:] in attributes[page][1]:
                continue  # written exactly as the id: the commonest case
            text = _text(value)
            target = _Target(page, unquote(text[1:]))
        else:
            url = _URL.match(value)
            if url is not None:
                if url.group() != b"//" and url.group()[:-1].decode().lower() not in _SCHEMES:
                    continue  # mailto:, tel:, ...
                if _own_file(value, site):
                    continue  # our own address written in full, e.g. the canonical link
            relative = url is None and value[:1] != b"/"
            key = (page if relative else "", value)
            # Each address is resolved once per build, however many pages have it.
            found = resolved.get(key, _UNKNOWN)
            if found is _UNKNOWN:
                found = resolved[key] = _resolve(value, address, site)
            if found is None:
                continue  # another site
            target, text = found, _text(value)
        if target.note:
            problems.append(Problem(page, text, target.note))
        elif page == urls.NOT_FOUND and relative:
            # 404.html is served for any unknown address, at any depth.
            note = "on suhteline, aga 404-lehte näidatakse igal aadressil"
            problems.append(Problem(page, text, note))
        elif target.fragment and target.fragment.lower() != "top":  # "#top": the top (HTML)
            assert target.file is not None
            ids = _ids_of(attributes, target.file)
            jumps.append((target.file, ids))
            if ids is not None and not _has_id(ids, target.fragment):
                where = "sellel lehel" if target.file == page else f"lehel {_page(target.file)}"
                problems.append(Problem(page, text, f'{where} ei ole id="{target.fragment}"'))
    return problems


def _own_file(value: bytes, site: _Site) -> bool:
    """Whether `value` is exactly a file of the build written as a full URL of this site."""
    for origin in site.origins:
        if value.startswith(origin):
            return value[len(origin) - 1 :] in site.files
    return False


def _resolve(value: bytes, address: str, site: _Site) -> _Target | None:
    link = _text(value).strip(" \t\n\r\f")
    parts = urlsplit(urljoin(site.base_url + address, link))
    if parts.scheme not in _SCHEMES or parts.netloc.lower() != site.netloc:
        return None
    fragment = unquote(parts.fragment)
    if not parts.path.startswith(site.base_path):
        return _Target(None, None, f"viitab saidist ({site.base_url}) välja")
    path = unquote(parts.path).encode()
    if path not in site.files:
        if path + b"/" in site.files:
            return _Target(None, None, "ei vii kuhugi: kaustale viitab aadress / lõpus")
        return _Target(None, None, "ei vii kuhugi")
    return _Target(urls.output_file(unquote(parts.path)[len(site.base_path) :]), fragment)


def _text(value: bytes) -> str:
    text = value.decode("utf-8", "replace")
    return html.unescape(text) if "&" in text else text


def _has_id(ids: frozenset[bytes], fragment: str) -> bool:
    return fragment.encode() in ids or html.escape(fragment, quote=True).encode() in ids


def _page(file: str) -> str:
    return "/" + (file if file == urls.NOT_FOUND else file.removesuffix("index.html"))


def report(problems: list[Problem], pages: Iterable[Page], templates_dir: Path | None) -> str:
    by_file = {urls.output_file(page.path): page for page in pages}
    lines = [
        f"{_origin(p, by_file.get(p.page), templates_dir)}lehel {_page(p.page)}: "
        f"link {p.link} {p.message}"
        for p in problems[:_SHOWN]
    ]
    if len(problems) > _SHOWN:
        lines.append(f"... ja veel {len(problems) - _SHOWN}")
    count = "1 katkine link" if len(problems) == 1 else f"{len(problems)} katkist linki"
    lines.append(f"{count}; väljundit ei muudetud.")
    return "\n".join(lines)


def _origin(problem: Problem, page: Page | None, templates_dir: Path | None) -> str:
    """Where the link is written: a template line, a content file line, else the template."""
    if templates_dir is not None:
        attribute = [f'="{problem.link}"', f'="{html.escape(problem.link)}"']
        for template in sorted(templates_dir.rglob("*.html")):
            if found := _line_of(template, attribute):
                return found
    if page is None:
        return ""
    for source in page.sources:
        if found := _line_of(source, [f"({problem.link})", problem.link]):
            return found
    return f"{_shown((templates_dir or Path('templates')) / page.template)}: "


def _line_of(path: Path, needles: list[str]) -> str:
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
    for needle in needles:
        at = text.find(needle)
        if at >= 0:
            return f"{_shown(path)}:{text.count(chr(10), 0, at) + 1}: "
    return ""


def _shown(path: Path) -> str:
    """A path as short as it can be: relative to the working folder when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative
