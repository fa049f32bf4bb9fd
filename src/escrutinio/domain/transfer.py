"""Where the votes went: the movement of voters between two elections, estimated from areas.

Only totals per area are known for each election; who moved where inside an
area is not. Two estimates, side by side:

* **Bounds** (Duncan and Davis, 1953), which hold without any assumption. In
  an area of N people, of whom a voted for earlier option j and b for this
  night's option k, between max(0, a + b − N) and min(a, b) of them did both.
  Summing over areas gives exact, whole-number bounds for the country; they
  are wide where areas are mixed and narrow where areas are one-sided.
* **Goodman's ecological regression** (1953) as the point estimate: each
  of this night's shares is regressed on the earlier shares across areas
  (weighted by size, no intercept), so the coefficients are the fractions of
  each earlier group that went to each option. It assumes those fractions
  are the same in every area, which is never quite true; its interval comes
  from resampling the areas (bootstrap) and says nothing about that
  assumption. Where it falls outside the bounds, the bounds are right.

Rows and columns include "did not vote". Both elections are set on a common
base per area, N = the larger of the two registers, so "did not vote" also
holds people not on that election's register (new voters, those who left).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DID_NOT_VOTE = "did_not_vote"
NULL = "null"
BOOTSTRAP = 200


@dataclass(frozen=True)
class Transfer:
    rows: tuple[str, ...]      # earlier categories
    columns: tuple[str, ...]   # this night's categories
    row_totals: np.ndarray     # voters per earlier category, over the units used
    low: np.ndarray            # whole numbers of voters, rows x columns (Duncan–Davis)
    high: np.ndarray
    estimate: np.ndarray       # fractions of each row (Goodman), rows x columns
    estimate_low: np.ndarray   # 2.5 and 97.5 percentiles over bootstrap resamples of units
    estimate_high: np.ndarray
    units: int

    def as_dict(self) -> dict:
        """Per earlier category, per this night's category: bounds and estimate, in percent of the row."""
        out = {}
        for j, row in enumerate(self.rows):
            total = int(self.row_totals[j])
            cells = {}
            for k, column in enumerate(self.columns):
                cells[column] = {
                    "bounds_voters": [int(self.low[j, k]), int(self.high[j, k])],
                    "bounds_percent": [_pct(self.low[j, k], total), _pct(self.high[j, k], total)],
                    "estimate_percent": round(100 * float(self.estimate[j, k]), 1),
                    "interval_percent": [round(100 * float(self.estimate_low[j, k]), 1),
                                         round(100 * float(self.estimate_high[j, k]), 1)],
                    "within_bounds": bool(self.low[j, k] <= self.estimate[j, k] * total + 0.5
                                          and self.estimate[j, k] * total - 0.5 <= self.high[j, k]),
                }
            out[row] = {"voters": total, "to": cells}
        return out


def _pct(part: int, whole: int) -> float | None:
    return None if whole <= 0 else round(100 * int(part) / whole, 1)


def common_base(earlier: np.ndarray, earlier_registered: np.ndarray, later: np.ndarray,
                later_registered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Both elections' counts per unit with a "did not vote" column, on the base N = max of the registers.

    ``earlier`` and ``later`` are units x categories of voters (options, null); the result adds
    N minus the voters as the last column, so every row of each sums to N.
    """
    base = np.maximum(earlier_registered, later_registered).astype(np.int64)
    before = np.column_stack([earlier, base - earlier.sum(axis=1)]).astype(np.int64)
    after = np.column_stack([later, base - later.sum(axis=1)]).astype(np.int64)
    if (before < 0).any() or (after < 0).any():
        raise ValueError("a unit has more voters than its register")
    return before, after


def bounds(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Duncan–Davis bounds, summed over units: the fewest and most voters who can have gone from j to k.

    ``before`` and ``after`` are units x categories with equal row sums (the same people).
    """
    base = before.sum(axis=1)
    if not np.array_equal(base, after.sum(axis=1)):
        raise ValueError("each unit must hold the same people in both elections")
    a = before[:, :, None].astype(np.int64)
    b = after[:, None, :].astype(np.int64)
    low = np.maximum(0, a + b - base[:, None, None]).sum(axis=0)
    high = np.minimum(a, b).sum(axis=0)
    return low, high


def goodman(before: np.ndarray, after: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Goodman's regression: fractions (rows: earlier categories, columns: this night's), least squares
    of this night's shares on the earlier shares across units, weighted by unit size, no intercept."""
    base = before.sum(axis=1).astype(float)
    keep = base > 0
    x = before[keep] / base[keep, None]
    y = after[keep] / base[keep, None]
    w = np.sqrt(base[keep] if weights is None else weights[keep])
    beta, *_ = np.linalg.lstsq(x * w[:, None], y * w[:, None], rcond=None)
    return beta


def estimate(rows: tuple[str, ...], columns: tuple[str, ...], before: np.ndarray, after: np.ndarray,
             seed: int = 0, resamples: int = BOOTSTRAP) -> Transfer:
    """Bounds and Goodman's estimate with a bootstrap interval over units (seeded: the same every time)."""
    low, high = bounds(before, after)
    beta = goodman(before, after)
    rng = np.random.default_rng(seed)
    n = len(before)
    draws = np.array([goodman(before[pick], after[pick]) for pick in
                      (rng.integers(0, n, n) for _ in range(resamples))]) if n else np.zeros((1, *beta.shape))
    return Transfer(rows, columns, before.sum(axis=0), low, high, beta,
                    np.percentile(draws, 2.5, axis=0), np.percentile(draws, 97.5, axis=0), n)
