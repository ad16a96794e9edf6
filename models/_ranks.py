"""Row-wise percentiles and z-scores within groups or against a reference (private).

Used by :mod:`models.uncertainty` on ``(draws, areas)`` matrices: the same
mid-rank percentiles and population z-scores as :mod:`models.stacking`, for
every draw at once.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["Scope"]


class Scope:
    """Percentiles and z-scores within groups, or against a fixed reference."""

    def __init__(self, groups: np.ndarray | None, reference: Mapping[str, np.ndarray] | None):
        self.reference = reference
        if groups is not None:
            codes, _ = pd.factorize(pd.Series(groups).astype(object).fillna("?"), sort=True)
            order = np.argsort(codes, kind="stable")
            bounds = np.flatnonzero(np.diff(codes[order])) + 1
            self.blocks = np.split(order, bounds)
        else:
            self.blocks = []

    def pct(self, x: np.ndarray, ref: np.ndarray | None = None) -> np.ndarray:
        """Mid-rank percentile (0-100) of each value, row by row."""
        out = np.full(x.shape, np.nan)
        if ref is not None:
            ref = np.sort(ref[np.isfinite(ref)])
            if ref.size:
                below = np.searchsorted(ref, x, side="left")
                upto = np.searchsorted(ref, x, side="right")
                out = np.where(np.isfinite(x), 50.0 * (below + upto) / ref.size, np.nan)
            return out
        from scipy.stats import rankdata  # here: the app's first map must not wait for scipy.stats

        for idx in self.blocks:
            sub = x[:, idx]
            finite = np.isfinite(sub)
            count = finite.sum(axis=1, keepdims=True)
            rank = rankdata(np.where(finite, sub, np.inf), axis=1)
            with np.errstate(divide="ignore", invalid="ignore"):
                out[:, idx] = np.where(finite, 100.0 * (rank - 0.5) / count, np.nan)
        return out

    def z(self, x: np.ndarray, ref: np.ndarray | None = None) -> np.ndarray:
        """z-score of each value, row by row (0 where the spread is 0)."""
        if ref is not None:
            ref = ref[np.isfinite(ref)]
            if not ref.size:
                return np.full(x.shape, np.nan)
            std = ref.std()
            return (x - ref.mean()) / std if std > 0 else np.where(np.isfinite(x), 0.0, np.nan)
        out = np.full(x.shape, np.nan)
        for idx in self.blocks:
            sub = x[:, idx]
            finite = np.isfinite(sub)
            count = finite.sum(axis=1, keepdims=True)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(finite, sub, 0.0).sum(axis=1, keepdims=True) / count
                dev = np.where(finite, sub - mean, 0.0)
                std = np.sqrt((dev**2).sum(axis=1, keepdims=True) / count)
                out[:, idx] = np.where(std > 0, dev / std, 0.0)
        return np.where(np.isfinite(x), out, np.nan)
