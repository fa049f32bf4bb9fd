"""Winner rules and seats: hand-worked cases, then brute force on small random elections."""

from __future__ import annotations

import itertools
from fractions import Fraction

from hypothesis import given, settings, strategies as st

from escrutinio.domain.model import Rule
from escrutinio.domain.outcome import Counts, outcome
from escrutinio.domain.seats import allocate

VOTES = [100_000, 80_000, 30_000, 20_000]


def counts(*votes: int, cast: int | None = None, registered: int = 0, remaining: int = 0, conflict: int = 0):
    pairs = tuple((f"O{i + 1}", n) for i, n in enumerate(votes))
    return Counts(pairs, sum(votes) if cast is None else cast, registered, remaining, conflict)


# -- seats, by hand ---------------------------------------------------------------------------------

def test_dhondt_eight_seats():
    # Quotients: 100k, 80k, 50k, 40k, 33.3k, 30k(C), 26.7k(B/3), 25k(A/4) are the eight largest; D's 20k is not.
    assert allocate("dhondt", VOTES, 8) == [4, 3, 1, 0]


def test_sainte_lague_eight_seats():
    # Divisors 1, 3, 5, 7: 100k, 80k, 33.3k, 30k, 26.7k, 20k (A/5), 20k (D), 16k (B/5) — A/7 is 14.3k.
    assert allocate("sainte_lague", VOTES, 8) == [3, 3, 1, 1]


def test_hare_and_droop():
    # Hare quota 230,000/8 = 28,750: 3, 2, 1, 0 whole seats; remainders 13,750, 22,500, 1,250, 20,000 → B, D.
    assert allocate("hare", VOTES, 8) == [3, 3, 1, 1]
    # Droop quota 230,000 // 9 + 1 = 25,556: 3, 3, 1, 0 whole; remainders 23,332, 3,332, 4,444, 20,000 → A.
    assert allocate("droop", VOTES, 8) == [4, 3, 1, 0]


def test_a_threshold_leaves_small_lists_out():
    # D has 20,000 of 230,000 = 8.7 %: in under 5 %, out under 10 %, and its votes do not count for anyone.
    assert allocate("sainte_lague", VOTES, 8, Fraction(10)) == [4, 3, 1, 0]
    assert allocate("sainte_lague", VOTES, 8, Fraction(5)) == [3, 3, 1, 1]


def test_a_tied_quotient_goes_to_the_list_with_more_votes_then_to_ballot_order():
    # Last seat: B/1 = 50 against A/2 = 50; A has more votes.
    assert allocate("dhondt", [100, 50], 2) == [2, 0]
    assert allocate("dhondt", [50, 50], 1) == [1, 0]
    assert allocate("hare", [50, 50], 1) == [1, 0]


def test_seats_outcome_reports_every_list():
    rule = Rule("dhondt", seats=8)
    result = outcome(rule, counts(*VOTES))
    assert result["seats"] == {"O1": 4, "O2": 3, "O3": 1, "O4": 0}
    assert result["winners"] == ["O1", "O2", "O3"]
    assert (result["status"], result["decided"]) == ("decided", True)


def test_seats_are_not_decided_while_a_seat_could_move():
    # The eighth seat: A/4 = 25,000 against D's 20,000; 6,000 more ballots for D could take it.
    assert outcome(Rule("dhondt", seats=8), counts(*VOTES, remaining=6_000))["decided"] is False
    # With 1,000 ballots left no quotient can cross: A/4 ≥ 25,000 > D ≤ 21,000, C/1 ≥ 30,000 > B/4 ≤ 20,250 ...
    assert outcome(Rule("dhondt", seats=8), counts(*VOTES, remaining=1_000))["decided"] is True


# -- majority, threshold, referendum, by hand -------------------------------------------------------

def test_majority_leader_at_33_percent_goes_to_a_runoff_between_the_top_two():
    result = outcome(Rule("majority"), counts(3_329, 2_159, 1_900, 1_612, 1_000))
    assert result["status"] == "runoff" and result["runoff"] == ["O1", "O2"] and result["winners"] == []
    assert result["decided"] is True


def test_majority_with_more_than_half_wins():
    assert outcome(Rule("majority"), counts(501, 499))["winners"] == ["O1"]
    assert outcome(Rule("majority"), counts(500, 499, 1))["status"] == "runoff"  # 500 of 1,000 is not more than half


def test_runoff_count_three():
    assert outcome(Rule("majority", runoff_count=3), counts(40, 30, 20, 10))["runoff"] == ["O1", "O2", "O3"]


