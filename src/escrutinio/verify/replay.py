"""Replay the log and recompute every figure of every bulletin, with arithmetic of our own.

Per (table, contest) we keep the actas the log has shown so far and each one's
status: its status on arrival (acta leaf), changed by event leaves (election,
keys and bulletin leaves count nothing). At a bulletin's cut, each table
gives one row of counters per contest; rows are added into the table's
centre, then every node into its parent, deepest first. From those sums come
every published figure.

At national size (a million tables, two million actas, a few bulletins) the
rows are kept in one integer matrix per contest: only the rows of tables whose
actas changed since the last bulletin are worked out again, and the adding up
and the comparison with the published counters are done on whole matrices
(numpy), never with the project's own counting code.
"""

from __future__ import annotations

import json

import numpy as np

from .actas import label
from .common import ByActa, SlimActa, hashable, sha256_hex
from .geography import Tree
from .outcomes import Verdicts
from .projection import DEFAULTS, DEFAULTS_4, KNOWN_METHOD, Projector
from .report import Report

EVENTS = {"resolved_counted": "counted", "resolved_set_aside": "set_aside", "annulled": "annulled",
          "replaced_by_recount": "set_aside"}
ARRIVAL = ("counted", "quarantined", "conflicting")
AWAITING = "awaiting_second_entry"
SECOND_ENTRY = "second_entry_"  # + the status the confirmed manual acta takes: counted, quarantined, conflicting
# Row of counters after the options: these columns, in this order.
NULL, BLANK, CAST, REG_COUNTED, COUNTED, RECEIVED, QUARANTINED, CONFLICT, CAP_CONFLICT = range(9)
# Counts an acta may hold and still be added up in 64-bit integers (the bulletins' counters are 64-bit too).
LARGEST = 2 ** 40


