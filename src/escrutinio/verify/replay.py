"""Replay the log and recompute every figure of every bulletin, with arithmetic of our own.

Per (table, contest) we keep the actas the log has shown so far and each one's
status: its status on arrival (acta leaf), changed by event leaves (election,
keys and bulletin leaves count nothing). At a bulletin's cut, each table
gives one row of counters per contest; rows are added into the table's
centre, then every node into its parent, deepest first. From those sums come
every published figure.
"""

from __future__ import annotations

import json
import sys
from array import array

from .actas import label
from .common import sha256_hex
from .geography import Tree
from .outcomes import Verdicts
from .report import Report

EVENTS = {"resolved_counted": "counted", "resolved_set_aside": "set_aside", "annulled": "annulled"}
ARRIVAL = ("counted", "quarantined", "conflicting")
# Row of counters after the options: these columns, in this order.
NULL, BLANK, CAST, REG_COUNTED, COUNTED, RECEIVED, QUARANTINED, CONFLICT, CAP_CONFLICT = range(9)


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _add(into: dict, key: str, row: list[int]) -> None:
    have = into.get(key)
    into[key] = row[:] if have is None else [a + b for a, b in zip(have, row)]


class Replay:
    def __init__(self, report: Report, tree: Tree, records: list[dict | None]):
        self.report = report
        self.tree = tree
        self.records = records
        self.reached = 0  # leaves before this were replayed once already: their problems are known
        self.static = self._static()
        self.reset()

    def reset(self) -> None:
        self.position = 0
        self.status: dict[int, str] = {}
        self.acta: dict[int, dict] = {}
        self.slots: dict[tuple[str, str], list[int]] = {}

    # -- walking the log ----------------------------------------------------------------------------

    def advance(self, to: int) -> None:
        """Apply every leaf before position ``to``."""
        if to < self.position:
            self.reset()
        while self.position < to:
            record = self.records[self.position]
            if record is not None:
                if record["kind"] == "acta":
                    self._arrive(record)
                elif record["kind"] == "event":
                    self._event(record)
                # election, keys and bulletin leaves change no count: the geography and the keys are
                # checked against them in anchors.py, bulletins in chain.py
            self.position += 1
        self.reached = max(self.reached, to)

    def _problem(self, text: str) -> None:
        if self.position >= self.reached:
            self.report.add("replay", f"log leaf {self.position:,}: {text}")

    def _arrive(self, record: dict) -> None:
        acta_id, acta, status = record.get("id"), record.get("acta"), record.get("status")
        if acta_id in self.status or not isinstance(acta, dict):
            return  # logged twice or without content: reported with the actas
        table, contest = acta.get("table"), acta.get("contest")
        if table not in self.tree.tables or contest not in self.tree.contests:
            return  # reported with the actas; it cannot be placed
        held = self.slots.setdefault((table, contest), [])
        broken = self._broken(acta, bool(record.get("reasons")))
        expected = "conflicting" if held else ("quarantined" if broken else "counted")
        if status != expected:
            why = (f"the log already holds acta(s) {', '.join(map(str, held))} for it" if held else
                   "it breaks a rule (parts ≠ ballots cast, or more ballots than registered + allowed extra)"
                   if broken else "it is the first for its table and contest and breaks no rule")
            self._problem(f"{label(acta_id, acta)}: arrived as {status}, but should be {expected}: {why}")
        if bool(record.get("reasons")) != broken:
            self._problem(f"{label(acta_id, acta)}: its quarantine reasons {record.get('reasons')} do not match "
                          f"the rules (which it {'breaks' if broken else 'passes'})")
        held.append(acta_id)
        self.status[acta_id] = status
        self.acta[acta_id] = acta

    def _broken(self, acta: dict, reasons: bool) -> bool:
        """Options + null + blank ≠ ballots cast, or more ballots than registered voters + allowed extra."""
        votes = acta.get("votes")
        counts = list(votes.values()) if isinstance(votes, dict) else [None]
        counts += [acta.get("null"), acta.get("blank"), acta.get("ballots_cast")]
        if not all(isinstance(n, int) and not isinstance(n, bool) for n in counts):
            return reasons  # not whole numbers: reported with the actas; take the log's word
        registered = self.tree.tables[acta["table"]][1]
        return sum(counts[:-1]) != counts[-1] or counts[-1] > registered + self.tree.extra

    def _event(self, record: dict) -> None:
        acta_id, action = record.get("acta_id"), record.get("action")
        if acta_id not in self.status:
            self._problem(f"event {action!r} for acta {acta_id}, which the log has not shown before")
            return
        new = EVENTS.get(action)
        if new is None:
            self._problem(f"{label(acta_id, self.acta[acta_id])}: unknown event {action!r}")
            return
        if self.status[acta_id] == "annulled":
            self._problem(f"{label(acta_id, self.acta[acta_id])}: {action} after it was annulled")
        self.status[acta_id] = new

    # -- adding up ------------------------------------------------------------------------------------

    def _static(self) -> dict[str, dict[str, list[int]]]:
        """Per contest and node: [tables expected, registered of all, capacity of all] (on the ballot)."""
        out: dict[str, dict[str, list[int]]] = {c: {} for c in self.tree.contests}
        if not self.tree.usable:
            return out
        extra = self.tree.extra
        for centre, registered, contests in self.tree.tables.values():
            for contest in set(contests):
                _add(out[contest], centre, [1, registered, registered + extra])
        for per_node in out.values():
            self._roll_up(per_node)
        return out

    def _roll_up(self, per_node: dict[str, list[int]]) -> None:
        for node, parent in self.tree.rollup:
            row = per_node.get(node)
            if row is not None:
                _add(per_node, parent, row)

    def sums(self, where: str) -> dict[str, dict[str, list[int]]]:
        """Per contest and node: the counters of every table beneath it, as the log stands now."""
        tree, extra = self.tree, self.tree.extra
        out: dict[str, dict[str, list[int]]] = {c: {} for c in tree.contests}
        for (table, contest), ids in self.slots.items():
            centre, registered, _ = tree.tables[table]
            statuses = [self.status[i] for i in ids]
            counted = [i for i in ids if self.status[i] == "counted"]
            conflict = int("conflicting" in statuses)
            options = tree.options[contest]
            if len(counted) > 1:
                self.report.add("replay", f"{where}: table {table}, contest {contest} has {len(counted)} counted "
                                          f"actas at once ({', '.join(map(str, counted))})")
            if counted:
                acta = self.acta[counted[0]]
                votes = acta.get("votes") if isinstance(acta.get("votes"), dict) else {}
                row = [_int(votes.get(o)) for o in options] + [
                    _int(acta.get("null")), _int(acta.get("blank")), _int(acta.get("ballots_cast")), registered,
                    1, 1, 0, conflict, (registered + extra) if conflict else 0]
            else:
                row = [0] * len(options) + [0, 0, 0, 0, 0, 1, int("quarantined" in statuses), conflict, 0]
            _add(out[contest], centre, row)
        for per_node in out.values():
            self._roll_up(per_node)
        return out

    # -- the figures --------------------------------------------------------------------------------

    def percent(self, part: int, whole: int) -> str | None:
        """part / whole as a percentage with the election's decimals, truncated or rounded half up;
        a negative share is cut or rounded by its size, keeping its sign (as the bulletins say)."""
        if whole <= 0:
            return None
        d = self.tree.decimals
        sign = "-" if part < 0 else ""
        numerator = abs(part) * 10 ** (d + 2)
        if self.tree.method == "truncate":
            scaled = numerator // whole
        else:
            scaled = (2 * numerator + whole) // (2 * whole)
        if scaled == 0:
            sign = ""
        if d == 0:
            return f"{sign}{scaled}"
        return f"{sign}{scaled // 10 ** d}.{scaled % 10 ** d:0{d}d}"

    def figures(self, contest: str, row: list[int], static: list[int]) -> dict:
        p, extra = self.percent, self.tree.extra
        options = self.tree.options[contest]
        k = len(options)
        votes, tail = row[:k], row[k:]
        valid = sum(votes)
        cast, reg_counted = tail[CAST], tail[REG_COUNTED]
        expected, reg_all, capacity = static
        ranked = sorted(votes, reverse=True)
        top, second = (ranked[0] if ranked else 0), (ranked[1] if k > 1 else 0)
        leader = options[votes.index(top)] if k and top > second else None
        remaining = capacity - (reg_counted + extra * tail[COUNTED])
        swing = 2 * tail[CAP_CONFLICT]
        return {
            "options": [{"code": code, "votes": n, "percent": p(n, valid)} for code, n in zip(options, votes)],
            "valid": valid,
            "null": tail[NULL], "null_percent": p(tail[NULL], cast),
            "blank": tail[BLANK], "blank_percent": p(tail[BLANK], cast),
            "ballots_cast": cast,
            "registered_counted": reg_counted,
            "registered_all": reg_all,
            "register_counted_percent": p(reg_counted, reg_all),
            "turnout": {"whole_register": p(cast, reg_all), "counted_tables": p(cast, reg_counted)},
            "abstention": {"whole_register": p(reg_all - cast, reg_all),
                           "counted_tables": p(reg_counted - cast, reg_counted),
                           "voters_whole_register": reg_all - cast,
                           "voters_counted_tables": reg_counted - cast},
            "tables": {"expected": expected, "received": tail[RECEIVED], "counted": tail[COUNTED],
                       "quarantined": tail[QUARANTINED], "conflict": tail[CONFLICT]},
            "decided": {"decided": leader is not None and top - second > remaining + swing, "leader": leader,
                        "lead": top - second, "remaining_max": remaining, "conflict_swing": swing},
        }

    def check_bulletin(self, number: int, body: dict, counters, shown: dict | None) -> None:
        """The bulletin's counters at every node against our own sums, as the log stands now; then the
        figures the site shows (``shown``: the whole country and its children) against our arithmetic.

        ``counters(contest)`` gives the bytes of one contest's counter matrix.
        """
        where = f"bulletin {number}"
        sums = self.sums(where)
        declared = body.get("counters") if isinstance(body.get("counters"), dict) else {}
        for contest in self.tree.contests:
            rows = self._published_rows(where, contest, declared, counters)
            if rows is None:
                continue
            self.report.count("counter rows", len(rows))
            for code, published in zip(self.tree.order, rows):
                mine = self.row(contest, code, sums)
                if published != mine:
                    for name, theirs, ours in zip(self.columns(contest), published, mine):
                        if theirs != ours:
                            self.report.add("figure", f"{where}, {self.tree.label(code)}, contest {contest}, counter "
                                                      f"{name}: published {theirs:,}, recomputed {ours:,}")
        verdicts = None
        if body.get("format") == "escrutinio-bulletin/3" and self.tree.usable:
            verdicts = Verdicts(self.tree, lambda contest, code: self.row(contest, code, sums))
            self._check_outcomes(where, body, verdicts)
        for entry in [(shown or {}).get("area"), *((shown or {}).get("children") or [])]:
            code = entry.get("code") if isinstance(entry, dict) else None
            if code not in self.tree.nodes:
                self.report.add("figure", f"{where}: the site shows area {code!r}, which is not in the geography")
                continue
            self._compare(f"{where} as shown", code, entry.get("results") or {}, sums, verdicts)
            if verdicts is not None and (entry.get("groups") or {}) != verdicts.groups(code):
                self.report.add("figure", f"{where} as shown, {self.tree.label(code)}: its groups' outcomes "
                                          f"{_show(entry.get('groups'))}, recomputed {_show(verdicts.groups(code))}")

    def _check_outcomes(self, where: str, body: dict, ours: Verdicts) -> None:
        """The outcomes the head publishes (its hash covers them) against ours, at the root."""
        root = self.tree.order[0]
        mine = {contest: ours.at(contest, root) for contest in self.tree.contests}
        for contest, outcome in mine.items():
            self.report.count("outcomes")
            theirs = (body.get("outcomes") or {}).get(contest)
            for path, a, b in _differences(theirs, outcome):
                self.report.add("outcome", f"{where}, contest {contest}, outcome {path}: published {_show(a)}, "
                                           f"recomputed {_show(b)}")
        groups = ours.groups(root)
        if (body.get("groups") or {}) != groups:
            self.report.add("outcome", f"{where}: its groups' outcomes {_show(body.get('groups'))}, "
                                       f"recomputed {_show(groups)}")

    def columns(self, contest: str) -> list[str]:
        return [*self.tree.options[contest], "null", "blank", "ballots_cast", "registered_counted", "counted",
                "received", "quarantined", "conflict", "capacity_in_conflict", "expected", "registered_all",
                "remaining_max"]

    def row(self, contest: str, code: str, sums: dict) -> list[int]:
        """Our counters of one node, in the bulletin's columns."""
        static = self.static[contest].get(code) or [0, 0, 0]
        row = sums[contest].get(code) or [0] * (len(self.tree.options[contest]) + 9)
        k = len(self.tree.options[contest])
        remaining = static[2] - (row[k + REG_COUNTED] + self.tree.extra * row[k + COUNTED])
        return row + [static[0], static[1], remaining]

    def _published_rows(self, where: str, contest: str, declared: dict, counters) -> list[list[int]] | None:
        names = self.columns(contest)
        if (declared.get("columns") or {}).get(contest) != names:
            self.report.add("figure", f"{where}, contest {contest}: its counter columns are "
                                      f"{(declared.get('columns') or {}).get(contest)}, not {names}")
            return None
        try:
            data = counters(contest)
        except Exception as exc:  # noqa: BLE001 - reported; the other contests are checked
            self.report.add("source", f"{where}, contest {contest}: cannot read its counters ({exc})")
            return None
        digest = sha256_hex(data)
        if digest != (declared.get("sha256") or {}).get(contest):
            self.report.add("figure", f"{where}, contest {contest}: the SHA-256 of its counters is {digest}, but "
                                      f"its head says {(declared.get('sha256') or {}).get(contest)}")
        width, count = len(names), len(self.tree.order)
        if len(data) != 8 * width * count:
            self.report.add("figure", f"{where}, contest {contest}: its counters are {len(data):,} bytes, not "
                                      f"{count:,} nodes × {width} columns × 8")
            return None
        values = array("q", data)
        if sys.byteorder == "big":
            values.byteswap()
        return [values[i * width:(i + 1) * width].tolist() for i in range(count)]

    def _compare(self, where: str, code: str, published: dict, sums: dict, verdicts: Verdicts | None = None) -> None:
        tree, report = self.tree, self.report
        for contest in tree.contests:
            static = self.static[contest].get(code)
            if static is None or static[0] == 0:
                if contest in published:
                    report.add("figure", f"{where}, {tree.label(code)}: publishes contest {contest}, which no "
                                         "table beneath it has on its ballot")
                continue
            if contest not in published:
                report.add("figure", f"{where}, {tree.label(code)}: contest {contest} is missing")
                continue
            row = sums[contest].get(code) or [0] * (len(tree.options[contest]) + 9)
            mine = self.figures(contest, row, static)
            if verdicts is not None:
                mine["outcome"] = verdicts.at(contest, code)
            report.count("figures")
            if published[contest] != mine:
                found = _differences(published[contest], mine)
                for path, theirs, ours in found:
                    report.add("figure", f"{where}, {tree.label(code)}, contest {contest}, figure {path}: "
                                         f"published {_show(theirs)}, recomputed {_show(ours)}")
                if not found:
                    report.add("figure", f"{where}, {tree.label(code)}, contest {contest}: published "
                                         f"{_show(published[contest])}, recomputed {_show(mine)}")
        for contest in published:
            if contest not in tree.contests:
                report.add("figure", f"{where}, {tree.label(code)}: publishes unknown contest {contest!r}")

    def check_statuses(self, published: dict[int, dict]) -> None:
        """The actas' statuses published now against where the whole log leads."""
        for acta_id, item in published.items():
            if acta_id in self.status and item.get("status") != self.status[acta_id]:
                self.report.add("status", f"{label(acta_id, item.get('acta'))}: published status "
                                          f"{item.get('status')}, but the log leads to {self.status[acta_id]}")


_MISSING = object()


def _flatten(value: object, prefix: str = "") -> dict[str, object]:
    """{"a": {"b": 1}, "options": [{"code": "X", "votes": 2}]} -> {"a.b": 1, "options.X.votes": 2}."""
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, inner in value.items():
            out.update(_flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and all(isinstance(i, dict) and "code" in i for i in value):
        out = {f"{prefix}.order": [i["code"] for i in value]}
        for item in value:
            out.update(_flatten({k: v for k, v in item.items() if k != "code"}, f"{prefix}.{item['code']}"))
        return out
    return {prefix: value}


def _differences(published: object, mine: object) -> list[tuple[str, object, object]]:
    a, b = _flatten(published), _flatten(mine)
    out = []
    for path in list(b) + [p for p in a if p not in b]:
        theirs, ours = a.get(path, _MISSING), b.get(path, _MISSING)
        if theirs != ours or type(theirs) is not type(ours):
            out.append((path, theirs, ours))
    return out


def _show(value: object) -> str:
    if value is _MISSING:
        return "(missing)"
    return json.dumps(value, ensure_ascii=False)