def test_a_runoff_is_not_decided_while_the_leader_could_still_pass_half():
    result = outcome(Rule("majority"), counts(45, 30, 25, remaining=20))
    assert result["status"] == "runoff" and result["decided"] is False


def test_threshold_45_or_40_with_a_ten_point_lead():
    rule = Rule("threshold", threshold_percent="45", lead_percent="10", lead_threshold_percent="40")
    assert outcome(rule, counts(46, 44, 10))["winners"] == ["O1"]           # more than 45 %
    assert outcome(rule, counts(41, 30, 29))["winners"] == ["O1"]           # 41 % and 11 points ahead
    assert outcome(rule, counts(41, 32, 27))["status"] == "runoff"          # 9 points ahead only
    assert outcome(rule, counts(39, 20, 20, 21))["status"] == "runoff"      # 19 points ahead, under 40 %


def test_referendum_more_than_half_of_valid_votes():
    assert outcome(Rule("referendum"), counts(51, 49))["status"] == "accepted"
    assert outcome(Rule("referendum"), counts(50, 50))["status"] == "rejected"
    assert outcome(Rule("referendum"), counts(50, 50))["winners"] == ["O2"]


def test_referendum_under_a_turnout_quorum():
    rule = Rule("referendum", quorum_percent="50")
    result = outcome(rule, counts(400, 100, registered=1_200))  # 500 of 1,200 voted: 41.7 %
    assert (result["status"], result["winners"], result["decided"]) == ("no_quorum", [], True)
    assert outcome(rule, counts(400, 200, registered=1_200))["status"] == "accepted"  # exactly 50 %: met
    # 99 more ballots reach 599 < 600 (half of 1,200): no quorum whatever they are; 100 more could reach it.
    assert outcome(rule, counts(400, 100, registered=1_200, remaining=99))["decided"] is True
    assert outcome(rule, counts(400, 100, registered=1_200, remaining=100))["decided"] is False


def test_referendum_approval_quorum():
    rule = Rule("referendum", approval_quorum_percent="25")
    assert outcome(rule, counts(240, 100, registered=1_000))["status"] == "rejected"  # 24 % of the register
    assert outcome(rule, counts(250, 100, registered=1_000))["status"] == "accepted"


def test_plurality_keeps_the_old_decided():
    assert outcome(Rule(), counts(700, 400, remaining=299))["status"] == "decided"
    assert outcome(Rule(), counts(700, 400, remaining=300))["status"] == "leading"
    assert outcome(Rule(), counts(700, 400, conflict=150))["status"] == "leading"  # 300 ≤ 2 × 150


# -- brute force ------------------------------------------------------------------------------------

def quotient_seats(votes: list[int], seats: int, method: str, threshold: Fraction | None) -> list[int]:
    """Every quotient listed and sorted: the largest ``seats`` of them win."""
    valid = sum(votes)
    ok = [threshold is None or 100 * v >= threshold * valid for v in votes]
    step = {"dhondt": 1, "sainte_lague": 2}[method]
    quotients = [(Fraction(v, 1 + step * k), v, -i) for i, v in enumerate(votes) if ok[i] and v
                 for k in range(seats)]
    won = [0] * len(votes)
    for _, _, neg in sorted(quotients, reverse=True)[:seats]:
        won[-neg] += 1
    return won


