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
  each earlier group that went to each option; they are kept between 0 and 1
  and summing to 1 per group (least squares on the simplex), since plain
  Goodman readily gives "-55 % of abstainers voted Sí". It assumes those
  fractions are the same in every area, which is never quite true; its
  interval comes from resampling the areas (bootstrap) and says nothing about
  that assumption. Where it falls outside the bounds, the bounds are right.

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


def goodman(before: np.ndarray, after: np.ndarray, iterations: int = 5000) -> np.ndarray:
    """Goodman's regression: fractions (rows: earlier categories, columns: this night's), least squares
    of this night's shares on the earlier shares across units, weighted by unit size, no intercept, each
    row kept a share of its group (between 0 and 1, summing to 1) so that no fraction is impossible.
    Solved by accelerated projected gradient descent (rows x columns unknowns: a small problem)."""
    x, y, w = _shares(before, after)
    return _simplex_least_squares(((x * w[:, None]).T @ x)[None], ((x * w[:, None]).T @ y)[None], iterations)[0]


def _shares(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    base = before.sum(axis=1).astype(float)
    keep = base > 0
    return before[keep] / base[keep, None], after[keep] / base[keep, None], base[keep]


def _simplex_least_squares(gram: np.ndarray, cross: np.ndarray, iterations: int) -> np.ndarray:
    """For each problem b: argmin ||X B - Y||² over B with rows on the simplex, from XᵀX (gram[b]) and
    XᵀY (cross[b]); every problem at once (FISTA: accelerated projected gradient)."""
    problems, rows, columns = cross.shape
    step = 1.0 / np.maximum(np.linalg.eigvalsh(gram).max(axis=1), 1e-12)[:, None, None]
    beta = np.full((problems, rows, columns), 1.0 / columns)
    ahead, t = beta.copy(), 1.0
    for _ in range(iterations):
        following = _onto_simplex(ahead - step * (gram @ ahead - cross))
        t_next = (1 + np.sqrt(1 + 4 * t * t)) / 2
        ahead = following + (t - 1) / t_next * (following - beta)
        beta, t = following, t_next
    return beta


def _onto_simplex(v: np.ndarray) -> np.ndarray:
    """Each row (last axis) of ``v`` projected onto {x >= 0, sum x = 1} (Euclidean; sort-based)."""
    u = -np.sort(-v, axis=-1)
    cumulative = np.cumsum(u, axis=-1) - 1
    index = np.arange(1, v.shape[-1] + 1)
    rho = (u - cumulative / index > 0).sum(axis=-1, keepdims=True)
    theta = np.take_along_axis(cumulative, rho - 1, axis=-1) / rho
    return np.maximum(v - theta, 0)


def bootstrap(before: np.ndarray, after: np.ndarray, seed: int, resamples: int,
              iterations: int = 5000) -> np.ndarray:
    """Goodman's estimate on ``resamples`` resamples of the units (with replacement), all solved at once."""
    x, y, w = _shares(before, after)
    n = len(x)
    rng = np.random.default_rng(seed)
    counts = np.array([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(resamples)], dtype=float)
    weighted = counts * w
    gram = np.einsum("bn,nj,nk->bjk", weighted, x, x)
    cross = np.einsum("bn,nj,nk->bjk", weighted, x, y)
    return _simplex_least_squares(gram, cross, iterations)


def estimate(rows: tuple[str, ...], columns: tuple[str, ...], before: np.ndarray, after: np.ndarray,
             seed: int = 0, resamples: int = BOOTSTRAP) -> Transfer:
    """Bounds and Goodman's estimate with a bootstrap interval over units (seeded: the same every time)."""
    low, high = bounds(before, after)
    beta = goodman(before, after)
    draws = bootstrap(before, after, seed, resamples) if len(before) else beta[None]
    return Transfer(rows, columns, before.sum(axis=0), low, high, beta,
                    np.percentile(draws, 2.5, axis=0), np.percentile(draws, 97.5, axis=0), len(before))
