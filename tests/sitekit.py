"""A minimal valid content site for tests, written file by file so a test can break one thing.

    write_site(tmp_path)                                      # valid site in tmp_path/content
    write_site(tmp_path, {"people/mari-maasikas.yaml": None})  # the same without that file
    write_site(tmp_path, {"programmes/demo.yaml": "title: x"})  # one file replaced

`PROGRAMME` is short on purpose: a test that breaks it usually rewrites it whole, so the line
and column it asserts can be read off the test itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

SITE = """\
title: Testsait
base_url: https://programmid.example.ee/
language: et
timezone: Europe/Tallinn
publisher: silab
"""

PROGRAMME = """\
title: Demoprogramm
summary: Lühike kokkuvõte.
period:
  start: "2023-03"
  end: "2023-05"
topics:
  - koosloome
team:
  - person: mari-maasikas
    role: koolitaja
organisers:
  - silab
contacts:
  - person: mari-maasikas
    phone: "5044576"
    email: mari@example.ee
sessions:
  - id: infopaev
    kind: info_day
    date: "2023-03-23"
    start_time: "15.00"
    end_time: "16.30"
  - id: tahtaeg
    kind: deadline
    date: "2023-03-30"
    deadline: before
"""

FILES: dict[str, str] = {
    "site.yaml": SITE,
    "programmes/demo.yaml": PROGRAMME,
    "topics/koosloome.yaml": "title: Koosloome\n",
    "people/mari-maasikas.yaml": "name: Mari Maasikas\n",
    "organisations/silab.yaml": "name: Sotsiaalse Innovatsiooni Labor\nshort_name: SiLab\n",
}


def write_site(root: Path, files: Mapping[str, str | None] | None = None) -> Path:
    """Write the minimal site into `root/content` and return that folder.

    `files` maps paths inside content/ to new text (replacing or adding a file) or to None
    (leaving the file out).
    """
    content = root / "content"
    for name, text in {**FILES, **(files or {})}.items():
        if text is None:
            continue
        path = content / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return content