def remainder_seats(votes: list[int], seats: int, method: str, threshold: Fraction | None) -> list[int]:
    valid0 = sum(votes)
    votes = [v if threshold is None or 100 * v >= threshold * valid0 else 0 for v in votes]
    valid = sum(votes)
    if valid == 0:
        return [0] * len(votes)
    q = Fraction(valid, seats) if method == "hare" else Fraction(valid // (seats + 1) + 1)
    won = [int(Fraction(v) / q) for v in votes]
    ranked = sorted([i for i, v in enumerate(votes) if v], key=lambda i: (-(Fraction(votes[i]) - won[i] * q),
                                                                          -votes[i], i))
    for n in range(seats - sum(won)):
        won[ranked[n % len(ranked)]] += 1
    return won


small_votes = st.lists(st.integers(0, 60), min_size=1, max_size=5)


@settings(max_examples=300, deadline=None)
@given(small_votes, st.integers(1, 12), st.sampled_from(["dhondt", "sainte_lague", "hare", "droop"]),
       st.sampled_from([None, Fraction(5), Fraction(20)]))
def test_seats_match_brute_force(votes, seats, method, threshold):
    expected = (quotient_seats if method in ("dhondt", "sainte_lague") else remainder_seats)(
        votes, seats, method, threshold)
    won = allocate(method, votes, seats, threshold)
    assert won == expected
    assert sum(won) == (seats if any(v and (threshold is None or 100 * v >= threshold * sum(votes))
                                     for v in votes) else 0)


def completions(c: Counts):
    """Every final state: up to ``conflict`` votes taken away, then up to ``remaining + conflict`` ballots added
    (to options or null)."""
    votes = [n for _, n in c.votes]
    k = len(votes)
    for taken in itertools.product(*(range(min(v, c.conflict) + 1) for v in votes)):
        if sum(taken) > c.conflict:
            continue
        base = [v - t for v, t in zip(votes, taken)]
        for added in itertools.product(range(c.swing + 1), repeat=k + 1):  # the last is null
            if sum(added) > c.swing:
                continue
            final = tuple((code, b + a) for (code, _), b, a in zip(c.votes, base, added))
            yield Counts(final, c.ballots_cast - sum(taken) + sum(added), c.registered_all)


def verdict(result: dict) -> tuple:
    """What decided promises cannot change: the status, the winners, who is in the runoff (not their order),
    the seats."""
    return result["status"] if result["status"] != "decided" else "leading", result["winners"], \
        sorted(result["runoff"]), result["seats"]


RULES = [Rule(), Rule("majority"), Rule("majority", runoff_count=3),
         Rule("threshold", threshold_percent="45", lead_percent="10", lead_threshold_percent="40"),
         Rule("threshold", threshold_percent="40", lead_percent="10"),
         Rule("referendum"), Rule("referendum", quorum_percent="50"),
         Rule("referendum", approval_percent="60", approval_quorum_percent="25"),
         Rule("dhondt", seats=3), Rule("sainte_lague", seats=4, seat_threshold_percent="20"),
         Rule("hare", seats=3), Rule("droop", seats=2)]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(RULES), st.lists(st.integers(0, 12), min_size=2, max_size=3), st.integers(0, 8),
       st.integers(0, 3), st.integers(0, 2), st.integers(0, 30))
def test_decided_is_never_reported_when_some_completion_changes_the_outcome(rule, votes, null, remaining,
                                                                              conflict, spare):
    if rule.name == "referendum":
        votes = votes[:2]
    conflict = min(conflict, sum(votes))
    cast = sum(votes) + null
    c = Counts(tuple((f"O{i}", v) for i, v in enumerate(votes)), cast, cast + remaining + spare, remaining,
               conflict)
    now = outcome(rule, c)
    if now["decided"]:
        for final in completions(c):
            assert verdict(outcome(rule, final)) == verdict(now), (rule, c, final)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(RULES), st.lists(st.integers(1, 40), min_size=2, max_size=4))
def test_a_complete_count_without_ties_is_decided(rule, votes):
    if rule.name == "referendum":
        votes = votes[:2]
    if len(set(votes)) < len(votes):
        return  # ties at the edge of a runoff or a seat are left undecided by design
    c = Counts(tuple((f"O{i}", v) for i, v in enumerate(votes)), sum(votes), 2 * sum(votes))
    assert outcome(rule, c)["decided"] is True


# -- Swiss linked questions ---------------------------------------------------------------------------

def swiss(yes: int, no: int) -> Counts:
    return Counts((("JA", yes), ("NEIN", no)), yes + no, 2 * (yes + no))


def test_both_accepted_the_tie_breaker_decides():
    from escrutinio.domain.swiss import group_outcome, tie_breaker
    rule = Rule("referendum", kind="initiative", group="G")
    initiative = outcome(rule, swiss(5_200, 4_800))
    counter = outcome(rule, swiss(6_100, 3_900))
    breaker = tie_breaker(Rule("tie_breaker"), Counts((("INI", 4_300), ("GEG", 5_700)), 10_000, 20_000), [])
    result = group_outcome("G", ("INI", initiative), ("GEG", counter), ("STICH", breaker))
    assert (result["status"], result["winners"], result["both_accepted"], result["decided"]) == \
        ("accepted", ["GEG"], True, True)


def test_only_one_accepted_comes_into_force_whatever_the_tie_breaker_says():
    from escrutinio.domain.swiss import group_outcome, tie_breaker
    rule = Rule("referendum")
    breaker = tie_breaker(Rule("tie_breaker"), Counts((("INI", 3), ("GEG", 7)), 10, 20), [])
    result = group_outcome("G", ("INI", outcome(rule, swiss(60, 40))), ("GEG", outcome(rule, swiss(40, 60))),
                           ("STICH", breaker))
    assert result["winners"] == ["INI"]
    none = group_outcome("G", ("INI", outcome(rule, swiss(40, 60))), ("GEG", outcome(rule, swiss(49, 51))),
                         ("STICH", breaker))
    assert (none["status"], none["winners"]) == ("rejected", [])


