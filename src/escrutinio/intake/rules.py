"""The winner-rule keys of a ``[[contest]]`` table, checked and turned into a Rule.

Every problem goes to the definition's collector, beside the others; the
rules themselves are in ``domain/outcome.py``, ``domain/seats.py`` and
``domain/swiss.py``, and documented in ``docs/formats/election.md``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from ..domain.model import KINDS, RULES, Contest, Rule
from ..domain.seats import METHODS as SEAT_METHODS

PERCENT_KEYS = ("threshold_percent", "lead_percent", "lead_threshold_percent", "approval_percent",
                "quorum_percent", "approval_quorum_percent", "seat_threshold_percent")
# The keys each rule reads; the others are a problem with that rule (they would be silently ignored).
APPLIES = {
    "plurality": (),
    "majority": ("runoff_count",),
    "threshold": ("runoff_count", "threshold_percent", "lead_percent", "lead_threshold_percent"),
    "referendum": ("approval_percent", "quorum_percent", "approval_quorum_percent", "double_majority",
                   "canton_level"),
    "tie_breaker": ("double_majority", "canton_level"),
    **{method: ("seats", "seat_threshold_percent") for method in SEAT_METHODS},
}
RULE_KEYS = tuple(sorted({k for keys in APPLIES.values() for k in keys}))


def read_rule(item: dict, where: str, add) -> Rule:
    """The contest's Rule; ``add(field, message, action)`` records a problem."""
    kind = item.get("kind")
    if kind is not None and kind not in KINDS:
        add(f"{where}.kind", f"{kind!r} is not a kind of linked question", f"use one of: {', '.join(KINDS)}")
        kind = None
    default = "tie_breaker" if kind == "tie_breaker" else "referendum" if kind else "plurality"
    name = item.get("rule", default)
    if name not in RULES or (name == "tie_breaker") != (kind == "tie_breaker"):
        usable = ", ".join(r for r in RULES if r != "tie_breaker")
        add(f"{where}.rule", f"{name!r} is not a rule",
            f'use one of: {usable} (a tie-breaker is declared with kind = "tie_breaker")')
        name = default
    if kind in ("initiative", "counter_proposal") and name != "referendum":
        add(f"{where}.rule", f"a {kind} is a yes/no question, not {name!r}", 'leave rule out or write "referendum"')
    values = {}
    for key in RULE_KEYS:
        if key in item and key not in APPLIES[name]:
            add(f"{where}.{key}", f"`{key}` does not apply to rule {name!r}",
                f"remove it, or use a rule that reads it ({', '.join(r for r, ks in APPLIES.items() if key in ks)})")
        elif key in item:
            values[key] = _value(key, item[key], f"{where}.{key}", add)
    group = item.get("group")
    if (group is None) != (kind is None) or (group is not None and not (isinstance(group, str) and group.strip())):
        add(f"{where}.group", "a linked question needs both `kind` and `group` (a name shared by the group)",
            'write kind = "initiative" and group = "…" (or neither)')
        group = None
    rule_level = item.get("rule_level")
    if rule_level is not None and not isinstance(rule_level, str):
        add(f"{where}.rule_level", f"{rule_level!r} is not a level name", 'write e.g. rule_level = "municipio"')
        rule_level = None
    rule = Rule(name=name, level=rule_level, kind=kind, group=group.strip() if group else None,
                **{k: v for k, v in values.items() if v is not None})
    _check_needs(rule, where, add)
    return rule


def _value(key: str, value: object, field: str, add) -> object:
    if key in PERCENT_KEYS:
        return _percent(value, field, add)
    if key == "double_majority":
        if not isinstance(value, bool):
            add(field, f"{value!r} is not true or false", "write double_majority = true or false")
            return None
        return value
    if key == "canton_level":
        if not isinstance(value, str):
            add(field, f"{value!r} is not a level name", 'write e.g. canton_level = "canton"')
            return None
        return value
    low = 2 if key == "runoff_count" else 1
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= 10_000:
        add(field, f"{value!r} is not a whole number from {low} to 10,000", f"write e.g. {key} = {low}")
        return None
    return value


def _percent(value: object, field: str, add) -> str | None:
    """A percentage as exact decimal text: 45 → "45", 40.5 → "40.5" (a TOML float's shortest spelling)."""
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidOperation
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite() or not 0 <= number <= 100:
        add(field, f"{value!r} is not a percentage from 0 to 100", "write a number such as 45 or 40.5 (no % sign)")
        return None
    text = format(number.normalize(), "f")
    return text


def _check_needs(rule: Rule, where: str, add) -> None:
    if rule.name == "threshold" and rule.threshold_percent is None:
        add(f"{where}.threshold_percent", 'rule "threshold" needs threshold_percent',
            "write e.g. threshold_percent = 45")
    if rule.lead_threshold_percent is not None and rule.lead_percent is None:
        add(f"{where}.lead_percent", "lead_threshold_percent needs lead_percent", "write e.g. lead_percent = 10")
    if rule.name in SEAT_METHODS and rule.seats < 1:
        add(f"{where}.seats", f"rule {rule.name!r} needs the number of seats", "write e.g. seats = 8")


def check_contest_rules(contests: list[Contest], levels: list[str], where: dict[str, str], add) -> None:
    """What one contest cannot check alone: level names, option counts, and each Swiss group's members."""
    for contest in contests:
        rule, at = contest.rule, where.get(contest.code, "contest")
        for key, level in (("rule_level", rule.level), ("canton_level", rule.canton_level)):
            if level is not None and level not in levels:
                add(f"{at}.{key}", f"unknown level {level!r}", f"use one of: {', '.join(levels)}")
        if rule.name in ("referendum", "tie_breaker") and len(contest.options) != 2:
            add(f"{at}.options", f"rule {rule.name!r} needs exactly two options (yes first, then no)",
                'write options = [{ code = "SI", name = "Sí" }, { code = "NO", name = "No" }]')
    groups: dict[str, list[Contest]] = {}
    for contest in contests:
        if contest.rule.group:
            groups.setdefault(contest.rule.group, []).append(contest)
    for group, members in groups.items():
        _check_group(group, members, where, add)


def _check_group(group: str, members: list[Contest], where: dict[str, str], add) -> None:
    kinds = [c.rule.kind for c in members]
    at = where.get(members[0].code, "contest")
    if kinds.count("initiative") != 1 or kinds.count("counter_proposal") != 1 or kinds.count("tie_breaker") > 1:
        add(f"{at}.group", f"group {group!r} has {', '.join(kinds)}",
            "a group has one initiative, one counter_proposal and at most one tie_breaker")
        return
    questions = {c.code for c in members if c.rule.kind != "tie_breaker"}
    for breaker in (c for c in members if c.rule.kind == "tie_breaker"):
        if set(breaker.option_codes) != questions:
            add(f"{where.get(breaker.code, 'contest')}.options",
                f"the tie-breaker's options are {', '.join(breaker.option_codes)}, not the group's questions",
                "name its two options by the codes of the initiative and counter-proposal "
                f"({', '.join(sorted(questions))})")
