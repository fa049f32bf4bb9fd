"""An independent check of a results night, for observers: ``escrutinio verify``.

From the published documents alone (geography, table keys, actas, the log's
leaves, the bulletins) it recomputes every Merkle root, checks every
signature and hash, checks the geography and the table keys against the
log's election and keys leaves, replays the log and recomputes every figure
of every bulletin. What an observer recorded on the night (the authority's
key, bulletins' hashes) can be given to hold the published data to it.

It shares no code with what it checks: it imports the standard library,
PyNaCl and numpy, and escrutinio only to read a database (in sources.py:
open_store, and escrutinio.services.published for all but the actas and the
log's leaves, which it reads from their rows).
"""

from __future__ import annotations

import os
import re

from .actas import LeafReader, LoggedHistory, check_actas, logged_actas, start_workers
from .anchors import KeyLog, check_election_leaf, geography_digest
from .chain import BulletinChain, Merkle, parse_leaves, stray_bulletin_leaves
from .common import b64
from .geography import Tree
from .proofs import check_bulletin_consistency
from .replay import Replay
from .report import Report
from .sources import MAX_DOWNLOAD, DatabaseSource, HttpSource, SourceError
from .timeline import check_timeline

__all__ = ["DatabaseSource", "HttpSource", "Report", "SourceError", "verify", "verify_source"]

HASH = re.compile(r"[0-9a-fA-F]{64}")
HEADLINE = ("number", "cut_off", "cut_off_local", "contests")  # what timeline.headline reads of a bulletin's head


def verify_source(db: str | None = None, url: str | None = None, *, authority_key: str | None = None,
                  expect: dict[int, str] | None = None, max_download: int | None = None) -> Report:
    """Verify the database at ``db`` or the site at ``url`` (exactly one of the two).

    ``authority_key`` (base64) and ``expect`` (bulletin number -> SHA-256 hex) are what an observer
    recorded on the night; see :func:`verify`. ``max_download``: the most bytes one response of the
    site may have (default: sources.MAX_DOWNLOAD).
    """
    if (db is None) == (url is None):
        raise ValueError("give exactly one of a database URL or a site URL")
    try:
        source = DatabaseSource(db) if db is not None else HttpSource(url, max_bytes=max_download or MAX_DOWNLOAD)
    except SourceError as exc:
        report = Report(f"database {db}" if db is not None else f"site {url}")
        report.add("source", str(exc))
        return report
    try:
        return verify(source, authority_key=authority_key, expect=expect)
    finally:
        source.close()


def verify(source, *, authority_key: str | None = None, expect: dict[int, str] | None = None) -> Report:
    """Every check, on whatever ``source`` publishes; the report lists each problem found.

    With ``authority_key`` (the authority's public key, base64, as recorded on the night) every
    bulletin's tree head must be signed by that key; with ``expect`` (bulletin number -> SHA-256 hex, as
    published on the night) each of those bulletins must be published with exactly that hash.
    """
    report = Report(source.name)
    trusted = []
    if authority_key is not None:
        trusted.append(f"authority key {authority_key}")
        if b64(authority_key, 32) is None:
            report.add("source", f"the authority key given, {authority_key!r}, is not 32 bytes of base64")
    for number, digest in sorted((expect or {}).items()):
        trusted.append(f"bulletin {number} hash {digest}")
        if not (isinstance(number, int) and number >= 1 and isinstance(digest, str) and HASH.fullmatch(digest)):
            report.add("source", f"expected bulletin {number!r} = {digest!r}: give a bulletin number >= 1 and a "
                                 "SHA-256 of 64 hexadecimal digits")
    report.trusted = "; ".join(trusted)
    # Signature workers start now, while this process is small (see actas.start_workers); one core: none.
    pool = start_workers() if (os.cpu_count() or 1) > 1 else None
    try:
        _check(source, report, authority_key, expect, pool)
    except SourceError as exc:
        report.add("source", str(exc))
    except Exception as exc:  # noqa: BLE001 - data too broken to go on is a finding, not a crash
        report.add("source", f"the published data could not be checked further: {type(exc).__name__}: {exc}")
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    return report


def _check(source, report: Report, authority_key: str | None, expect: dict[int, str] | None, pool=None) -> None:
    geography, keys, listed = source.geography(), source.keys(), source.bulletins()
    tree = Tree(geography, report)
    report.election = f"{tree.name} ({tree.date}{', a drill' if tree.drill else ''})"
    digest = geography_digest(geography)
    del geography  # a national night's geography is hundreds of megabytes as sent; the tree holds what is used
    # The log, then the published actas, a page at a time: a national night is never held whole as sent.
    records, hashes = parse_leaves(report, (leaf for page in source.leaf_pages() for leaf in page), tree)
    check_election_leaf(report, records, digest)
    key_log = KeyLog(report, tree, records)
    key_log.compare_published(keys)
    logged = logged_actas(report, records)
    published = (item for page in source.acta_pages() for item in page)
    history = LoggedHistory(records, logged)
    statuses = check_actas(report, tree, key_log, published, logged, records, len(records), history,
                           LeafReader(report, source, hashes), pool)
    del history, logged  # the replay reads the records themselves
    chain = BulletinChain(report, tree, records, Merkle(hashes), authority_key, expect)
    replay = Replay(report, tree, records)
    placed, seen, heads = set(), {}, []
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
        head = body.get("log") if isinstance(body.get("log"), dict) else {}
        if isinstance(head.get("root"), str):
            heads.append((item.get("number"), size, head["root"]))
        if tree.usable:
            replay.advance(size)
            number = item.get("number")
            try:
                shown = source.bulletin_shown(number)
            except Exception as exc:  # noqa: BLE001 - reported; the counters are still checked
                report.add("source", f"bulletin {number}: cannot read the figures the site shows ({exc})")
                shown = None
            replay.check_bulletin(number, body, lambda contest: source.bulletin_counters(number, contest), shown,
                                  lambda: source.bulletin_previous(number))
            if isinstance(shown, dict) and isinstance(shown.get("area"), dict):
                # What the timeline's entry of this bulletin is checked against (timeline.headline): not the
                # whole head, which at national size carries every area's projection.
                seen[number] = ({key: body.get(key) for key in HEADLINE}, shown["area"])
    check_timeline(report, source.timeline_bulletins(), seen)
    chain.check_expected(listed)
    stray_bulletin_leaves(report, records, placed)
    replay.advance(len(records))
    replay.check_statuses(statuses)
    # The log, the replay and the actas' statuses are no longer needed: let them go before the site is asked
    # for its consistency proofs (a database source builds its Merkle tree of every leaf for them).
    del records, hashes, key_log, statuses, chain, replay, tree
    check_bulletin_consistency(report, source, heads)
