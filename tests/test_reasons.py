"""Quarantine reasons: the stored English sentence is unchanged (the log's bytes), and reads back as its code and
parameters for every language."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from escrutinio.domain import reasons


def _old_sentences(parts, cast, registered, extra, table, blank):
    """The sentences exactly as the rules wrote them before reasons had codes (an independent copy)."""
    found = []
    what = "options + null + blank" if blank else "options + null"
    found.append(f"{what} = {parts:,} but ballots cast = {cast:,} (difference {parts - cast:+,})")
    extra_text = f" + {extra} allowed extra" if extra else ""
    found.append(f"ballots cast {cast:,} exceed the {registered:,} registered voters{extra_text} of table {table}")
    return found


counts = st.integers(min_value=0, max_value=10**9)
tables = st.text(alphabet="0123456789-ABCZ", min_size=1, max_size=20)


@given(counts, counts, counts, st.integers(min_value=0, max_value=50), tables, st.booleans())
def test_sentences_are_the_stored_bytes_and_read_back(parts, cast, registered, extra, table, blank):
    old_sum, old_over = _old_sentences(parts, cast, registered, extra, table, blank)
    sum_code = reasons.SUM_MISMATCH_BLANK if blank else reasons.SUM_MISMATCH
    assert reasons.sentence(sum_code, parts=parts, cast=cast, difference=parts - cast) == old_sum
    over_code = reasons.OVER_REGISTER_EXTRA if extra else reasons.OVER_REGISTER
    params = dict(cast=cast, registered=registered, table=table, **({"extra": extra} if extra else {}))
    assert reasons.sentence(over_code, **params) == old_over
    assert reasons.parse(old_sum) == (sum_code, {"parts": parts, "cast": cast, "difference": parts - cast})
    assert reasons.parse(old_over) == (over_code, params)


def test_a_sentence_typed_by_an_operator_is_no_code():
    assert reasons.parse("the paper acta was recounted by the board") is None
