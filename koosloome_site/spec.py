"""The content model as data: every key of every content file kind, its type, whether it is
required, the values it allows and its Estonian title, description and example.

One source of truth. The validator reads it (which keys exist, which are required, which
values a choice allows, which accessor reads a key: `fields.Fields`), and `schema.py` turns it
into the JSON Schemas in `schemas/` that editors' tools use for completion and checking. What
a JSON Schema cannot say (references between files, days that exist, summer-time gaps) stays in
`validate.py`.

Kinds of field:
    text, markdown   a non-empty text (markdown: rendered as sanitised Markdown)
    integer          a whole number >= `minimum`
    boolean          true or false
    choice           one of `enum`
    slug             a tunnus (a–z, 0–9, -); with `refers`, the slug of a file in that folder
    date             "2023-03-23" or a month "2023-03";  day: a day only
    time             "15.00" (or "15:00")
    url, email, phone
    texts            a list of texts;  slugs: a list of slugs (with `refers`)
    mapping          nested keys (`fields`);  list: a list of such mappings
    groups           a mapping of group slug -> label
    online           true, or a mapping (`fields`)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .model import DEADLINE_BOUNDS, SESSION_KINDS, SESSION_STATUSES, TIMEZONE


@dataclass(frozen=True)
class Field:
    kind: str
    title: str
    description: str = ""
    example: object = None
    required: bool = False
    enum: tuple[str, ...] = ()
    minimum: int = 0
    refers: str = ""  # folder of the files a slug names
    fields: dict[str, Field] = field(default_factory=dict)  # mapping, list, online


Spec = dict[str, Field]

SUPPORTED_LANGUAGES = ("et",)

LINK: Spec = {
    "label": Field("text", "Lingi tekst", "Mida lingil näidatakse.", "Registreeru", True),
    "url": Field("url", "Aadress", "Veebiaadress, algab https://.", "https://forms.gle/abc", True),
}

SITE: Spec = {
    "title": Field("text", "Saidi pealkiri", "Näidatakse iga lehe päises.", "SiLab", True),
    "description": Field("text", "Saidi kirjeldus", "Üks lõik avalehel ja otsingumootoritele."),
    "base_url": Field(
        "url", "Saidi aadress", "Avaldatud saidi aadress.", "https://koosloome.ee/", True
    ),
    "language": Field("choice", "Keel", "Lehtede keel.", "et", True, SUPPORTED_LANGUAGES),
    "timezone": Field(
        "choice",
        "Ajavöönd",
        "Kõik kuupäevad ja kellaajad on Tallinna aja järgi.",
        TIMEZONE,
        True,
        (TIMEZONE,),
    ),
    "publisher": Field(
        "slug",
        "Väljaandja",
        "Organisatsiooni tunnus (failinimi kaustas organisations/).",
        "silab",
        refers="organisations",
    ),
}

TOPIC: Spec = {
    "title": Field("text", "Teema nimi", "", "Kogukonna arendamine", True),
    "description": Field("markdown", "Kirjeldus", "Markdownis tekst teema lehel."),
    "draft": Field("boolean", "Mustand", "true: teemat ei avaldata (eelvaade näitab).", False),
}

PERSON: Spec = {
    "name": Field("text", "Nimi", "Ees- ja perekonnanimi.", "Mari Maasikas", True),
}

ORGANISATION: Spec = {
    "name": Field(
        "text", "Nimi", "Organisatsiooni täisnimi.", "Sotsiaalse Innovatsiooni Labor", True
    ),
    "short_name": Field("text", "Lühinimi", "Lühend, kui see on tuntud.", "SiLab"),
    "url": Field("url", "Koduleht", "", "https://koosloome.ee/"),
}

SESSION: Spec = {
    "id": Field(
        "slug",
        "Tunnus",
        "Toimumise püsiv tunnus programmi sees; kalendrid tunnevad sündmuse selle järgi. "
        "Ära muuda pärast avaldamist.",
        "infopaev",
        True,
    ),
    "kind": Field(
        "choice", "Liik", "Mis liiki toimumine see on.", "workshop", True, tuple(SESSION_KINDS)
    ),
    "title": Field("text", "Pealkiri", "Kui puudub, näidatakse liigi nime.", "Avaseminar"),
    "date": Field(
        "date",
        "Kuupäev",
        'Päev "AAAA-KK-PP" või, kui on teada ainult kuu, "AAAA-KK". Puudub: aeg täpsustamisel.',
        "2023-03-23",
    ),
    "end_date": Field("date", "Lõppkuupäev", "Mitmepäevase toimumise viimane päev.", "2023-03-24"),
    "start_time": Field(
        "time",
        "Algusaeg",
        'Tallinna aja järgi, jutumärkides, nt "15.00". Ainult koos päevaga.',
        "15.00",
    ),
    "end_time": Field("time", "Lõpuaeg", 'Nt "16.30". Ainult koos algusajaga.', "16.30"),
    "deadline": Field(
        "choice",
        "Tähtaja sõnastus",
        'Ainult kind: deadline. before: "enne 30. märtsi", until: "kuni 30. märtsini".',
        "before",
        enum=DEADLINE_BOUNDS,
    ),
    "online": Field(
        "online",
        "Veebis",
        "true, kui toimub veebis ja keskkond pole teada; muidu platform ja url.",
        {"platform": "Zoom", "url": "https://zoom.us/j/123"},
        fields={
            "platform": Field("text", "Keskkond", "", "Zoom"),
            "url": Field("url", "Liitumise aadress", "", "https://zoom.us/j/123"),
        },
    ),
    "place": Field(
        "mapping",
        "Koht",
        "",
        {"city": "Tallinn", "venue": "Tallinna Ülikool"},
        fields={
            "city": Field("text", "Linn või vald", "", "Tallinn", True),
            "venue": Field("text", "Hoone või asutus", "", "Tallinna Ülikool"),
            "address": Field("text", "Aadress", "", "Narva mnt 25"),
        },
    ),
    "group": Field(
        "text", "Grupp", "Programmi groups all olev grupi tunnus (paralleelgrupid).", "grupp-1"
    ),
    "status": Field(
        "choice",
        "Olek",
        "Vaikimisi scheduled. Ära jäetud toimumist ära kustuta: kirjuta cancelled.",
        "cancelled",
        enum=tuple(SESSION_STATUSES),
    ),
    "registration": Field(
        "mapping",
        "Registreerimine",
        "",
        {"label": "Registreeru", "url": "https://forms.gle/abc"},
        fields=LINK,
    ),
    "notes": Field("markdown", "Märkused", "Markdownis lisainfo.", "Kaasa sülearvuti."),
}

PROGRAMME: Spec = {
    "title": Field("text", "Pealkiri", "Programmi nimi.", "Kogukonna koosloome labor", True),
    "summary": Field(
        "text",
        "Kokkuvõte",
        "Üks lõik lihtteksti programmide nimekirjas.",
        "Arenguprogramm kohalikele omavalitsustele.",
        True,
    ),
    "description": Field("markdown", "Kirjeldus", "Markdownis pikem tekst."),
    "period": Field(
        "mapping",
        "Toimumisaeg",
        "Programmi algus ja lõpp (päev või kuu).",
        {"start": "2023-04-20", "end": "2023-12"},
        True,
        fields={
            "start": Field("date", "Algus", "", "2023-04-20", True),
            "end": Field("date", "Lõpp", "", "2023-12", True),
        },
    ),
    "audience": Field(
        "mapping",
        "Sihtrühm",
        "",
        None,
        fields={
            "description": Field("text", "Kellele", "", "kohalikud omavalitsused", True),
            "team_size": Field(
                "mapping",
                "Meeskonna suurus",
                "Vähemalt üks: min või max.",
                {"min": 3, "max": 5},
                fields={
                    "min": Field("integer", "Vähemalt", "", 3, minimum=1),
                    "max": Field("integer", "Kõige rohkem", "", 5, minimum=1),
                },
            ),
            "team_composition": Field("text", "Meeskonna koosseis", "", "vald ja kogukond"),
        },
    ),
    "places": Field(
        "mapping",
        "Kohtade arv",
        'Nt count: 10, unit: meeskonda, up_to: true → "kuni 10 meeskonda".',
        {"count": 10, "unit": "meeskonda", "up_to": True},
        fields={
            "count": Field("integer", "Arv", "", 10, True, minimum=1),
            "unit": Field("text", "Ühik", "", "meeskonda", True),
            "up_to": Field("boolean", "Kuni", 'true: "kuni 10".', True),
        },
    ),
    "cost": Field(
        "mapping",
        "Hind",
        "",
        {"free": True},
        fields={
            "free": Field("boolean", "Tasuta", "true: lehel on „Tasuta“.", True, True),
            "note": Field("text", "Märkus", "", "sõidukulud hüvitatakse"),
        },
    ),
    "format": Field(
        "text", "Vorm", "Kuidas programm toimub, lihttekstina.", "seminarid ja töötoad"
    ),
    "goals": Field("texts", "Eesmärgid", "Loend lausetest.", ["Õppida koosloomet."]),
    "expectations": Field(
        "texts", "Ootused osalejatele", "Loend lausetest.", ["Osaleda kõigil päevadel."]
    ),
    "outcomes": Field("texts", "Tulemused", "Loend lausetest.", ["Valmib tegevuskava."]),
    "topics": Field(
        "slugs",
        "Teemad",
        "Teemade tunnused (failinimed kaustas topics/).",
        ["kogukonna-arendamine"],
        refers="topics",
    ),
    "team": Field(
        "list",
        "Meeskond",
        "",
        [{"person": "mari-maasikas", "role": "koolitaja"}],
        fields={
            "person": Field(
                "slug", "Isik", "Failinimi kaustas people/.", "mari-maasikas", True, refers="people"
            ),
            "role": Field("text", "Roll", "", "koolitaja", True),
        },
    ),
    "organisers": Field(
        "slugs", "Korraldajad", "Organisatsioonide tunnused.", ["silab"], refers="organisations"
    ),
    "partners": Field(
        "slugs", "Partnerid", "Organisatsioonide tunnused.", ["kodukant"], refers="organisations"
    ),
    "contacts": Field(
        "list",
        "Kontaktid",
        "Igaühel isik või organisatsioon ja telefon või e-post.",
        [{"person": "mari-maasikas", "email": "mari@example.ee"}],
        fields={
            "purpose": Field("text", "Mille kohta", "", "küsimused"),
            "person": Field("slug", "Isik", "", "mari-maasikas", refers="people"),
            "organisation": Field("slug", "Organisatsioon", "", "silab", refers="organisations"),
            "unit": Field("text", "Üksus", "", "kogukondade osakond"),
            "phone": Field("phone", "Telefon", "Jutumärkides.", "+372 504 4576"),
            "email": Field("email", "E-post", "", "mari@example.ee"),
        },
    ),
    "links": Field(
        "list", "Lingid", "", [{"label": "Teade", "url": "https://koosloome.ee/"}], fields=LINK
    ),
    "groups": Field(
        "groups", "Grupid", "Paralleelgrupid kujul tunnus: nimi.", {"grupp-1": "I grupp"}
    ),
    "sessions": Field(
        "list", "Toimumised", "Infopäevad, töötoad, tähtajad jm.", None, True, fields=SESSION
    ),
    "draft": Field("boolean", "Mustand", "true: programmi ei avaldata (eelvaade näitab).", False),
    "publish_date": Field(
        "day", "Avaldamise päev", "Avalik alates sellest päevast kell 00.00.", "2027-01-15"
    ),
}

# One spec per file kind, by content folder ("site" is site.yaml).
KINDS: dict[str, Spec] = {
    "site": SITE,
    "topics": TOPIC,
    "people": PERSON,
    "organisations": ORGANISATION,
    "programmes": PROGRAMME,
}
