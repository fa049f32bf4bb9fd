"""Whole-number apportionment for the synthetic night (largest remainders)."""

from __future__ import annotations

import numpy as np


def apportion(total: int, weights: np.ndarray, caps: np.ndarray | None = None) -> np.ndarray:
    """Split ``total`` into whole numbers proportional to ``weights``, each at most its cap."""
    weights = np.asarray(weights, dtype=float)
    if caps is None:
        caps = np.full(len(weights), total, dtype=np.int64)
    if total > caps.sum():
        raise ValueError(f"cannot fit {total} into caps summing to {caps.sum()}")
    share = weights / weights.sum() * total
    result = np.minimum(np.floor(share).astype(np.int64), caps)
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    while (deficit := total - int(result.sum())) > 0:
        room = order[result[order] < caps[order]]
        result[room[:deficit]] += 1
    return result


def fit_matrix(rows: np.ndarray, shares: np.ndarray, column_totals: list[int]) -> np.ndarray:
    """Whole-number matrix with the given row sums and column totals, close to ``rows × shares``.

    Iterative proportional fitting on the real matrix, then each column but
    the last apportioned within what its rows have left; the last column takes
    the rest of each row, so both margins hold exactly.
    """
    if int(rows.sum()) != sum(column_totals):
        raise ValueError("row sums and column totals differ")
    x = rows[:, None] * shares
    targets = np.array(column_totals, dtype=float)
    for _ in range(200):
        x *= targets / x.sum(axis=0)
        x *= (rows / np.maximum(x.sum(axis=1), 1e-12))[:, None]
    out = np.zeros_like(x, dtype=np.int64)
    left = rows.astype(np.int64).copy()
    for j, total in enumerate(column_totals[:-1]):
        out[:, j] = apportion(total, np.maximum(x[:, j], 1e-9), left)
        left -= out[:, j]
    out[:, -1] = left
    return out
