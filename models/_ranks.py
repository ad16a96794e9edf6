"""Row-wise percentiles and z-scores within groups or against a reference (private).

Used by :mod:`models.uncertainty` on ``(draws, areas)`` matrices: the same
mid-rank percentiles and population z-scores as :mod:`models.stacking`, for
every draw and every group at once (no Python loop over gemeenten).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["Scope"]


class Scope:
    """Percentiles and z-scores within groups (``groups``), or against a reference.

    Parameters
    ----------
    groups
        Group label per area (column); ``None``: one group.
    """

    def __init__(self, groups: np.ndarray | None):
        labels = pd.Series(groups if groups is not None else np.zeros(0)).astype(object)
        codes, _ = pd.factorize(labels.fillna("?"), sort=True)
        self.codes = codes.astype(np.int64)
        self.perm = np.argsort(self.codes, kind="stable")  # areas by group
        sorted_codes = self.codes[self.perm]
        self.starts = np.flatnonzero(np.r_[True, np.diff(sorted_codes) != 0])
        self.sorted_codes = sorted_codes
        # Position of each group's first area in the group-sorted order.
        self.group_start = np.repeat(self.starts, np.diff(np.r_[self.starts, codes.size]))

    def _per_group(self, values: np.ndarray) -> np.ndarray:
        """Sum per group of ``values`` (rows x areas), spread back to every area."""
        if not self.starts.size:
            return values
        sums = np.add.reduceat(values[:, self.perm], self.starts, axis=1)
        return sums[:, self.codes]

    def pct(self, x: np.ndarray, ref: np.ndarray | None = None) -> np.ndarray:
        """Mid-rank percentile (0-100) of each value among its row and group (or ``ref``)."""
        if ref is not None:
            ref = np.sort(ref[np.isfinite(ref)])
            if not ref.size:
                return np.full(x.shape, np.nan)
            below = np.searchsorted(ref, x, side="left")
            upto = np.searchsorted(ref, x, side="right")
            return np.where(np.isfinite(x), 50.0 * (below + upto) / ref.size, np.nan)
        finite = np.isfinite(x)
        m, n = x.shape
        if n == 0:
            return np.full(x.shape, np.nan)
        filled = np.where(finite, x, np.inf)
        # Sort each row by group, then value, with one float key: the group code plus
        # the value scaled into [0, 0.5] (missing: 0.75). Every row then has the same
        # group blocks. Equal values get equal keys, so ties stay together.
        lo = np.min(filled, axis=1, keepdims=True)
        hi = np.max(np.where(finite, x, -np.inf), axis=1, keepdims=True)
        lo = np.where(np.isfinite(lo), lo, 0.0)
        span = np.where(hi > lo, hi - lo, 1.0)
        scaled = np.where(finite, (np.where(finite, x, lo) - lo) / span * 0.5, 0.75)
        order = np.argsort(self.codes[None, :] + scaled, axis=1)
        xs = np.take_along_axis(filled, order, axis=1)
        pos = np.broadcast_to(np.arange(n), x.shape)
        new_group = np.r_[True, self.sorted_codes[1:] != self.sorted_codes[:-1]]
        starts = np.ones(x.shape, dtype=bool)
        starts[:, 1:] = (xs[:, 1:] != xs[:, :-1]) | new_group[None, 1:]
        ends = np.ones(x.shape, dtype=bool)
        ends[:, :-1] = starts[:, 1:]
        first = np.maximum.accumulate(np.where(starts, pos, 0), axis=1)
        last = np.minimum.accumulate(np.where(ends, pos, n)[:, ::-1], axis=1)[:, ::-1]
        midrank = (first + last) / 2.0 - self.group_start[None, :] + 1.0
        rank = np.empty(x.shape)
        np.put_along_axis(rank, order, midrank, axis=1)
        count = self._per_group(finite.astype(float))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(finite, 100.0 * (rank - 0.5) / count, np.nan)

    def z(self, x: np.ndarray, ref: np.ndarray | None = None) -> np.ndarray:
        """z-score of each value within its row and group (0 where the spread is 0)."""
        if ref is not None:
            ref = ref[np.isfinite(ref)]
            if not ref.size:
                return np.full(x.shape, np.nan)
            std = ref.std()
            return (x - ref.mean()) / std if std > 0 else np.where(np.isfinite(x), 0.0, np.nan)
        finite = np.isfinite(x)
        count = self._per_group(finite.astype(float))
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = self._per_group(np.where(finite, x, 0.0)) / count
            dev = np.where(finite, x - mean, 0.0)
            std = np.sqrt(self._per_group(dev**2) / count)
            out = np.where(std > 0, dev / std, 0.0)
        return np.where(finite, out, np.nan)
