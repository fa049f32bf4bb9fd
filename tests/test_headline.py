"""The headline per contest: leader, margin, progress and the verdict in plain words, from a bulletin's figures."""

from __future__ import annotations

from fractions import Fraction

from escrutinio.web.headline import headline, threshold_of
from escrutinio.web.i18n import Language

TRUNCATE_2 = {"method": "truncate", "decimals": 2}
REFERENDUM = {"code": "A", "name": "Bloque A", "blank": False,
              "options": [{"code": "SI", "name": "Sí"}, {"code": "NO", "name": "No"}],
              "rule": {"name": "referendum", "approval_percent": "50"}}


def figures(si: int, no: int, counted: int, expected: int, decided: bool, remaining: int, outcome=None) -> dict:
    leader = "NO" if no > si else "SI" if si > no else None
    out = {"options": [{"code": "SI", "votes": si, "percent": None}, {"code": "NO", "votes": no, "percent": None}],
           "valid": si + no, "tables": {"expected": expected, "received": counted, "counted": counted,
                                        "quarantined": 0, "conflict": 0},
           "decided": {"decided": decided, "leader": leader, "lead": abs(si - no), "remaining_max": remaining,
                       "conflict_swing": 0}}
    if outcome is not None:
        out["outcome"] = outcome
    return out


def truncated(part: int, whole: int, decimals: int) -> str:
    """Independent of PercentRule: exact fraction, then cut."""
    value = Fraction(100 * part, whole)
    scaled = int(value * 10**decimals)
    return f"{scaled // 10**decimals}.{scaled % 10**decimals:0{decimals}d}"


def test_the_last_bulletin_of_2007_reads_as_decided_for_no():
    f = figures(4_830_092, 4_954_974, 33_079, 33_079, True, 0,
                {"rule": "referendum", "status": "rejected", "decided": True, "winners": ["NO"]})
    h = headline(REFERENDUM, f, TRUNCATE_2, Language("en", "es_VE"))
    assert [s.code for s in h.shares] == ["NO", "SI"]  # most votes first
    assert (h.leader, h.runner_up, h.lead) == ("NO", "SI", 124_882)
    assert h.lead_points == truncated(124_882, 4_830_092 + 4_954_974, 2) == "1.27"
    assert h.counted_percent == "100.0"
    assert h.decided is True
    assert h.verdict == "Decided: rejected — Sí can no longer overtake No"
    assert h.threshold == "50"
    # the bar is the exact share, so 49.36 % and 50.63 % are not drawn the same width
    assert h.shares[0].width > 50 > h.shares[1].width


def test_an_open_race_says_not_decided_and_progress_is_never_rounded_up():
    f = figures(900, 1000, 99_999, 100_000, False, 5_000)
    h = headline({**REFERENDUM, "rule": None}, f, TRUNCATE_2, Language("en", "es_VE"))
    assert h.counted_percent == "99.9"  # 99.999 % counted is not shown as 100 %
    assert h.decided is False
    assert h.verdict == "Not decided yet: No leads Sí"


def test_spanish_words_and_numbers():
    f = figures(4_379_392, 4_504_354, 29_000, 33_079, True, 1_000_000)
    h = headline({**REFERENDUM, "rule": None}, f, TRUNCATE_2, Language("es", "es_VE"))
    assert h.verdict == "Decidido: Sí ya no puede alcanzar a No"
    assert h.lead_points_text == truncated(124_962, 4_379_392 + 4_504_354, 2).replace(".", ",")
    assert h.counted_percent == truncated(29_000, 33_079, 1)


def test_a_tie_has_no_leader():
    h = headline({**REFERENDUM, "rule": None}, figures(10, 10, 1, 2, False, 5), TRUNCATE_2, Language("en", "en"))
    assert h.leader is None and h.lead_points is None
    assert "No single leader" in h.verdict


def test_the_marker_stands_at_the_rules_line():
    assert threshold_of({"name": "referendum", "approval_percent": "60"}) == "60"
    assert threshold_of({"name": "threshold", "threshold_percent": "45"}) == "45"
    assert threshold_of({"name": "majority"}) == "50"
    assert threshold_of(None) == "50"
