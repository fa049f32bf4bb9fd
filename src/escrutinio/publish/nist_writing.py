"""The NIST report's objects (:class:`Obj`, :class:`Text`, :class:`Refs`) and their two written forms.

XML follows ``NIST_V2_election_results_reporting.xsd`` (fields in the
schema's order, abstract classes with ``xsi:type``, ``ObjectId``
attributes); JSON follows the schema's JSON form (``@type`` prefixed with
``ElectionResults.``, ``@id``, IDREFS as lists).
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

NS = "http://itl.nist.gov/ns/voting/1500-100/v2"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
JSON_PREFIX = "ElectionResults."


class Refs(tuple):
    """An IDREFS field: space-separated in XML, a list in JSON."""


@dataclass
class Text:
    """An InternationalizedText in one language."""

    text: str
    language: str


@dataclass
class Obj:
    """One NIST object: its class, ObjectId (if it has one) and fields in schema order."""

    type: str
    fields: list[tuple[str, object]] = field(default_factory=list)
    id: str | None = None
    abstract: bool = False  # an instance of an abstract class (GpUnit, Contest, ContestSelection, Counts)

    def add(self, name: str, value: object) -> None:
        if value is not None and value != [] and value != Refs():
            self.fields.append((name, value))


def to_xml(report: Obj) -> bytes:
    ET.register_namespace("", NS)
    ET.register_namespace("xsi", XSI)
    root = ET.Element(f"{{{NS}}}ElectionReport")
    _fill(root, report)
    ET.indent(root, space=" ")
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def _fill(element: ET.Element, obj: Obj) -> None:
    if obj.id is not None:
        element.set("ObjectId", obj.id)
    if obj.abstract and obj.type != "VoteCounts":
        element.set(f"{{{XSI}}}type", obj.type)
    for name, value in obj.fields:
        for item in value if isinstance(value, list) else [value]:
            _field(element, name, item)


def _field(parent: ET.Element, name: str, value: object) -> None:
    child = ET.SubElement(parent, f"{{{NS}}}{name}")
    if isinstance(value, Obj):
        _fill(child, value)
    elif isinstance(value, Text):
        text = ET.SubElement(child, f"{{{NS}}}Text", {"Language": value.language})
        text.text = value.text
    elif isinstance(value, Refs):
        child.text = " ".join(value)
    elif isinstance(value, bool):
        child.text = "true" if value else "false"
    else:
        child.text = str(value)


def to_json(report: Obj) -> bytes:
    return json.dumps(_json(report), ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _json(value: object) -> object:
    if isinstance(value, Obj):
        out: dict[str, object] = {"@type": JSON_PREFIX + value.type}
        if value.id is not None:
            out["@id"] = value.id
        out.update((name, _json(inner)) for name, inner in value.fields)
        return out
    if isinstance(value, Text):
        return {"@type": JSON_PREFIX + "InternationalizedText",
                "Text": [{"@type": JSON_PREFIX + "LanguageString", "Content": value.text,
                          "Language": value.language}]}
    if isinstance(value, (list, Refs)):
        return [_json(item) for item in value]
    return value
