"""Markdown to HTML: the quick path for descriptions without raw HTML gives nh3's very bytes."""

from __future__ import annotations

import random

import pytest

from koosloome_site import markup

WORDS = ["programm", "õpe", "Tähtaeg", "küla", "Äksi", "tee", "1.", "2)", "a_b", "x*y", "Zoom"]
ADDRESSES = [
    "https://koosloome.ee/",
    "https://naide.ee/iga-keskkond",
    "http://www.tartu.ee/et/avaleht?a=1&b=2#x",
    "https://a.b-c.ee/path(1)/~x;y=1,2:3@4!$*+%20",
    "https://1.2.ee/",
    "https://1.2.3.4/",
    "https://example.com:8080/",
    "https://xn--mlu-kla.ee/",
    "https://xn--zz.ee/",
    "HTTPS://Koosloome.EE/",
    "https://koosloome.ee/it's",
    'https://koosloome.ee/"q"',
    "https://kõik.ee/",
    "https://a..b.ee/",
    "https://-a-.ee/",
    "mailto:info@koosloome.ee",
    "mailto:a.b+c@d.ee?subject=Tere",
    "tel:+3725551234",
    "tel:+372 555 1234",
    "/teemad/kaasamine/",
    "#ajakava",
    "javascript:alert(1)",
    "data:text/html,x",
    "ftp://example.com/",
    "<https://koosloome.ee/a b>",
    "https://koosloome.ee/a\u00a0b",
]
INLINE = [
    "**{w}**",
    "*{w}*",
    "_{w}_",
    "`{w} \"q\" & 'a'`",
    "~~{w}~~",
    "[{w}]({a})",
    '[{w}]({a} "pealkiri")',
    "[{w} www.tartu.ee]({a})",
    "[**{w}**]({a})",
    "![{w}]({a})",
    "{a}",
    "www.koosloome.ee",
    "info@koosloome.ee",
    "<{a}>",
    "&amp; &nbsp; &#39; &quot; &copy; &lt;",
    '"jutumärgid" ja „eesti“',
    "no\u00a0break",
    "\\*escaped\\*",
    "a\tb",
    "NEL\x85here",
    "\ufdd0\ufffd",
    "&",
    ">",
]
BLOCKS = [
    "{p}",
    "# {p}",
    "## {p}",
    "### {p}",
    "#### {p}",
    "##### {p}",
    "- {p}\n- {p}",
    "1. {p}\n2. {p}",
    "3) {p}",
    "- [ ] {p}\n- [x] {p}",
    "> {p}\n> {p}",
    "- {p}\n\n  > {p}",
    "{p}  \n{p}",
    "{p}\\\n{p}",
    "---",
    "***",
    "```\n{p}\n```",
    "```python\n{p}\n```",
    "    indented {p}",
    "| a | b |\n|---|:-:|\n| {p} | x |",
    "{p}\n===",
]


# What nh3 writes differently in more ways than the quick path knows: these go through it.
THROUGH_NH3 = ("![", "<", "#####", "[ ]", "```", "    ", "|", "3)", '"pealkiri"', "===")


def _document(rng: random.Random, usual: bool) -> str:
    """Random Markdown; `usual`: without what always goes through nh3, as most are."""
    inlines, blocks, addresses = INLINE, BLOCKS, ADDRESSES
    if usual:
        inlines = [i for i in INLINE if not any(mark in i for mark in THROUGH_NH3)]
        blocks = [b for b in BLOCKS if not any(mark in b for mark in THROUGH_NH3)]
        addresses = [a for a in ADDRESSES if "<" not in a]

    def inline() -> str:
        return rng.choice(inlines).format(w=rng.choice(WORDS), a=rng.choice(addresses))

    def paragraph() -> str:
        return " ".join(inline() if rng.random() < 0.3 else rng.choice(WORDS) for _ in range(6))

    return "\n\n".join(rng.choice(blocks).format(p=paragraph()) for _ in range(rng.randint(1, 5)))


def _by_nh3(text: str) -> str:
    return markup._SANITISER.clean(markup._github_flavored(text)).rstrip("\n")


def test_descriptions_without_raw_html_come_out_as_nh3_writes_them() -> None:
    rng = random.Random(20261128)
    quick = 0
    for n in range(4000):
        text = _document(rng, usual=n % 2 == 0)
        assert markup.to_html(text) == _by_nh3(text), text
        if "<" not in text and markup._as_sanitised(markup._github_flavored(text)) is not None:
            quick += 1
    assert quick > 1000  # the quick path was taken often enough for this to compare it


@pytest.mark.parametrize(
    "text",
    [
        "[x](javascript:alert(1))",
        "[x](https://1.2.3.4/)",
        "[x](https://example.com:8080/)",
        "##### Pealkiri",
        "![pilt](https://koosloome.ee/a.png)",
        "- [ ] ülesanne",
    ],
)
def test_what_nh3_changes_more_goes_through_nh3(text: str) -> None:
    assert markup._as_sanitised(markup._github_flavored(text)) is None
    assert markup.to_html(text) == _by_nh3(text)
