"""Bulletins as static files: what a CDN or object store serves on the night, with no server behind it.

Layout under the output folder (every path of a published bulletin is
immutable; only ``bulletins.json`` and ``latest.json`` change):

    nodes.json                               every area and centre in bulletin order (its SHA-256 is in each head)
    bulletins.json                           every bulletin's number, cut-off, hash and previous hash
    latest.json                              the latest bulletin at the whole country and its first level
    bulletins/N/head.json                    the head: its SHA-256 is the bulletin's hash
    bulletins/N/counters/CONTEST.i64         one contest's counters (64-bit little-endian, a row per node)
    bulletins/N/areas/CODE.json              one area or centre and its children, as /api/v1/bulletins/N/areas/CODE
    bulletins/N/csv/LEVEL.csv                every area of one level (or every centre), one row per contest

File names are the codes as they are (UTF-8), with ``%``, ``/`` and ``\\`` (and a leading ``.``)
percent-encoded, so that a web server maps the usual URL of a code to its file.
"""

from __future__ import annotations

import json
import os
from importlib.metadata import version
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..domain.bulletin import Bulletin
from ..domain.canonical import canonical_json
from ..publish.csvout import bulletin_csv
from ..store import Store
from .bulletins import get_bulletin


@dataclass
class Exported:
    number: int
    files: int = 0
    bytes: int = 0


def bulletin_document(bulletin: Bulletin, entry: dict, full: str) -> dict:
    """One area of a bulletin with its children, as the API and the static files give it."""
    body = bulletin.body
    return {"number": bulletin.number, "hash": bulletin.hash, "previous_hash": bulletin.previous_hash,
            "cut_off": body["cut_off"], "cut_off_local": body["cut_off_local"], "percent_rule": body["percent_rule"],
            "abstention_basis": body["abstention_basis"], "contests": body["contests"], "area": entry,
            "children": bulletin.children(entry["code"]), "full": full}


def export_bulletin(store: Store, out: Path, number: int | None = None, *, areas: bool = True,
                    progress: Callable[[int], None] | None = None) -> Exported:
    """Write bulletin ``number`` (default: the latest) and the indexes under ``out``."""
    bulletin = get_bulletin(store, number)
    done = Exported(bulletin.number)
    here = out / "bulletins" / str(bulletin.number)

    def write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        os.replace(partial, path)  # a reader never sees half a file
        done.files += 1
        done.bytes += len(data)

    # A drill's files say so ("drill": true), but for the hashed ones, whose hashes its head.json (which says
    # drill) names: nodes.json and the counters.
    drill = {"drill": True} if bulletin.body.get("drill") is True else {}
    nodes = store.nodes()
    write(out / "nodes.json", nodes.canonical)
    write(here / "head.json", canonical_json(bulletin.body))
    for contest in bulletin.body["contests"]:
        write(here / "counters" / f"{_file_name(contest['code'])}.i64", bulletin.counter_bytes(contest["code"]))
    if bulletin.previous is not None:
        write(here / "previous.i64", bulletin.previous_bytes())
    for level in dict.fromkeys(nodes.levels):
        write(here / "csv" / f"{_file_name(level)}.csv", bulletin_csv(bulletin, bulletin.at_level(level)).encode())
    full = f"bulletins/{bulletin.number}/head.json"
    if areas:
        for node in range(len(nodes)):
            entry = bulletin.entry(node)
            write(here / "areas" / f"{_file_name(entry['code'])}.json",
                  _json({**bulletin_document(bulletin, entry, full), **drill}))
            if progress:
                progress(1)
    heads = store.bulletin_heads()
    write(out / "bulletins.json", _json([{**h, "cut_off": h["cut_off"].isoformat(),
                                          "published_at": h["published_at"].isoformat(), **drill} for h in heads]))
    if heads and heads[-1]["number"] == bulletin.number:
        write(out / "latest.json", _json({**bulletin_document(bulletin, bulletin.root, full), **drill}))
    return done


def _file_name(code: str) -> str:
    name = code.replace("%", "%25").replace("/", "%2F").replace("\\", "%5C")
    return "%2E" + name[1:] if name.startswith(".") else name


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


NIST_FORMATS = ("nist-xml", "nist-json")


def export_nist(store: Store, out: Path, number: int | None = None, *, format: str = "nist-xml") -> Exported:
    """Write bulletin ``number`` (default: the latest) as one NIST SP 1500-100 v2 results report (XML or JSON)."""
    from ..publish import nist
    from .bulletins import bulletin_tally

    if format not in NIST_FORMATS:
        raise ValueError(f"format must be one of {', '.join(NIST_FORMATS)}")
    bulletin = get_bulletin(store, number)
    report = nist.build_report(store.election(), bulletin, bulletin_tally(store, bulletin.number),
                               vendor=f"escrutinio {version('escrutinio')}")
    data = nist.to_xml(report) if format == "nist-xml" else nist.to_json(report)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    partial.write_bytes(data)
    os.replace(partial, out)
    return Exported(bulletin.number, 1, len(data))
