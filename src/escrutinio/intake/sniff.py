"""Which known format a file is in, from its first bytes: so that a file given to the wrong command is named.

A NIST report passed to ``escrutinio ingest`` would otherwise give one
"not valid JSON" per line; :func:`identify` lets every reader say in one
line what the file is and which command reads it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from ..domain.errors import Problem

HEAD_BYTES = 65_536


@dataclass(frozen=True)
class Format:
    key: str
    name: str
    command: str  # the command that reads it


ACTAS_CSV = Format("actas-csv", "an escrutinio acta CSV file", "escrutinio ingest FILE")
ACTAS_JSONL = Format("actas-jsonl", "an escrutinio acta JSON Lines file", "escrutinio ingest FILE")
NIST_XML = Format("nist-xml", "a NIST SP 1500-100 results report (XML)", "escrutinio adapt nist FILE --out DIR")
NIST_JSON = Format("nist-json", "a NIST SP 1500-100 results report (JSON)", "escrutinio adapt nist FILE --out DIR")
CLARITY = Format("clarity", "a Clarity detail XML results file", "escrutinio adapt clarity FILE --out DIR")
ONEGOV_VOTE = Format("onegov-vote", "a OneGov vote CSV export", "escrutinio adapt onegov-vote FILE --out DIR")
TSE_BR = Format("tse-br", "a TSE per-section CSV file (Brazil)", "escrutinio adapt tse-br FILE --out DIR")
DEFINITION = Format("definition", "an election definition (TOML)", "escrutinio init FILE")


def identify(path: str | Path) -> Format | None:
    """The known format of the file at ``path``, or None (unreadable, or not one escrutinio knows)."""
    try:
        with Path(path).open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return None
    return identify_bytes(head)


def identify_bytes(head: bytes) -> Format | None:
    text = head.decode("utf-8-sig", errors="replace").lstrip()
    if text.startswith("<"):
        return _xml(text)
    if text.startswith("{") or text.startswith("["):
        return _json(text)
    if text.startswith("[election]") or "\n[election]" in text:
        return DEFINITION
    return _csv(text)


def _xml(text: str) -> Format | None:
    if "ElectionReport" in text and "1500-100" in text:
        return NIST_XML
    if "<ElectionResult" in text and ("<ElectionName" in text or "<Contest " in text or "<Timestamp" in text):
        return CLARITY
    return None


def _json(text: str) -> Format | None:
    if "ElectionResults.ElectionReport" in text or '"@type":"ElectionResults.' in text.replace(" ", ""):
        return NIST_JSON
    first = text.split("\n", 1)[0]
    if first.startswith("{") and '"table"' in first and '"contest"' in first:
        return ACTAS_JSONL
    return None


def _csv(text: str) -> Format | None:
    first = text.split("\n", 1)[0]
    try:
        header = {cell.strip().lower() for cell in next(csv.reader(io.StringIO(first)), [])}
    except csv.Error:
        return None
    if {"entity_id", "yeas", "nays"} <= header:
        return ONEGOV_VOTE
    if {"cod_municipio", "secao", "quantidade_votos"} <= header:
        return TSE_BR
    if {"table", "contest", "ballots_cast"} <= header:
        return ACTAS_CSV
    return None


def mismatch(path: str | Path, expected: str, *accepted: Format) -> Problem | None:
    """A problem naming the file's format when it is a known one other than ``accepted`` (else None)."""
    found = identify(path)
    if found is None or found in accepted:
        return None
    return Problem("", f"this is {found.name}, not {expected}", f"read it with `{found.command}`", str(path))
