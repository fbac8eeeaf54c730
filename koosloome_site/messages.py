"""Content error messages in the editor's language: Estonian (the source) or English.

Messages are written in Estonian, where they are made, with `msg("kuupäeva {text} ei ole
olemas", text=...)`. A `Msg` is a `str` (the Estonian text, so sorting, comparing and tests
work as before) that also remembers its template and arguments. Only when a report is printed
in another language is the gettext catalog (`locale/<lang>/LC_MESSAGES/messages.po`, read with
Babel) loaded and the template translated; arguments that are messages themselves are
translated too. A good build never loads a catalog, and an Estonian report neither.

Catalogs: `pybabel extract -F babel.cfg -o koosloome_site/locale/messages.pot koosloome_site`
then `pybabel update -i koosloome_site/locale/messages.pot -d koosloome_site/locale`;
`tests/test_messages.py` fails while an English translation is missing or the template is
stale. The .po file is read directly: there is no compiled .mo to go stale.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

LANGUAGES = ("et", "en")
DEFAULT_LANGUAGE = "et"
ENV_VAR = "KOOSLOOME_LANG"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"


class Msg(str):
    """An Estonian message that can be translated later: the formatted text plus its template."""

    template: str
    args: dict[str, Any]

    def __new__(cls, template: str, args: dict[str, Any]) -> Msg:
        self = super().__new__(cls, template.format(**args) if args else template)
        self.template, self.args = template, args
        return self

    def __reduce__(self) -> tuple[type[Msg], tuple[str, dict[str, Any]]]:
        """Pickled as what makes it (problems come back from a child process that read
        files, validate.py)."""
        return Msg, (self.template, self.args)

    def __add__(self, other: str) -> Msg:
        return Msg("{a}{b}", {"a": self, "b": other})

    def __radd__(self, other: str) -> Msg:
        return Msg("{a}{b}", {"a": other, "b": self})


def msg(template: str, /, **args: Any) -> Msg:
    """A translatable message; `template` is a str.format template and the gettext msgid."""
    if args:
        return Msg(template, args)
    plain = _PLAIN.get(template)  # hints are made for every value read: keep that cheap
    if plain is None:
        plain = _PLAIN[template] = Msg(template, {})
    return plain


_PLAIN: dict[str, Msg] = {}


def language(requested: str | None = None) -> str:
    """The report language: `--lang`, else KOOSLOOME_LANG, else Estonian."""
    value = requested or os.environ.get(ENV_VAR, "") or DEFAULT_LANGUAGE
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    """msgid -> translation of one language's catalog; loaded on first use only."""
    from babel.messages.pofile import read_po  # only when a report is translated

    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as file:
        po = read_po(file, locale=lang)
    return {str(m.id): str(m.string) for m in po if m.id and m.string and not m.fuzzy}


def translate(text: str, lang: str) -> str:
    """`text` in `lang`; untranslated parts stay as they are."""
    if lang == "et":
        return str(text)
    table = catalog(lang)
    if isinstance(text, Msg):
        if not text.args:
            return table.get(text.template, text.template)
        args = {k: translate(v, lang) if isinstance(v, Msg) else v for k, v in text.args.items()}
        return table.get(text.template, text.template).format(**args)
    return table.get(text, str(text))
