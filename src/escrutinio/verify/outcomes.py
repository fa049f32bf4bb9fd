"""Each contest's outcome, recomputed from our own counter rows with arithmetic of our own.

The rules are those of docs/formats/election.md. Every verdict is worked out
twice over the range of what is still possible: once as it stands, then at
the extremes a completion could reach (``remaining`` ballots at uncounted
tables, and ``conflict`` ballots at counted tables whose acta could be
replaced); the outcome is decided only when no extreme moves it.
"""

from __future__ import annotations

from fractions import Fraction

# A node's row: options, then these columns (see replay.columns).
TAIL = ("null", "blank", "ballots_cast", "registered_counted", "counted", "received", "quarantined", "conflict",
        "capacity_in_conflict", "expected", "registered_all", "remaining_max")
SEATS = ("dhondt", "sainte_lague", "hare", "droop")


class Area:
    """One contest at one node, as the verifier sees it."""

    def __init__(self, codes: list[str], row: list[int]):
        k = len(codes)
        tail = dict(zip(TAIL, row[k:]))
        self.codes, self.votes = codes, row[:k]
        self.cast, self.register = tail["ballots_cast"], tail["registered_all"]
        self.left, self.contested = tail["remaining_max"], tail["capacity_in_conflict"]
        self.expected = tail["expected"]

    @property
    def valid(self) -> int:
        return sum(self.votes)

    @property
    def most(self) -> int:
        """The most ballots still to be added anywhere."""
        return self.left + self.contested


def _p(value) -> Fraction | None:
    return None if value is None else Fraction(str(value))


def _order(votes: list[int]) -> list[int]:
    return sorted(range(len(votes)), key=lambda i: (-votes[i], i))


def verdict(rule: dict, a: Area) -> dict:
    name = rule.get("name", "plurality")
    if name in SEATS:
        body = _seats(rule, a)
    elif name == "referendum":
        body = _yes_no(rule, a)
    elif name in ("majority", "threshold"):
        body = _first_round(rule, a)
    else:
        body = _most_votes(a)
    return {"rule": name, "status": body[0], "decided": body[1], "winners": body[2],
            "runoff": body[3] if len(body) > 3 else [], "seats": body[4] if len(body) > 4 else {},
            "inputs": {"valid": a.valid, "ballots_cast": a.cast, "registered_all": a.register,
                       "remaining_max": a.left, "conflict_swing": 2 * a.contested}}


def _most_votes(a: Area) -> tuple:
    order = _order(a.votes)
    gap = a.votes[order[0]] - (a.votes[order[1]] if len(order) > 1 else 0) if order else 0
    if gap <= 0:
        return "leading", False, []
    sure = gap > a.left + 2 * a.contested
    return ("decided" if sure else "leading"), sure, [a.codes[order[0]]]


def _ways(rule: dict) -> list[tuple[Fraction, Fraction | None]]:
    if rule.get("name") == "majority":
        return [(Fraction(50), None)]
    ways = []
    lead = _p(rule.get("lead_percent"))
    if lead is None or rule.get("lead_threshold_percent") is not None:
        ways.append((_p(rule["threshold_percent"]), None))
    if lead is not None:
        ways.append((_p(rule.get("lead_threshold_percent", rule["threshold_percent"])), lead))
    return ways


def _outright(ways, mine: int, best_other: int, total: int) -> bool:
    if total <= 0 or mine <= best_other:
        return False
    for share, lead in ways:
        if 100 * mine > share * total and (lead is None or 100 * (mine - best_other) > lead * total):
            return True
    return False


def _first_round(rule: dict, a: Area) -> tuple:
    ways, votes, total = _ways(rule), a.votes, a.valid
    if total == 0:
        return "leading", False, []
    order = _order(votes)
    top = order[0]
    others = [v for i, v in enumerate(votes) if i != top]
    if _outright(ways, votes[top], max(others, default=0), total):
        lose = min(a.contested, votes[top])
        sure = _outright(ways, votes[top] - lose, max(others, default=0) + a.most, total - lose + a.most)
        return ("decided" if sure else "leading"), sure, [a.codes[top]]
    places = max(1, int(rule.get("runoff_count", 2)))
    pair = order[:places]
    sure = not any(_could_pass(ways, a, i) for i in range(len(votes)))
    if places < len(order):
        sure = sure and votes[order[places - 1]] - votes[order[places]] > a.left + 2 * a.contested
    return "runoff", sure, [], [a.codes[i] for i in pair]


