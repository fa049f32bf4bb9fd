"""An independent check of a results night, for observers: ``escrutinio verify``.

From the published documents alone (geography, table keys, actas, the log's
leaves, the bulletins) it recomputes every Merkle root, checks every
signature and hash, replays the log and recomputes every figure of every
bulletin. It shares no code with what it checks: it imports the standard
library and PyNaCl, and escrutinio only to read a database
(escrutinio.services.published, in sources.py).
"""

from __future__ import annotations

from .actas import check_actas, logged_actas
from .chain import BulletinChain, Merkle, parse_leaves, stray_bulletin_leaves
from .geography import Tree
from .replay import Replay
from .report import Report
from .sources import DatabaseSource, HttpSource, SourceError

__all__ = ["DatabaseSource", "HttpSource", "Report", "SourceError", "verify", "verify_source"]


def verify_source(db: str | None = None, url: str | None = None) -> Report:
    """Verify the database at ``db`` or the site at ``url`` (exactly one of the two)."""
    if (db is None) == (url is None):
        raise ValueError("give exactly one of a database URL or a site URL")
    try:
        source = DatabaseSource(db) if db is not None else HttpSource(url)
    except SourceError as exc:
        report = Report(f"database {db}" if db is not None else f"site {url}")
        report.add("source", str(exc))
        return report
    try:
        return verify(source)
    finally:
        source.close()


def verify(source) -> Report:
    """Every check, on whatever ``source`` publishes; the report lists each problem found."""
    report = Report(source.name)
    try:
        _check(source, report)
    except SourceError as exc:
        report.add("source", str(exc))
    except Exception as exc:  # noqa: BLE001 - data too broken to go on is a finding, not a crash
        report.add("source", f"the published data could not be checked further: {type(exc).__name__}: {exc}")
    return report


def _check(source, report: Report) -> None:
    geography, keys = source.geography(), source.keys()
    published, leaves, listed = source.actas(), source.leaves(), source.bulletins()
    tree = Tree(geography, report)
    report.election = f"{tree.name} ({tree.date})"
    records, hashes = parse_leaves(report, leaves)
    logged = logged_actas(report, records)
    by_id = check_actas(report, tree, keys, published, logged)
    chain = BulletinChain(report, tree, records, Merkle(hashes))
    replay = Replay(report, tree, records)
    placed = set()
    for item in listed:
        try:
            data = source.bulletin_body(item.get("number"))
        except Exception as exc:  # noqa: BLE001 - one unreadable bulletin is reported; the others are checked
            report.add("source", f"bulletin {item.get('number')}: cannot read its body ({exc})")
            continue
        body, size = chain.check(item, data)
        if body is None or size is None:
            continue
        placed.add(size)
        if tree.usable:
            replay.advance(size)
            replay.check_bulletin(item.get("number"), body)
    stray_bulletin_leaves(report, records, placed)
    replay.advance(len(records))
    replay.check_statuses(by_id)
