"""Keeping the catalogues complete: extract every msgid from the code and templates, find the missing ones.

`python -m pulso.web.catalogue` lists what the Spanish catalogues lack, in .po form, ready to translate
and paste into the area's file under `web/locale/es/`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from pulso.web.i18n import catalogue_files

PACKAGE_DIR = Path(__file__).resolve().parent.parent
METHOD_MAP = [
    ("**/templates/**.html", "jinja2"),
    ("**/templates/**.txt", "jinja2"),  # e-mail templates
    ("**.py", "python"),
]
_JINJA = {"extensions": "jinja2.ext.i18n", "trimmed": "false"}
OPTIONS = {"**/templates/**.html": _JINJA, "**/templates/**.txt": _JINJA}
# tr(request, user, message): the message is the third argument.
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "tr": (3,)}


@dataclass(frozen=True, slots=True)
class Message:
    msgid: str
    plural: str | None
    where: str


def extracted() -> dict[str, Message]:
    """Every translatable message in the package, by msgid."""
    found: dict[str, Message] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        PACKAGE_DIR, METHOD_MAP, OPTIONS, keywords=KEYWORDS
    ):
        if "catalogue.py" in filename:
            continue
        msgid, plural = (message[0], message[1]) if isinstance(message, tuple) else (message, None)
        if msgid and msgid not in found:
            found[msgid] = Message(msgid, plural, f"{filename}:{lineno}")
    return found


def translated(locale: str) -> dict[str, str]:
    """msgid → translation over every catalogue file of a locale (empty translations count as missing)."""
    result: dict[str, str] = {}
    for path in catalogue_files(locale):
        with path.open("rb") as handle:
            for entry in read_po(handle, locale=locale):
                key = entry.id if isinstance(entry.id, str) else entry.id[0]
                forms = [entry.string] if isinstance(entry.string, str) else list(entry.string or ())
                if key and forms and all(forms):
                    result[key] = forms[0]
    return result


def missing(locale: str = "es") -> list[Message]:
    have = translated(locale)
    return [m for m in extracted().values() if m.msgid not in have]


def _po_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> int:
    gaps = missing("es")
    for message in gaps:
        print(f"#: {message.where}")
        print(f"msgid {_po_string(message.msgid)}")
        if message.plural:
            print(f"msgid_plural {_po_string(message.plural)}")
            print('msgstr[0] ""\nmsgstr[1] ""\n')
        else:
            print('msgstr ""\n')
    print(f"# {len(gaps)} missing", file=sys.stderr)
    return 1 if gaps else 0


if __name__ == "__main__":
    raise SystemExit(main())