def _could_pass(ways, a: Area, i: int) -> bool:
    mine = a.votes[i] + a.most
    total = a.valid + a.most - min(a.contested, a.valid - a.votes[i])
    if total <= 0:
        return True
    best_other = max((v for j, v in enumerate(a.votes) if j != i), default=0)
    return any(100 * mine > share * total and (lead is None or 100 * (mine - max(0, best_other - a.contested))
                                                > lead * total) for share, lead in ways)


def _tests(rule: dict, yes: int, no: int, cast: int, register: int) -> str:
    quorum, needed, yes_quorum = (_p(rule.get("quorum_percent")), _p(rule.get("approval_percent", "50")),
                                  _p(rule.get("approval_quorum_percent")))
    if quorum is not None and 100 * cast < quorum * register:
        return "no_quorum"
    if yes + no == 0 or 100 * yes <= needed * (yes + no):
        return "rejected"
    if yes_quorum is not None and 100 * yes < yes_quorum * register:
        return "rejected"
    return "accepted"


def _yes_no(rule: dict, a: Area) -> tuple:
    yes, no = a.votes[0], a.votes[1]
    c, more = a.contested, a.most
    now = _tests(rule, yes, no, a.cast, a.register)
    low = _tests(rule, max(0, yes - c), no + more, max(0, a.cast - c), a.register)
    high = _tests(rule, yes + more, max(0, no - c), a.cast + more, a.register)
    sure = low == high == now
    return now, sure, {"accepted": [a.codes[0]], "rejected": [a.codes[1]]}.get(now, [])


def _seats(rule: dict, a: Area) -> tuple:
    method, seats = rule["name"], int(rule.get("seats", 0))
    bar = _p(rule.get("seat_threshold_percent"))
    won = share_out(method, a.votes, seats, bar)
    sure = a.valid > 0 and _seats_fixed(method, a, won, bar)
    return ("decided" if sure else "leading"), sure, [c for c, n in zip(a.codes, won) if n], [], \
        dict(zip(a.codes, won))


