"""The timeline as an Atom feed (RFC 4287), with tombstones (RFC 6721) for withdrawn entries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from xml.etree import ElementTree as ET

ATOM = "http://www.w3.org/2005/Atom"
TOMBSTONES = "http://purl.org/atompub/tombstones/1.0"


@dataclass(frozen=True)
class FeedEntry:
    id: str  # a permanent URI
    url: str
    title: str
    html: str  # already sanitised
    author: str
    published: dt.datetime
    updated: dt.datetime
    deleted: dt.datetime | None = None
    reason: str | None = None  # why it was withdrawn


def atom_feed(*, feed_id: str, title: str, url: str, self_url: str, language: str, updated: dt.datetime,
              entries: list[FeedEntry]) -> bytes:
    """The feed as UTF-8 XML: entries newest first; a withdrawn one is an ``at:deleted-entry``."""
    ET.register_namespace("", ATOM)
    ET.register_namespace("at", TOMBSTONES)
    feed = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": language})
    _text(feed, "id", feed_id)
    _text(feed, "title", title)
    _text(feed, "updated", _when(updated))
    _link(feed, url, "alternate", "text/html")
    _link(feed, self_url, "self", "application/atom+xml")
    _text(feed, "generator", "escrutinio")
    for entry in entries:
        if entry.deleted:
            _tombstone(feed, entry)
        else:
            _entry(feed, entry)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _entry(feed: ET.Element, entry: FeedEntry) -> None:
    node = ET.SubElement(feed, f"{{{ATOM}}}entry")
    _text(node, "id", entry.id)
    _text(node, "title", entry.title)
    _text(node, "published", _when(entry.published))
    _text(node, "updated", _when(entry.updated))
    _text(ET.SubElement(node, f"{{{ATOM}}}author"), "name", entry.author)
    _link(node, entry.url, "alternate", "text/html")
    content = ET.SubElement(node, f"{{{ATOM}}}content", {"type": "html"})
    content.text = entry.html


def _tombstone(feed: ET.Element, entry: FeedEntry) -> None:
    node = ET.SubElement(feed, f"{{{TOMBSTONES}}}deleted-entry", {"ref": entry.id, "when": _when(entry.deleted)})
    _link(node, entry.url, "alternate", "text/html", namespace=ATOM)
    if entry.reason:
        comment = ET.SubElement(node, f"{{{TOMBSTONES}}}comment")
        comment.text = entry.reason


def _text(parent: ET.Element, tag: str, value: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    node.text = value
    return node


def _link(parent: ET.Element, href: str, rel: str, media_type: str, namespace: str = ATOM) -> None:
    ET.SubElement(parent, f"{{{namespace}}}link", {"rel": rel, "type": media_type, "href": href})


def _when(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")
