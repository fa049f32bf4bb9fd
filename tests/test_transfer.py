"""Where the votes went: the Duncan–Davis bounds always hold the truth; Goodman's regression finds a
transfer that is the same in every area."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from escrutinio.domain import transfer


@st.composite
def nights(draw):
    """Per area, a true table of how many people went from each earlier category to each of tonight's."""
    rows = draw(st.integers(2, 4))
    columns = draw(st.integers(2, 4))
    units = draw(st.integers(1, 12))
    flows = draw(st.lists(st.lists(st.lists(st.integers(0, 60), min_size=columns, max_size=columns),
                                   min_size=rows, max_size=rows), min_size=units, max_size=units))
    return np.array(flows, dtype=np.int64)


@given(nights())
@settings(max_examples=300, deadline=None)
def test_the_bounds_contain_the_true_transfer(flows):
    before, after = flows.sum(axis=2), flows.sum(axis=1)  # each unit's margins: all the bounds may see
    low, high = transfer.bounds(before, after)
    truth = flows.sum(axis=0)
    assert (low <= truth).all() and (truth <= high).all()


@given(nights())
@settings(max_examples=100, deadline=None)
def test_the_bounds_are_tight_for_one_unit_with_one_earlier_group(flows):
    one = flows[:1, :1, :]  # everyone was in one group: where they went is known exactly
    low, high = transfer.bounds(one.sum(axis=2), one.sum(axis=1))
    assert np.array_equal(low, one[0]) and np.array_equal(high, one[0])


def test_goodman_recovers_a_transfer_that_is_the_same_everywhere():
    rng = np.random.default_rng(1)
    true = np.array([[0.6, 0.1, 0.3], [0.05, 0.85, 0.1], [0.2, 0.2, 0.6]])
    shares = rng.dirichlet([2, 2, 2], 400)
    before = np.round(shares * 500).astype(np.int64) * 20  # multiples of 20: the flows are whole numbers
    after = before @ true  # every area moves alike
    beta = transfer.goodman(before, after)
    assert np.allclose(beta, true, atol=1e-9)
    result = transfer.estimate(("a", "b", "c"), ("x", "y", "z"), before, np.rint(after).astype(np.int64))
    table = result.as_dict()
    assert table["a"]["to"]["x"]["estimate_percent"] == 60.0
    low, high = table["a"]["to"]["x"]["interval_percent"]
    assert low <= 60.0 <= high


def test_common_base_adds_did_not_vote_on_the_larger_register():
    before, after = transfer.common_base(np.array([[50, 30]]), np.array([100]), np.array([[40, 20]]),
                                         np.array([110]))
    assert before.tolist() == [[50, 30, 30]] and after.tolist() == [[40, 20, 50]]


@given(nights())
@settings(max_examples=50, deadline=None)
def test_the_estimate_is_a_share_of_each_group(flows):
    before, after = flows.sum(axis=2), flows.sum(axis=1)
    beta = transfer.goodman(before, after)
    assert (beta >= 0).all() and np.allclose(beta.sum(axis=1), 1)
