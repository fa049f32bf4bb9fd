"""Swiss linked questions: a majority of cantons, the double yes and the tie-breaker.

A popular initiative may come with the authority's counter-proposal on the
same ballot, and a third question, the tie-breaker (*Stichfrage*), asks
which of the two should come into force if both are accepted. Each of the
two is a referendum; the group's outcome follows the double-yes rule:

- both accepted: the one the tie-breaker prefers comes into force;
- one accepted: that one;
- neither: both rejected.

With ``double_majority`` (federal votes), a question also needs a majority
of the cantons: the cantons whose own voters accept it must carry more
than half of the total weight (a full canton 2, a half-canton 1). For the
tie-breaker, when the people and the cantons prefer different questions,
the one whose share of the people's votes plus share of the cantons'
weight is larger wins (art. 139b of the federal constitution).
"""

from __future__ import annotations

from fractions import Fraction

from .model import Rule
from .outcome import Counts, outcome, pct, referendum_range

Canton = tuple[str, int, Counts]  # area code, weight, that contest's counts there


def cantonal_majority(rule: Rule, cantons: list[Canton]) -> dict:
    """Which cantons accept (their own yes passes the approval share), and whether that can still change."""
    approval = pct(rule.approval_percent)
    total = sum(w for _, w, _ in cantons)
    now = certain = possible = 0
    for _, weight, c in cantons:
        yes, no = c.votes[0][1], c.votes[1][1]
        now += weight if yes + no and 100 * yes > approval * (yes + no) else 0
        worst, best = referendum_range(rule, c)
        certain += weight if worst[1] else 0
        possible += weight if best[1] else 0
    return {"accepted_weight": now, "total_weight": total, "accepted": 2 * now > total,
            "decided": 2 * certain > total or 2 * possible <= total}


def double_majority(rule: Rule, counts: Counts, cantons: list[Canton]) -> dict:
    """A referendum's outcome that also needs a majority of the cantons."""
    people = outcome(rule, counts)
    states = cantonal_majority(rule, cantons)
    result = {**people, "cantons": states}
    if people["status"] == "accepted" and not states["accepted"]:
        result["status"], result["winners"] = "rejected", [counts.votes[1][0]]
    certain_no = states["decided"] and not states["accepted"]
    quorum_sure = referendum_range(rule, counts)[0][0] or rule.quorum_percent is None
    result["decided"] = ((people["decided"] and (people["status"] != "accepted" or states["decided"]))
                         or (certain_no and quorum_sure and people["status"] != "no_quorum"))
    return result


def tie_breaker(rule: Rule, counts: Counts, cantons: list[Canton]) -> dict:
    """Which of the two questions the tie-breaker prefers (its options are named by their contests' codes)."""
    people = outcome(Rule(), counts)
    result = {**people, "rule": "tie_breaker"}
    if not rule.double_majority:
        return result
    total = sum(w for _, w, _ in cantons)
    weight = {code: 0 for code, _ in counts.votes}
    local = [outcome(Rule(), c) for _, _, c in cantons]
    for (_, w, _), there in zip(cantons, local):
        for code in there["winners"]:
            weight[code] += w
    first, second = (code for code, _ in counts.votes[:2])
    valid = counts.valid
    score = {code: (Fraction(n, valid) if valid else Fraction(0)) + (Fraction(weight[code], total) if total else 0)
             for code, n in counts.votes}
    by_cantons = [code for code in (first, second) if 2 * weight[code] > total]
    disagree = bool(people["winners"] and by_cantons and by_cantons != people["winners"])
    if disagree:
        better = first if score[first] > score[second] else second if score[second] > score[first] else None
        result["winners"] = [better] if better else []
    result["cantons"] = {"weight": weight, "total_weight": total}
    # The sum of shares moves with every ballot even when each verdict is fixed: it waits for the last table.
    everything_fixed = people["decided"] and all(o["decided"] for o in local) and not (disagree and counts.swing)
    result["decided"] = everything_fixed and bool(result["winners"])
    result["status"] = "decided" if result["decided"] else "leading"
    return result


def group_outcome(group: str, initiative: tuple[str, dict], counter: tuple[str, dict],
                  breaker: tuple[str, dict] | None) -> dict:
    """The double-yes rule over the group's three outcomes (contest code, outcome)."""
    accepted = [code for code, o in (initiative, counter) if o["status"] == "accepted"]
    decided = initiative[1]["decided"] and counter[1]["decided"]
    if len(accepted) == 2:
        preferred = breaker[1]["winners"] if breaker else []
        winners = [code for code in preferred if code in accepted]
        decided = decided and bool(breaker and breaker[1]["decided"])
    else:
        winners = accepted
    contests = {"initiative": initiative[0], "counter_proposal": counter[0]}
    if breaker:
        contests["tie_breaker"] = breaker[0]
    return {"group": group, "status": "accepted" if winners else "rejected", "decided": decided,
            "winners": winners, "both_accepted": len(accepted) == 2, "contests": contests}
