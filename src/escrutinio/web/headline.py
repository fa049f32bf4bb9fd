"""The answer at a glance: for one contest at one area, who leads (or what the rule decided), by how much, how
much is counted and whether that can still change, in plain words. The auditor's numbers stay in the bulletin;
the headline only picks and words them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal

from ..domain.percent import PercentRule
from .i18n import Language

# Progress is shown with one decimal, truncated: 99.9 % until the very last table is in, never a rounded 100 %.
PROGRESS = PercentRule("truncate", 1)
SEAT_RULES = ("dhondt", "sainte_lague", "hare", "droop")


@dataclass(frozen=True)
class Share:
    code: str
    name: str
    votes: int
    percent: str | None  # as the percent rule prints it
    width: float  # the bar's width, in % of the track (exact share, not the printed one)
    colour: int  # index into the palette (ballot order)
    own_colour: str | None  # the option's colour from the definition, if any


@dataclass(frozen=True)
class Headline:
    code: str
    name: str
    shares: list[Share]  # most votes first
    leader: str | None
    runner_up: str | None
    lead: int
    lead_points: str | None  # the lead in percentage points of the valid votes, cut by the percent rule
    lead_points_text: str  # the same in the election's locale
    counted: int
    expected: int
    counted_percent: str | None
    threshold: str  # where the bars' marker stands, in %
    decided: bool | None  # None: no verdict here (a rule given per lower level)
    verdict: str  # plain words


def threshold_of(rule: dict | None) -> str:
    """The share that matters under the contest's rule: a referendum's approval, a threshold rule's threshold,
    half for everything else (a majority; under plurality half is still the line every reader looks for)."""
    rule = rule or {}
    if rule.get("name") == "referendum":
        return str(rule.get("approval_percent") or "50")
    if rule.get("name") == "threshold" and rule.get("threshold_percent"):
        return str(rule["threshold_percent"])
    return "50"


def headline(contest: dict, figures: dict, percent_rule: dict, lang: Language) -> Headline:
    rule = PercentRule(percent_rule["method"], percent_rule["decimals"])
    index = {o["code"]: i for i, o in enumerate(contest["options"])}
    names = {o["code"]: o["name"] for o in contest["options"]}
    own = {o["code"]: o.get("colour") for o in contest["options"]}
    valid = figures["valid"]
    ranked = sorted(figures["options"], key=lambda o: (-o["votes"], index.get(o["code"], 0)))
    shares = [Share(o["code"], names.get(o["code"], o["code"]), o["votes"], o["percent"],
                    round(100 * o["votes"] / valid, 3) if valid else 0.0, index.get(o["code"], 0) % 8,
                    own.get(o["code"]))
              for o in ranked]
    tied = len(ranked) > 1 and ranked[0]["votes"] == ranked[1]["votes"]
    leader = None if not valid or tied or not ranked else ranked[0]["code"]
    runner_up = ranked[1]["code"] if len(ranked) > 1 else None
    lead = ranked[0]["votes"] - ranked[1]["votes"] if len(ranked) > 1 else (ranked[0]["votes"] if ranked else 0)
    tables = figures["tables"]
    decided, verdict = _verdict(contest, figures, names, leader, runner_up, lang)
    points = rule.format(lead, valid) if leader else None
    return Headline(code=contest["code"], name=contest["name"], shares=shares, leader=leader, runner_up=runner_up,
                    lead=lead, lead_points=points, lead_points_text=_decimal(points, lang),
                    counted=tables["counted"], expected=tables["expected"],
                    counted_percent=PROGRESS.format(tables["counted"], tables["expected"]),
                    threshold=threshold_of(contest.get("rule")), decided=decided, verdict=verdict)


def _verdict(contest: dict, figures: dict, names: dict, leader: str | None, runner_up: str | None,
             lang: Language) -> tuple[bool | None, str]:
    t = lang.t
    outcome = figures.get("outcome")
    rule = contest.get("rule") or {}
    if "outcome" in figures and outcome is None and rule.get("level"):
        return None, t("Figures only: the verdict is given per {level}", level=rule["level"])
    if outcome and outcome.get("summary"):
        summary = outcome["summary"]
        return None, f"{summary.get('decided', 0)} {t('of')} {summary.get('areas', 0)} {t('decided')}"
    decided = bool(outcome["decided"]) if outcome and outcome.get("decided") is not None \
        else bool(figures["decided"]["decided"])
    head = t("Decided") if decided else t("Not decided yet")
    status = (outcome or {}).get("status")
    if status == "runoff":
        pair = " — ".join(names.get(c, c) for c in outcome.get("runoff", []))
        return decided, f"{head}: {t('status_runoff')} {pair}"
    if outcome and outcome.get("seats"):
        seats = ", ".join(f"{names.get(c, c)} {n}" for c, n in outcome["seats"].items() if n)
        return decided, f"{head}: {t('seats')} {seats}"
    if status == "no_quorum":
        return decided, f"{head}: {t('status_no_quorum')}"
    words = []
    if status in ("accepted", "rejected"):
        words.append(t("status_" + status))
    if leader is None:
        words.append(t("No single leader"))
    elif runner_up is not None:
        template = ("{second} can no longer overtake {leader}" if figures["decided"]["decided"]
                    else "{leader} leads {second}")
        words.append(t(template, second=names.get(runner_up, runner_up), leader=names.get(leader, leader)))
    return decided, f"{head}: {' — '.join(words)}" if words else head



def _decimal(value: str | None, lang: Language) -> str:
    """A decimal already cut by the percent rule ("1.27"), in the locale ("1,27"), its decimals kept."""
    if value is None:
        return "—"
    decimals = len(value.partition(".")[2])
    return format_decimal(Decimal(value), format="#,##0" + ("." + "0" * decimals if decimals else ""),
                          locale=lang.election_locale)
