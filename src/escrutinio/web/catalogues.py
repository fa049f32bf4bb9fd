"""Keeps the message catalogues in step with the code: ``python -m escrutinio.web.catalogues [--check]``.

Without ``--check`` it extracts every message id (``t``, ``tn`` and ``N_`` calls with a literal first argument,
in the package's templates and Python code) and adds new ids, untranslated, to each language's ``messages.po``
(ids no longer used are marked obsolete, ``#~``). The files are sorted by id and carry no line numbers, so that
strings added on different branches rarely touch the same lines. ``--add LANG`` starts a new language's file.
With ``--check`` it changes nothing and exits 1 listing every problem: an id missing, untranslated or fuzzy in
a language, or a translation whose ``{placeholders}`` differ from its id's. See escrutinio.web.i18n.
"""

from __future__ import annotations

import ast
import datetime as dt
import io
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from jinja2 import Environment
from jinja2.ext import extract_from_ast

from .i18n import LANGUAGES, LOCALE_DIR, po_path

PACKAGE = Path(__file__).resolve().parents[1]  # src/escrutinio
FUNCTIONS = ("t", "tn", "N_")
STABLE_DATE = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)  # headers that do not change on every run
_PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _python_ids(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else (
            node.func.attr if isinstance(node.func, ast.Attribute) else None)
        if name not in FUNCTIONS:
            continue
        args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args]
        if name == "tn" and len(args) >= 2 and args[0] and args[1]:
            yield node.lineno, (args[0], args[1])
        elif name != "tn" and args[0]:
            yield node.lineno, args[0]


def _template_ids(path: Path, env: Environment):
    tree = env.parse(path.read_text(encoding="utf-8"))
    for lineno, name, message in extract_from_ast(tree, gettext_functions=FUNCTIONS):
        if name == "tn" and isinstance(message, tuple) and len(message) >= 2 and message[0] and message[1]:
            yield lineno, (message[0], message[1])
        elif name != "tn" and isinstance(message, str):
            yield lineno, message
        elif name != "tn" and isinstance(message, tuple) and message and isinstance(message[0], str):
            yield lineno, message[0]  # t('{n} of {total}', n=…, total=…): Jinja adds a None per keyword


def extract() -> Catalog:
    """Every message id used by the package, with where it is used."""
    catalog = new_catalog(None)
    env = Environment(extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"])
    for path in sorted(PACKAGE.rglob("*")):
        if "migrations" in path.parts or not path.is_file():
            continue
        if path.suffix == ".py":
            found = _python_ids(path)
        elif path.suffix == ".html":
            found = _template_ids(path, env)
        else:
            continue
        for lineno, message in found:
            catalog.add(message, locations=[(path.relative_to(PACKAGE).as_posix(), lineno)])
    return catalog


def new_catalog(code: str | None) -> Catalog:
    return Catalog(locale=code, project="escrutinio", version="", copyright_holder="escrutinio",
                   msgid_bugs_address="", last_translator="", language_team="", charset="utf-8", fuzzy=False,
                   header_comment=f"# escrutinio's public site in {code or 'every language'}: "
                                  "see escrutinio/web/i18n.py for how to add a string.",
                   creation_date=STABLE_DATE, revision_date=STABLE_DATE)


def _read(path: Path, code: str) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=code)


def _write(path: Path, catalog: Catalog) -> None:
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=120, sort_output=True, no_location=True, include_previous=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def update(codes=()) -> None:
    template = extract()
    for code in sorted(set(LANGUAGES) | set(codes)):
        path = po_path(code)
        catalog = _read(path, code) if path.exists() else new_catalog(code)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        _write(path, catalog)


def _placeholders(text: str) -> set[str]:
    return set(_PLACEHOLDER.findall(text))


def problems() -> list[str]:
    """Everything wrong with the catalogues, one line each (empty when every language is complete)."""
    found = []
    template = extract()
    ids = {m.id for m in template if m.id}
    for code in LANGUAGES:
        path = po_path(code)
        if not path.exists():
            found.append(f"{code}: no catalogue at {path}")
            continue
        catalog = _read(path, code)
        english = _read(po_path("en"), "en") if po_path("en").exists() else Catalog()
        for message_id in sorted(ids, key=str):
            message = catalog.get(message_id[0] if isinstance(message_id, tuple) else message_id)
            key = message_id[0] if isinstance(message_id, tuple) else message_id
            if message is None:
                found.append(f"{code}: missing {key!r}")
                continue
            strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
            if message.fuzzy:
                found.append(f"{code}: fuzzy {key!r}")
            if not all(strings):
                found.append(f"{code}: untranslated {key!r}")
                continue
            # a translation has the placeholders of its id, or of the English text where the id is a key
            reference = english.get(key)
            texts = message_id if isinstance(message_id, tuple) else (message_id,)
            if reference is not None and reference.string and not any(_placeholders(i) for i in texts):
                texts = reference.string if isinstance(reference.string, (list, tuple)) else (reference.string,)
            wanted = set().union(*(_placeholders(i) for i in texts))
            for s in strings:
                if _placeholders(s) != wanted:
                    found.append(f"{code}: placeholders of {key!r} differ: {s!r}")
    return found


def main(argv: list[str]) -> int:
    if "--check" in argv:
        listed = problems()
        for line in listed:
            print(line)
        return 1 if listed else 0
    update(argv[argv.index("--add") + 1:argv.index("--add") + 2] if "--add" in argv else ())
    print(f"updated {', '.join(str(po_path(c)) for c in LANGUAGES)}; translate the new entries")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