def share_out(method: str, votes: list[int], seats: int, bar: Fraction | None) -> list[int]:
    total0 = sum(votes)
    votes = [v if bar is None or 100 * v >= bar * total0 else 0 for v in votes]
    total = sum(votes)
    won = [0] * len(votes)
    if seats <= 0 or total == 0:
        return won
    if method in ("dhondt", "sainte_lague"):
        step = 1 if method == "dhondt" else 2
        table = sorted(((Fraction(v, 1 + step * k), v, -i) for i, v in enumerate(votes) if v for k in range(seats)),
                       reverse=True)
        for _, _, neg in table[:seats]:
            won[-neg] += 1
        return won
    size = Fraction(total, seats) if method == "hare" else Fraction(total // (seats + 1) + 1)
    won = [int(Fraction(v) / size) for v in votes]
    queue = sorted((i for i, v in enumerate(votes) if v), key=lambda i: (won[i] * size - votes[i], -votes[i], i))
    for n in range(seats - sum(won)):
        won[queue[n % len(queue)]] += 1
    return won


def _seats_fixed(method: str, a: Area, won: list[int], bar: Fraction | None) -> bool:
    if a.most == 0:
        return True
    if method not in ("dhondt", "sainte_lague"):
        return False
    c, more, total = a.contested, a.most, a.valid
    inside = [True] * len(a.votes)
    if bar is not None:
        lows = [100 * max(0, v - c) >= bar * (total + a.left) for v in a.votes]
        highs = [100 * (v + more) >= bar * max(1, total + more - min(c, total - v)) for v in a.votes]
        if lows != highs:
            return False
        inside = lows
    step = 1 if method == "dhondt" else 2
    last = [Fraction(max(0, v - c), 1 + step * (n - 1)) for v, n, ok in zip(a.votes, won, inside) if ok and n]
    nxt = [Fraction(v + more, 1 + step * n) for v, n, ok in zip(a.votes, won, inside) if ok]
    return not last or not nxt or min(last) > max(nxt)


# -- Swiss linked questions ---------------------------------------------------------------------------

def cantons_say(rule: dict, cantons: list[tuple[int, Area]]) -> dict:
    needed = _p(rule.get("approval_percent", "50"))
    total = sum(w for w, _ in cantons)
    now = sure_yes = maybe_yes = 0
    for weight, a in cantons:
        yes, no, c, more = a.votes[0], a.votes[1], a.contested, a.most
        if yes + no and 100 * yes > needed * (yes + no):
            now += weight
        low_yes, low_no = max(0, yes - c), no + more
        if low_yes + low_no and 100 * low_yes > needed * (low_yes + low_no):
            sure_yes += weight
        high_yes, high_no = yes + more, max(0, no - c)
        if high_yes + high_no and 100 * high_yes > needed * (high_yes + high_no):
            maybe_yes += weight
    return {"accepted_weight": now, "total_weight": total, "accepted": 2 * now > total,
            "decided": 2 * sure_yes > total or 2 * maybe_yes <= total}


def with_cantons(rule: dict, a: Area, cantons: list[tuple[int, Area]]) -> dict:
    out = verdict(rule, a)
    states = cantons_say(rule, cantons)
    out["cantons"] = states
    people_status = out["status"]
    if people_status == "accepted" and not states["accepted"]:
        out["status"], out["winners"] = "rejected", [a.codes[1]]
    quorum = _p(rule.get("quorum_percent"))
    quorum_sure = quorum is None or 100 * max(0, a.cast - a.contested) >= quorum * a.register
    out["decided"] = ((out["decided"] and (people_status != "accepted" or states["decided"]))
                      or (states["decided"] and not states["accepted"] and quorum_sure
                          and people_status != "no_quorum"))
    return out


def breaker(rule: dict, a: Area, cantons: list[tuple[int, Area]]) -> dict:
    out = verdict({"name": "plurality"}, a)
    out["rule"] = "tie_breaker"
    if not rule.get("double_majority"):
        return out
    total = sum(w for w, _ in cantons)
    weight = dict.fromkeys(a.codes, 0)
    each = [verdict({"name": "plurality"}, there) for _, there in cantons]
    for (w, _), there in zip(cantons, each):
        for code in there["winners"]:
            weight[code] += w
    first, second = a.codes[0], a.codes[1]
    cantons_pick = [code for code in (first, second) if 2 * weight[code] > total]
    split = bool(out["winners"] and cantons_pick and cantons_pick != out["winners"])
    if split:
        def score(i: int) -> Fraction:
            return (Fraction(a.votes[i], a.valid) if a.valid else Fraction(0)) + \
                (Fraction(weight[a.codes[i]], total) if total else Fraction(0))
        s1, s2 = score(0), score(1)
        out["winners"] = [first] if s1 > s2 else [second] if s2 > s1 else []
    out["cantons"] = {"weight": weight, "total_weight": total}
    out["decided"] = (out["decided"] and all(o["decided"] for o in each) and bool(out["winners"])
                      and not (split and a.most))
    out["status"] = "decided" if out["decided"] else "leading"
    return out


def double_yes(group: str, ini: tuple[str, dict], counter: tuple[str, dict], tie: tuple[str, dict] | None) -> dict:
    yes = [code for code, o in (ini, counter) if o["status"] == "accepted"]
    sure = ini[1]["decided"] and counter[1]["decided"]
    if len(yes) == 2:
        winners = [code for code in (tie[1]["winners"] if tie else []) if code in yes]
        sure = sure and bool(tie and tie[1]["decided"])
    else:
        winners = yes
    members = {"initiative": ini[0], "counter_proposal": counter[0]}
    if tie:
        members["tie_breaker"] = tie[0]
    return {"group": group, "status": "accepted" if winners else "rejected", "decided": sure, "winners": winners,
            "both_accepted": len(yes) == 2, "contests": members}


# -- over the tree ------------------------------------------------------------------------------------

class Verdicts:
    """Our outcomes for one bulletin: ``row(contest, code)`` gives our counter row of a node."""

    def __init__(self, tree, row):
        self.tree, self.row = tree, row
        self.levels = list(tree.levels)
        self.kept: dict[tuple[str, str], dict | None] = {}
        self._under: dict[tuple[str, str | None], list[str]] = {}

    def rank(self, code: str) -> int:
        level = self.tree.nodes[code][2]
        return self.levels.index(level) if level in self.levels and self.tree.nodes[code][1] == "area" \
            else len(self.levels)

    def area(self, contest: str, code: str) -> Area:
        return Area(self.tree.options[contest], self.row(contest, code))

    def under(self, code: str, level: str | None) -> list[str]:
        key = (code, level)
        if key not in self._under:
            found = []
            for other in self.tree.order:
                if level is None or self.tree.nodes[other][2] != level or self.tree.nodes[other][1] != "area":
                    continue
                up = other
                while up is not None and up != code:
                    up = self.tree.nodes[up][3]
                if up == code:
                    found.append(other)
            self._under[key] = found
        return self._under[key]

    def at(self, contest: str, code: str) -> dict | None:
        key = (contest, code)
        if key not in self.kept:
            self.kept[key] = self._work(contest, code)
        return self.kept[key]

    def _work(self, contest: str, code: str) -> dict | None:
        rule = self.tree.contests[contest].get("rule") or {}
        home = self.levels.index(rule["level"]) if rule.get("level") in self.levels else 0
        here = self.rank(code)
        if here > home:
            return None
        if here < home:
            return self._tally_up(contest, rule, code)
        a = self.area(contest, code)
        if rule.get("name") == "tie_breaker":
            return breaker(rule, a, self._cantons(contest, rule, code))
        if rule.get("double_majority"):
            return with_cantons(rule, a, self._cantons(contest, rule, code))
        return verdict(rule, a)

    def _cantons(self, contest: str, rule: dict, code: str) -> list[tuple[int, Area]]:
        level = rule.get("canton_level") or (self.levels[1] if len(self.levels) > 1 else None)
        out = []
        for canton in self.under(code, level):
            a = self.area(contest, canton)
            if a.expected:
                out.append((self.tree.weights.get(canton, 1), a))
        return out

    def _tally_up(self, contest: str, rule: dict, code: str) -> dict:
        party = {o["code"]: o.get("party") or o["code"] for o in self.tree.contests[contest]["options"]}
        areas = [c for c in self.under(code, rule["level"]) if self.area(contest, c).expected]
        wins: dict[str, int] = {}
        seats: dict[str, int] = {}
        statuses: dict[str, int] = {}
        sure = 0
        for c in areas:
            there = self.at(contest, c)
            statuses[there["status"]] = statuses.get(there["status"], 0) + 1
            sure += int(there["decided"])
            for option in there["winners"]:
                wins[party[option]] = wins.get(party[option], 0) + 1
            for option, n in there["seats"].items():
                if n:
                    seats[party[option]] = seats.get(party[option], 0) + n
        summary = {"areas": len(areas), "decided": sure, "statuses": statuses, "winners": wins}
        if seats:
            summary["seats"] = seats
        return {"rule": rule.get("name", "plurality"), "level": rule["level"], "summary": summary}

    def groups(self, code: str) -> dict[str, dict]:
        members: dict[str, dict[str, str]] = {}
        for contest, item in self.tree.contests.items():
            rule = item.get("rule") or {}
            if rule.get("group"):
                members.setdefault(rule["group"], {})[rule.get("kind")] = contest
        out = {}
        for group, kinds in members.items():
            got = {kind: (contest, self.at(contest, code)) for kind, contest in kinds.items()}
            if len(got) < 2 or any(o is None or "summary" in o for _, o in got.values()):
                continue
            out[group] = double_yes(group, got["initiative"], got["counter_proposal"], got.get("tie_breaker"))
        return out