def _int(value: object) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class Replay:
    def __init__(self, report: Report, tree: Tree, records: list[dict | None]):
        self.report = report
        self.tree = tree
        self.records = records
        self.reached = 0  # leaves before this were replayed once already: their problems are known
        # Row of each node in the bulletins' order; row of each table, and the row of its centre.
        self.node_index = {code: i for i, code in enumerate(tree.order)}
        self.table_index = {code: i for i, code in enumerate(tree.tables)}
        self.table_centre = np.array([self.node_index.get(centre, 0) for centre, _, _ in tree.tables.values()],
                                     dtype=np.intp)
        self.levels = self._levels()
        self.static = self._static()
        self.reset()

    def reset(self) -> None:
        self.position = 0
        self.status = ByActa()  # acta id -> its status
        # Each acta's content: the acta's dict, or the SlimActa that holds it (found from its leaf's position).
        self.acta = Contents(self.records)
        # Per contest, table -> the id of its one acta, or a list of the ids of its actas (in log order).
        self.slots: dict[str, dict[str, object]] = {c: {} for c in self.tree.contests}
        # Actas entered at the centre: how (manual, recount), the first entry's token, and whether confirmed.
        self.entry: dict[int, str] = {}
        self.first_token: dict[int, object] = {}
        self.confirmed: set[int] = set()
        # Per contest, every table's row as the log stood at the last sums; the slots changed since.
        self.rows = {c: np.zeros((len(self.tree.tables), len(self.tree.options[c]) + 9), dtype=np.int64)
                     for c in self.tree.contests}
        self.dirty: dict[str, set[str]] = {c: set() for c in self.tree.contests}  # per contest, tables changed
        self.several: dict[tuple[str, str], list[int]] = {}  # slots with more than one counted acta

    # -- walking the log ----------------------------------------------------------------------------

    def advance(self, to: int) -> None:
        """Apply every leaf before position ``to``."""
        if to < self.position:
            self.reset()
        while self.position < to:
            record = self.records[self.position]
            if type(record) is SlimActa:
                self._arrive_slim(record)
            elif record is not None:
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
        held = self._held(table, contest)
        placed = [i for i in held if self._placed(i)]
        broken = self._broken(acta, bool(record.get("reasons")))
        entry = record.get("entry")
        if entry == "manual":
            expected = AWAITING
            why = "a manual acta's first entry waits for a second entry by another operator"
            token = record.get("token")
            if not isinstance(token, int) or isinstance(token, bool):
                self._problem(f"{label(acta_id, acta)}: a manual entry without the token id of its operator")
            self.first_token[acta_id] = token
        elif entry == "recount":
            expected, why = "counted", "a board's recount counts at once"
            if broken:
                self._problem(f"{label(acta_id, acta)}: a recount that breaks a rule (parts ≠ ballots cast, or "
                              "more ballots than registered + allowed extra)")
            for key in ("board_ref", "reason"):
                if not isinstance(record.get(key), str) or not record.get(key).strip():
                    self._problem(f"{label(acta_id, acta)}: a recount without its {key}")
            still = [i for i in held if self.status[i] in ("counted", "conflicting")]
            if still:
                self._problem(f"{label(acta_id, acta)}: a recount while acta(s) {', '.join(map(str, still))} of its "
                              "table and contest still count or conflict (they must be replaced before it)")
        elif entry is not None:
            expected, why = "counted", ""
            self._problem(f"{label(acta_id, acta)}: unknown entry {entry!r} (an acta is a device's, manual or a "
                          "recount)")
        else:
            expected = "conflicting" if placed else ("quarantined" if broken else "counted")
            why = (f"the log already holds acta(s) {', '.join(map(str, placed))} for it" if placed else
                   "it breaks a rule (parts ≠ ballots cast, or more ballots than registered + allowed extra)"
                   if broken else "it is the first for its table and contest and breaks no rule")
        if status != expected:
            self._problem(f"{label(acta_id, acta)}: arrived as {status}, but should be {expected}: {why}")
        if bool(record.get("reasons")) != broken:
            self._problem(f"{label(acta_id, acta)}: its quarantine reasons {record.get('reasons')} do not match "
                          f"the rules (which it {'breaks' if broken else 'passes'})")
        self._hold(table, contest, acta_id)
        if entry is not None:
            self.entry[acta_id] = entry
        self.status[acta_id] = status
        self.acta[acta_id] = self.position
        self.dirty[contest].add(table)

    def _arrive_slim(self, record: SlimActa) -> None:
        """_arrive of a device's acta held as a SlimActa (a known table and contest, whole counts)."""
        acta_id, status, table, contest = record.id, record.status, record.table, record.contest
        if acta_id in self.status:
            return  # logged twice: reported with the actas
        placed = [i for i in self._held(table, contest) if self._placed(i)]
        counts = record.counts
        broken = sum(counts[:-1]) != counts[-1] or counts[-1] > self.tree.tables[table][1] + self.tree.extra
        expected = "conflicting" if placed else ("quarantined" if broken else "counted")
        if status != expected:
            why = (f"the log already holds acta(s) {', '.join(map(str, placed))} for it" if placed else
                   "it breaks a rule (parts ≠ ballots cast, or more ballots than registered + allowed extra)"
                   if broken else "it is the first for its table and contest and breaks no rule")
            self._problem(f"{label(acta_id, record)}: arrived as {status}, but should be {expected}: {why}")
        if bool(record.reasons) != broken:
            self._problem(f"{label(acta_id, record)}: its quarantine reasons {record.reasons} do not match "
                          f"the rules (which it {'breaks' if broken else 'passes'})")
        self._hold(table, contest, acta_id)
        self.status[acta_id] = status
        self.acta[acta_id] = self.position
        self.dirty[contest].add(table)

    def _held(self, table: str, contest: str) -> list:
        """The ids of the actas of a table and contest, in log order."""
        found = self.slots[contest].get(table, _MISSING)
        return [] if found is _MISSING else found if type(found) is list else [found]

    def _hold(self, table: str, contest: str, acta_id: object) -> None:
        slots = self.slots[contest]
        found = slots.get(table, _MISSING)
        if found is _MISSING:
            slots[table] = acta_id
        elif type(found) is list:
            found.append(acta_id)
        else:
            slots[table] = [found, acta_id]

    def _slot(self, acta_id: object) -> tuple[str, str]:
        acta = self.acta[acta_id]
        return (acta.table, acta.contest) if type(acta) is SlimActa else (acta["table"], acta["contest"])

    def _placed(self, acta_id: int) -> bool:
        """Whether an acta holds a place in its slot: all but a manual one not confirmed by a second entry."""
        return self.entry.get(acta_id) != "manual" or acta_id in self.confirmed

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
        where = label(acta_id, self.acta[acta_id])
        if isinstance(action, str) and action.startswith(SECOND_ENTRY):
            new = self._second_entry(acta_id, record, action.removeprefix(SECOND_ENTRY))
        else:
            new = EVENTS.get(action)
        if new is None:
            self._problem(f"{where}: unknown event {action!r}")
            return
        if self.status[acta_id] == "annulled":
            self._problem(f"{where}: {action} after it was annulled")
        if new == "counted" and not self._placed(acta_id):
            self._problem(f"{where}: counted ({action}) without a second entry that agrees with its first by "
                          "another operator")
        self.status[acta_id] = new
        table, contest = self._slot(acta_id)
        self.dirty[contest].add(table)

    def _second_entry(self, acta_id: int, record: dict, status: str) -> str | None:
        """A manual acta's agreeing second entry: by another token, while it waits; the status it then takes
        is what its arrival would have been, among the actas placed in its slot."""
        where = label(acta_id, self.acta[acta_id])
        if self.entry.get(acta_id) != "manual":
            self._problem(f"{where}: a second entry of an acta that was not entered by hand")
            return None
        if self.status[acta_id] != AWAITING or acta_id in self.confirmed:
            self._problem(f"{where}: a second entry while it is {self.status[acta_id]}, not {AWAITING}")
        token = record.get("token")
        if not isinstance(token, int) or isinstance(token, bool):
            self._problem(f"{where}: a second entry without the token id of its operator")
        elif token == self.first_token.get(acta_id):
            self._problem(f"{where}: both entries were made with the same token ({token}); a manual acta counts "
                          "only when two operators' entries agree")
        acta = self.acta[acta_id]
        held = self._held(*self._slot(acta_id))
        placed = [i for i in held if i != acta_id and self._placed(i)]
        expected = "conflicting" if placed else ("quarantined" if self._broken(acta, False) else "counted")
        if status != expected:
            self._problem(f"{where}: its second entry made it {status}, but it should be {expected}")
        self.confirmed.add(acta_id)
        return status if status in ARRIVAL else None

    # -- adding up ------------------------------------------------------------------------------------

    def _levels(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """(nodes, their parents) as rows of the bulletins' order, one pair per depth, deepest first."""
        if not self.tree.usable:
            return []
        depth, parent = [0] * len(self.tree.order), [0] * len(self.tree.order)
        for i, code in enumerate(self.tree.order):
            up = self.tree.nodes[code][3]
            if up is not None:
                parent[i] = self.node_index[up]
                depth[i] = depth[parent[i]] + 1  # a parent comes before its children in this order
        depth_of, parent_of = np.array(depth), np.array(parent, dtype=np.intp)
        levels = []
        for d in range(int(depth_of.max(initial=0)), 0, -1):
            nodes = np.flatnonzero(depth_of == d)
            levels.append((nodes, parent_of[nodes]))
        return levels

    def _static(self) -> dict[str, np.ndarray]:
        """Per contest, per node in the bulletins' order: [tables expected, registered of all, capacity of
        all] (of the tables with the contest on their ballot)."""
        out = {c: np.zeros((len(self.tree.order), 3), dtype=np.int64) for c in self.tree.contests}
        if not self.tree.usable:
            return out
        extra = self.tree.extra
        for contest, matrix in out.items():
            rows = np.zeros((len(self.tree.tables), 3), dtype=np.int64)
            for i, (_, registered, contests) in enumerate(self.tree.tables.values()):
                if contest in contests:
                    rows[i] = (1, registered, registered + extra)
            self._roll_up(matrix, rows)
        return out

    def _roll_up(self, into: np.ndarray, table_rows: np.ndarray) -> None:
        """Add each table's row into its centre, then every node into its parent, deepest first."""
        np.add.at(into, self.table_centre, table_rows)
        for children, parents in self.levels:
            np.add.at(into, parents, into[children])

    def sums(self, where: str) -> dict[str, np.ndarray]:
        """Per contest, per node in the bulletins' order: the counters of every table beneath it, as the log
        stands now."""
        for contest, tables in self.dirty.items():
            for table in tables:
                self._table_row(where, table, contest)
            tables.clear()
        for (table, contest), counted in self.several.items():
            self.report.add("replay", f"{where}: table {table}, contest {contest} has {len(counted)} counted "
                                      f"actas at once ({', '.join(map(str, counted))})")
        out = {}
        for contest, rows in self.rows.items():
            out[contest] = np.zeros((len(self.tree.order), rows.shape[1]), dtype=np.int64)
            if self.tree.usable:
                self._roll_up(out[contest], rows)
        return out

    def _table_row(self, where: str, table: str, contest: str) -> None:
        """Work out again the row of one table and contest from its actas and their statuses."""
        tree, extra = self.tree, self.tree.extra
        ids = self._held(table, contest)
        _, registered, _ = tree.tables[table]
        statuses = [self.status[i] for i in ids]
        counted = [i for i in ids if self.status[i] == "counted"]
        conflict = int("conflicting" in statuses)
        options = tree.options[contest]
        self.several.pop((table, contest), None)
        if len(counted) > 1:
            self.several[(table, contest)] = counted
        if counted:
            acta = self.acta[counted[0]]
            if type(acta) is SlimActa:
                row = [*acta.counts, registered, 1, 1, 0, conflict, (registered + extra) if conflict else 0]
            else:
                votes = acta.get("votes") if isinstance(acta.get("votes"), dict) else {}
                row = [_int(votes.get(o)) for o in options] + [
                    _int(acta.get("null")), _int(acta.get("blank")), _int(acta.get("ballots_cast")), registered,
                    1, 1, 0, conflict, (registered + extra) if conflict else 0]
            if any(abs(n) >= LARGEST for n in row):
                self.report.add("replay", f"{where}: {label(counted[0], acta)}: a count is too large to add up "
                                          f"(at least 2**40); it is not added")
                row = [0] * len(options) + [0, 0, 0, 0, 0, 1, 0, conflict, 0]
        else:
            row = [0] * len(options) + [0, 0, 0, 0, 0, int(bool(ids)), int("quarantined" in statuses), conflict, 0]
        self.rows[contest][self.table_index[table]] = row

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

    def check_bulletin(self, number: int, body: dict, counters, shown: dict | None, previous=None) -> None:
        """The bulletin's counters at every node against our own sums, as the log stands now; then the
        figures the site shows (``shown``: the whole country and its children) against our arithmetic.

        ``counters(contest)`` gives the bytes of one contest's counter matrix; ``previous()`` the bytes of
        the previous election's figures the head names (format /5, when it names one).
        """
        where = f"bulletin {number}"
        sums = self.sums(where)
        declared = body.get("counters") if isinstance(body.get("counters"), dict) else {}
        for contest in self.tree.contests:
            published = self._published_rows(where, contest, declared, counters)
            if published is None:
                continue
            self.report.count("counter rows", len(published))
            mine = self.matrix(contest, sums)
            names = self.columns(contest)
            for i in np.flatnonzero((published != mine).any(axis=1)).tolist():
                code = self.tree.order[i]
                for name, theirs, ours in zip(names, published[i].tolist(), mine[i].tolist()):
                    if theirs != ours:
                        self.report.add("figure", f"{where}, {self.tree.label(code)}, contest {contest}, counter "
                                                  f"{name}: published {theirs:,}, recomputed {ours:,}")
        self._check_entered(where, body)
        verdicts = None
        self.projections = None
        if body.get("format") in ("escrutinio-bulletin/3", "escrutinio-bulletin/4", "escrutinio-bulletin/5") \
                and self.tree.usable:
            verdicts = Verdicts(self.tree, lambda contest, code: self.row(contest, code, sums))
            self._check_outcomes(where, body, verdicts)
        if body.get("format") in ("escrutinio-bulletin/4", "escrutinio-bulletin/5") and self.tree.usable:
            earlier = self._previous(where, body, previous) if body.get("format") == "escrutinio-bulletin/5" else None
            self._check_projections(where, body, sums, earlier)
        for entry in [(shown or {}).get("area"), *((shown or {}).get("children") or [])]:
            code = entry.get("code") if isinstance(entry, dict) else None
            if code not in self.tree.nodes:
                self.report.add("figure", f"{where}: the site shows area {code!r}, which is not in the geography")
                continue
            self._compare(f"{where} as shown", code, entry.get("results") or {}, sums, verdicts)
            if verdicts is not None and (entry.get("groups") or {}) != verdicts.groups(code):
                self.report.add("figure", f"{where} as shown, {self.tree.label(code)}: its groups' outcomes "
                                          f"{_show(entry.get('groups'))}, recomputed {_show(verdicts.groups(code))}")

    def _check_entered(self, where: str, body: dict) -> None:
        """The head's count of tables whose counted acta was keyed in by hand, or a board's recount (bulletins
        made before that count was published have no ``manual`` key: nothing to check)."""
        if "manual" not in body:
            return
        tables: dict[str, set[str]] = {"manual": set(), "recount": set()}
        for acta_id, entry in self.entry.items():
            if self.status.get(acta_id) == "counted" and entry in tables:
                tables[entry].add(self.acta[acta_id].get("table"))
        mine = {"tables": len(tables["manual"]), "recounted_tables": len(tables["recount"])}
        if body.get("manual") != mine:
            self.report.add("figure", f"{where}: tables entered by hand and recounted: published "
                                      f"{_show(body.get('manual'))}, recomputed {_show(mine)}")

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

    def _previous(self, where: str, body: dict, previous) -> tuple | None:
        """The previous election's figures the head names, checked against its SHA-256 and shape:
        (matrix, columns, mapping) for the projection, or None if the head names none."""
        about = body.get("previous")
        if about is None:
            return None
        if not isinstance(about, dict) or not isinstance(about.get("columns"), list) \
                or not isinstance(about.get("mapping"), dict) or "registered" not in about["columns"]:
            self.report.add("projection", f"{where}: its previous election {_show(about)} is not one this "
                                          "verifier can read")
            return None
        try:
            data = previous() if previous is not None else None
        except Exception as exc:  # noqa: BLE001 - reported; the projections are still checked without it
            self.report.add("source", f"{where}: cannot read its previous election's figures ({exc})")
            return None
        if data is None:
            self.report.add("source", f"{where}: its previous election's figures are not published")
            return None
        digest = sha256_hex(data)
        if digest != about.get("sha256"):
            self.report.add("projection", f"{where}: the SHA-256 of its previous election's figures is {digest}, "
                                          f"but its head says {about.get('sha256')}")
        width, count = len(about["columns"]), len(self.tree.order)
        if len(data) != 8 * width * count:
            self.report.add("projection", f"{where}: its previous election's figures are {len(data):,} bytes, "
                                          f"not {count:,} nodes × {width} columns × 8")
            return None
        self.report.count("previous-election rows", count)
        return np.frombuffer(data, dtype="<i8").reshape(count, width), about["columns"], about["mapping"]

    def _check_projections(self, where: str, body: dict, sums: dict, earlier=None) -> None:
        """The projections the head publishes (its hash covers them) against ours, to the last digit."""
        published = body.get("projections") if isinstance(body.get("projections"), dict) else {}
        self.projections = {}
        for contest in self.tree.contests:
            theirs = published.get(contest)
            settings = theirs.get("settings") if isinstance(theirs, dict) else None
            if isinstance(theirs, dict) and theirs.get("method") != KNOWN_METHOD:
                self.report.add("projection", f"{where}, contest {contest}: projection method "
                                              f"{theirs.get('method')!r} is not one this verifier knows")
                continue
            try:
                fallback = DEFAULTS if body.get("format") == "escrutinio-bulletin/5" else DEFAULTS_4
                ours = Projector(self.tree, settings if isinstance(settings, dict) else fallback).contest(
                    contest, self.matrix(contest, sums), self.tree.contests[contest].get("rule") or {},
                    theirs.get("level", 0.95) if isinstance(theirs, dict) else 0.95, earlier)
            except (KeyError, ValueError, TypeError) as exc:
                self.report.add("projection", f"{where}, contest {contest}: its projection's settings "
                                              f"{_show(settings)} cannot be used ({exc})")
                continue
            self.projections[contest] = ours
            self.report.count("projections")
            for path, a, b in _differences(theirs, ours):
                self.report.add("projection", f"{where}, contest {contest}, projection {path}: published "
                                              f"{_show(a)}, recomputed {_show(b)}")

    def columns(self, contest: str) -> list[str]:
        return [*self.tree.options[contest], "null", "blank", "ballots_cast", "registered_counted", "counted",
                "received", "quarantined", "conflict", "capacity_in_conflict", "expected", "registered_all",
                "remaining_max"]

    def row(self, contest: str, code: str, sums: dict[str, np.ndarray]) -> list[int]:
        """Our counters of one node, in the bulletin's columns."""
        index = self.node_index[code]
        static, row = self.static[contest][index].tolist(), sums[contest][index].tolist()
        k = len(self.tree.options[contest])
        remaining = static[2] - (row[k + REG_COUNTED] + self.tree.extra * row[k + COUNTED])
        return row + [static[0], static[1], remaining]

    def matrix(self, contest: str, sums: dict[str, np.ndarray]) -> np.ndarray:
        """Our counters of every node, in the bulletin's columns and node order."""
        static, row = self.static[contest], sums[contest]
        k = len(self.tree.options[contest])
        remaining = static[:, 2] - (row[:, k + REG_COUNTED] + self.tree.extra * row[:, k + COUNTED])
        return np.column_stack([row, static[:, 0], static[:, 1], remaining])

    def _published_rows(self, where: str, contest: str, declared: dict, counters) -> np.ndarray | None:
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
        return np.frombuffer(data, dtype="<i8").reshape(count, width)

    def _compare(self, where: str, code: str, published: dict, sums: dict, verdicts: Verdicts | None = None) -> None:
        tree, report = self.tree, self.report
        index = self.node_index[code]
        for contest in tree.contests:
            static = self.static[contest][index].tolist()
            if static[0] == 0:
                if contest in published:
                    report.add("figure", f"{where}, {tree.label(code)}: publishes contest {contest}, which no "
                                         "table beneath it has on its ballot")
                continue
            if contest not in published:
                report.add("figure", f"{where}, {tree.label(code)}: contest {contest} is missing")
                continue
            mine = self.figures(contest, sums[contest][index].tolist(), static)
            if verdicts is not None:
                mine["outcome"] = verdicts.at(contest, code)
            if self.projections is not None and isinstance(published[contest], dict):
                shown = published[contest] = dict(published[contest])
                self._compare_projection(where, code, contest, shown.pop("projection", None), mine)
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

    def _compare_projection(self, where: str, code: str, contest: str, shown: object, mine: dict) -> None:
        """The projection a page shows of one area: the head's (as we recomputed it), with its tables."""
        ours = (self.projections.get(contest) or {}) if self.projections else {}
        area = (ours.get("areas") or {}).get(code)
        if area is None:
            if shown is not None:
                self.report.add("projection", f"{where}, {self.tree.label(code)}, contest {contest}: shows a "
                                              f"projection where there is none")
            return
        want = {"method": ours["method"], "level": ours["level"], **area}
        got = {key: shown.get(key) for key in want} if isinstance(shown, dict) else shown
        tables = ((shown.get("inputs") or {}).get("tables") if isinstance(shown, dict) else None)
        if got != want or tables != {"counted": mine["tables"]["counted"], "expected": mine["tables"]["expected"]}:
            self.report.add("projection", f"{where}, {self.tree.label(code)}, contest {contest}: shows projection "
                                          f"{_show(shown)}, recomputed {_show(want)}")

    def check_statuses(self, published: dict[int, object]) -> None:
        """The actas' statuses published now (acta id -> status) against where the whole log leads."""
        for acta_id, status in published.items():
            if acta_id in self.status and status != self.status[acta_id]:
                self.report.add("status", f"{label(acta_id, self.acta[acta_id])}: published status {status}, but "
                                          f"the log leads to {self.status[acta_id]}")


_MISSING = object()
class Contents(ByActa):
    """Acta id -> its content (the SlimActa, or the acta's dict in its leaf's record), held as its leaf's
    position in the log."""

    def __init__(self, records: list):
        super().__init__(np.int64)
        self.records = records

    def _code(self, value: object) -> int:
        return value  # the position itself

    def get(self, key: object, default: object = None) -> object:
        index = self._index(key)
        position = int(self.codes[index]) if index is not None else -1
        if position < 0:
            position = self.other.get(key, -1) if hashable(key) else -1
            if position < 0:
                return default
        record = self.records[position]
        return record if type(record) is SlimActa else record.get("acta")


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
