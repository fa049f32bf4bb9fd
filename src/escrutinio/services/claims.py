"""Claims checked against the count: who said what and when, judged against the latest bulletin
and, apart, against the quick count.

A claim is judged again whenever it is read, so each new bulletin (and each
report of the quick count) re-evaluates every claim; the verdict names the
bulletin it was judged on, and the quick count's verdict the reports it had.
A claim may hang on a timeline entry (the entry that reports the statement),
and is shown there with its verdicts.
"""

from __future__ import annotations

import datetime as dt

from ..domain.claims import NOT_YET, judge, judge_quick_count, parse_claim
from ..domain.errors import EntryRejected, NotFound, Problem
from ..store import Store
from . import publication, quickcount
from .clock import now_utc
from .comparison import comparison


def _contests(store: Store) -> dict[str, tuple[str, ...]]:
    return {c.code: c.option_codes for c in store.election().contests}


def add_claim(store: Store, statement: str, *, author: str, said_at: dt.datetime,
              entry_id: int | None = None) -> dict:
    """Record a claim (every problem listed; nothing stored then)."""
    parsed = parse_claim(statement, _contests(store))
    problems = parsed if isinstance(parsed, list) else []
    if not author.strip() or len(author) > 200:
        problems.append(Problem("author", "who said it is missing or too long", "name the person or outlet"))
    if said_at.tzinfo is None:
        problems.append(Problem("said_at", "the time has no time zone", "give it with its offset, e.g. -04:00"))
    if entry_id is not None and store.entry(entry_id) is None:
        problems.append(Problem("entry", f"no timeline entry {entry_id}", "give an entry's number, or none"))
    if problems:
        raise EntryRejected("claim not recorded", problems)
    with store.transaction() as conn:
        claim_id = store.add_claim(conn, {"entry_id": entry_id, "author": author.strip(),
                                          "said_at": said_at.astimezone(dt.timezone.utc),
                                          "statement": " ".join(statement.split()), "created_at": now_utc()})
    return next(c for c in list_claims(store) if c["id"] == claim_id)


def list_claims(store: Store, entries: set[int] | None = None) -> list[dict]:
    """Every claim (or those on the timeline entries ``entries``) with its verdict against the latest
    bulletin and its verdict against the quick count, in the order they were said."""
    rows = [r for r in store.claims() if entries is None or r["entry_id"] in entries]
    if not rows:
        return []
    public = publication.is_public(store)  # while figures are held, nothing is judged on them
    head = store.last_bulletin_head() if public else None
    bulletin = store.bulletin(head[0]) if head else None
    root = bulletin.root["results"] if bulletin else {}
    compared = (comparison(store, bulletin) or {}) if bulletin else {}
    contests = _contests(store)
    sampled = quickcount.sampled_reports(store)
    out = []
    for row in rows:
        claim = parse_claim(row["statement"], contests)
        verdict = judge(claim, root.get(claim.contest), bulletin.number if bulletin else None,
                        compared.get(claim.contest))
        out.append({"id": row["id"], "author": row["author"], "said_at": row["said_at"].isoformat(),
                    "statement": row["statement"], "entry": row["entry_id"], "verdict": verdict.verdict,
                    "reason": verdict.reason, "bulletin": bulletin.number if bulletin else None,
                    "quickcount": _quick(claim, sampled, contests) if public else _held(sampled)})
    return out


def _quick(claim, sampled: quickcount.Sampled | None, contests: dict) -> dict | None:
    """The claim judged on the quick count's estimate: labelled apart from the official count."""
    if sampled is None:
        return None
    timed, population, _ = sampled.contests[claim.contest]
    verdict = judge_quick_count(claim, [r for _, r in timed], population, contests[claim.contest])
    return {"verdict": verdict.verdict, "reason": verdict.reason, "reports": len(timed),
            "label": quickcount.NOTE}


def _held(sampled: quickcount.Sampled | None) -> dict | None:
    if sampled is None:
        return None
    return {"verdict": NOT_YET, "reason": "held: the publication policy does not allow figures out yet",
            "reports": 0, "label": quickcount.NOTE}


def by_entry(store: Store, entries: set[int]) -> dict[int, list[dict]]:
    """The claims hanging on each of ``entries``, judged as :func:`list_claims` judges them."""
    found: dict[int, list[dict]] = {}
    for c in list_claims(store, entries):
        found.setdefault(c["entry"], []).append(c)
    return found


def claim(store: Store, claim_id: int) -> dict:
    found = next((c for c in list_claims(store) if c["id"] == claim_id), None)
    if found is None:
        raise NotFound("claim", claim_id)
    return found