def test_double_majority_needs_the_cantons():
    from escrutinio.domain.swiss import double_majority
    rule = Rule("referendum", double_majority=True)
    # The people accept 55 %, but cantons of weight 2 + 1 of 6 accept: not more than half.
    cantons = [("ZH", 2, swiss(70, 30)), ("BE", 2, swiss(45, 55)), ("BS", 1, swiss(60, 40)), ("BL", 1, swiss(40, 60))]
    result = double_majority(rule, swiss(550, 450), cantons)
    assert (result["status"], result["cantons"]["accepted_weight"], result["cantons"]["total_weight"]) == \
        ("rejected", 3, 6)
    cantons[1] = ("BE", 2, swiss(51, 49))
    assert double_majority(rule, swiss(550, 450), cantons)["status"] == "accepted"


def test_tie_breaker_people_and_cantons_disagree_the_larger_sum_of_shares_wins():
    from escrutinio.domain.swiss import tie_breaker
    # People: INI 52 %, GEG 48 %. Cantons: GEG in weight 4 of 6 (66.7 %), INI 2 of 6 (33.3 %).
    # Sums: INI 0.52 + 0.333 = 0.853, GEG 0.48 + 0.667 = 1.147: GEG.
    def pair(a, b):
        return Counts((("INI", a), ("GEG", b)), a + b, 2 * (a + b))
    cantons = [("ZH", 2, pair(70, 30)), ("BE", 2, pair(40, 60)), ("LU", 2, pair(45, 55))]
    result = tie_breaker(Rule("tie_breaker", double_majority=True), pair(520, 480), cantons)
    assert result["winners"] == ["GEG"]


def _total(parts: list[Counts]) -> Counts:
    votes = tuple((code, sum(p.votes[i][1] for p in parts)) for i, (code, _) in enumerate(parts[0].votes))
    return Counts(votes, sum(p.ballots_cast for p in parts), sum(p.registered_all for p in parts),
                  sum(p.remaining for p in parts), sum(p.conflict for p in parts))


def _canton_completions(c: Counts):
    """Every final state of one canton with only uncounted tables left (no conflicts)."""
    for yes, no, null in itertools.product(range(c.remaining + 1), repeat=3):
        if yes + no + null <= c.remaining:
            yield Counts(((c.votes[0][0], c.votes[0][1] + yes), (c.votes[1][0], c.votes[1][1] + no)),
                         c.ballots_cast + yes + no + null, c.registered_all)


canton = st.tuples(st.integers(0, 6), st.integers(0, 6), st.integers(0, 2), st.integers(1, 2))


@settings(max_examples=150, deadline=None)
@given(st.lists(canton, min_size=1, max_size=3), st.sampled_from(["double_majority", "tie_breaker"]))
def test_double_majority_and_tie_breaker_decided_never_change(cantons, which):
    from escrutinio.domain.swiss import double_majority, tie_breaker
    codes = ("JA", "NEIN") if which == "double_majority" else ("INI", "GEG")
    parts = [Counts(((codes[0], y), (codes[1], n)), y + n, y + n + r + 3, r) for y, n, r, _ in cantons]
    weights = [w for *_, w in cantons]
    rule = Rule("referendum" if which == "double_majority" else "tie_breaker", double_majority=True)
    judge = double_majority if which == "double_majority" else tie_breaker

    def run(states):
        return judge(rule, _total(list(states)), [(f"K{i}", w, s) for i, (w, s) in enumerate(zip(weights, states))])

    now = run(parts)
    if not now["decided"]:
        return
    for finals in itertools.product(*(list(_canton_completions(p)) for p in parts)):
        after = run(finals)
        assert (after["status"] if after["status"] != "decided" else "leading", after["winners"]) == \
            (now["status"] if now["status"] != "decided" else "leading", now["winners"]), finals


def test_the_runoff_example_of_the_format_page():
    # docs/formats/election.md: Bea (2,159) and Ciro (1,900) are 259 apart, so the pair holds up to 258 ballots.
    race = (3_329, 2_159, 1_900, 1_612, 1_000)
    assert outcome(Rule("majority"), counts(*race, remaining=2_000))["decided"] is False
    assert outcome(Rule("majority"), counts(*race, remaining=259))["decided"] is False
    held = outcome(Rule("majority"), counts(*race, remaining=258))
    assert (held["status"], held["runoff"], held["decided"]) == ("runoff", ["O1", "O2"], True)
