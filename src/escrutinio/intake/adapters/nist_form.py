"""A NIST SP 1500-100 v2 results report, XML or JSON, read into one shape: the JSON form's.

Objects are dicts with ``@type`` and ``@id`` and their fields by name; an
XML element with children becomes such a dict (every field a list), a leaf
its text, a ``Text`` with a ``Language`` a LanguageString. The accessors
below read either form alike.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from ...domain.errors import Problem

NS = "{http://itl.nist.gov/ns/voting/1500-100/v2}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"


def read_report(path: Path, problems: list[Problem]) -> dict | None:
    """The report as the JSON form's objects (XML read into the same shape), or None after a problem."""
    source = str(path)
    try:
        with path.open("rb") as handle:
            xml = handle.read(4096).lstrip().startswith(b"<")
        if xml:
            return _from_xml(ET.parse(path).getroot())
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        problems.append(Problem("", f"cannot read: {exc.strerror}", "check the file name and its permissions", source))
    except ET.ParseError as exc:
        problems.append(Problem("", f"not well-formed XML ({exc})", "give the report as its system wrote it",
                                source))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problems.append(Problem("", f"not valid JSON ({exc})", "give the report as its system wrote it", source))
    return None


def _from_xml(element: ET.Element) -> dict | str:
    children = list(element)
    if not children:
        if "Language" in element.attrib:
            return {"Content": (element.text or "").strip(), "Language": element.get("Language")}
        return (element.text or "").strip()
    out: dict[str, object] = {}
    if element.get(XSI_TYPE):
        out["@type"] = element.get(XSI_TYPE).split(":")[-1]
    if element.get("ObjectId"):
        out["@id"] = element.get("ObjectId")
    for child in children:
        out.setdefault(child.tag.replace(NS, ""), []).append(_from_xml(child))
    return out


def all_of(obj: dict, key: str) -> list:
    value = obj.get(key) if isinstance(obj, dict) else None
    return [] if value is None else value if isinstance(value, list) else [value]


def one_of(obj: dict, key: str):
    values = all_of(obj, key)
    return values[0] if values else None


def object_id(obj: dict) -> str:
    return str(obj.get("@id", "")).strip()


def refs(obj: dict, key: str) -> list[str]:
    out: list[str] = []
    for value in all_of(obj, key):
        out += value.split() if isinstance(value, str) else [str(v).strip() for v in value]
    return out


def text_of(value) -> str | None:
    """The first text of an InternationalizedText (or a plain string)."""
    if isinstance(value, str):
        return value.strip() or None
    for text in all_of(value, "Text"):
        content = text.get("Content") if isinstance(text, dict) else text
        if content and str(content).strip():
            return str(content).strip()
    return None


def language_of(value) -> str | None:
    for text in all_of(value, "Text") if isinstance(value, dict) else []:
        if isinstance(text, dict) and text.get("Language"):
            return str(text["Language"])
    return None


def local_id(obj: dict) -> str | None:
    for ident in all_of(obj, "ExternalIdentifier"):
        if one_of(ident, "Type") == "local-level" and one_of(ident, "Value"):
            return str(one_of(ident, "Value")).strip()
    return None
