"""Gemeenten onto the last year's boundaries: merger sums and split gemeenten (Haaren).

Used by :func:`models.harmonise_series.harmonise_series` for the gemeente rows: counts
of merged gemeenten are summed onto the successor and rates recomputed
(:func:`models.harmonise.merge_gemeenten`); a split gemeente is shared out over its
successors by area or population (:func:`models.harmonise.interpolate_areas`) and added
to them. A year in which a part (or an existing successor) is absent is refused.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from models._harmonise_frames import (
    Geometries,
    area_info,
    geometry_of,
    identity,
    long_rows,
    wide_frame,
)
from models.harmonise import MIN_COVERAGE, coverage, interpolate_areas, merge_gemeenten

__all__ = ["harmonise_gemeenten"]


def harmonise_gemeenten(part, target, geometries, population, mergers, splits, kw):
    """Gemeente rows: identity, merger sums, and areal interpolation of split gemeenten.

    Returns the rows and ``(code, level, year, reason)`` of what was refused.
    """
    info = area_info(part[part["year"] == target])
    seen = part.groupby("code")["year"].min()
    outs, refused = [identity(part[part["year"] >= target])], []
    for year, rows_y in part[part["year"] < target].groupby("year"):
        merge = {o: s for o, (y, s) in mergers.items() if year < y <= target}
        split = {o: v for o, v in splits.items() if year < v[0] <= target}
        succ = set(merge.values()) | {s for _, ss in split.values() for s in ss}
        here = set(rows_y["code"])
        # everything but the successors as published; the merged-away gemeenten keep their
        # rows too, with the reason they have no trend (set in _finish)
        outs.append(identity(rows_y[~rows_y["code"].isin(succ & set(info.index))]))
        if not succ & set(info.index):
            continue  # (a successor without rows in the target year stays as published)
        wide = wide_frame(rows_y, **kw)
        values = wide.values
        pieces, method, ref = _split_pieces(
            values, split, year, target, geometries, population, wide
        )
        refused += ref
        # a successor that already existed must be in the year's rows too (Vught, Amsterdam);
        # a new code (Eemsdelta) is only the sum of its parts
        split_succ = {s for _, ss in split.values() for s in ss}
        existed = {
            s
            for s in succ
            if s in split_succ
            or (s in seen.index and seen[s] <= year)
            or any(s in _codes(geometries, g) for g in geometries if g <= year)
        }
        expected = set(merge) | existed
        absent = sorted(expected - here)
        mapping = {**merge, **{p: p.split(">")[1] for p in pieces.index}}
        mapping.update({s: s for s in succ})
        merged = merge_gemeenten(
            pd.concat(
                [values, pieces.drop(columns=["harmonised", "harmonise_method"], errors="ignore")]
            ).reindex(columns=values.columns),
            mapping,
            counts=wide.counts,
            rates=wide.rates,
        )
        merged = merged[merged.index.isin(info.index)]
        split_targets = {p.split(">")[1] for p in pieces.index}
        merged["harmonise_method"] = [
            method if c in split_targets else "samenvoeging" for c in merged.index
        ]
        lacking: dict[str, list[str]] = {}
        for code in absent:
            lacking.setdefault(merge.get(code, code), []).append(code)
        for code in sorted(set(lacking) & set(info.index)):
            refused.append(
                (
                    code,
                    year,
                    f"gemeente(n) {', '.join(lacking[code])} ontbreken in de reeks van {year}; "
                    "niet samen te voegen",
                )
            )
        bad = set(lacking) | {r[0] for r in ref}
        merged = merged[~merged.index.isin(bad)]
        # a refused successor keeps its own rows of this year, as published, with the reason
        outs.append(identity(rows_y[rows_y["code"].isin(bad)]))
        merged["coverage"] = np.nan
        outs.append(long_rows(merged.drop(columns="parts"), wide.meta, info, values.columns))
    refused = [(c, "gemeente", y, r) for c, y, r in refused]
    for code, (year, successor) in {**mergers, **splits}.items():
        if year <= target and code in seen.index:
            refused.append(
                (
                    code,
                    "gemeente",
                    year,
                    f"gemeente bestaat niet meer in {target}; opgegaan in {_names(successor)}",
                )
            )
    return pd.concat(outs, ignore_index=True), refused


def _codes(geometries: Geometries, year: int) -> set[str]:
    frame = geometry_of(geometries, year, "gemeente")
    return set() if frame is None else set(frame.index)


def _names(successor) -> str:
    return successor if isinstance(successor, str) else ", ".join(successor)


def _split_pieces(values, split, year, target, geometries, population, wide):
    """The parts of each split gemeente that go to each successor, as pseudo-gemeenten."""
    new = geometry_of(geometries, target, "gemeente")
    parts, refused, method = [], [], "bevolking" if population is not None else "oppervlakte"
    for code, (gone, successors) in split.items():
        if code not in values.index:
            continue
        # the split gemeente's own boundaries: the latest year before it was split
        before = sorted((y for y in geometries if y < gone), reverse=True)
        old = next(
            (
                g
                for g in (geometry_of(geometries, y, "gemeente") for y in before)
                if g is not None and code in g.index
            ),
            None,
        )
        if old is None or new is None or not set(successors) <= set(new.index):
            text = f"gemeente {code} is gesplitst; geen grenzen om de delen te verdelen"
            refused += [(s, year, text) for s in successors]
            continue
        source = gpd.GeoDataFrame(
            values.loc[[code]].reset_index(drop=True),
            geometry=old.loc[[code]].geometry.to_numpy(),
            crs=old.crs,
        )
        covered = coverage(new.loc[list(successors)], old.loc[[code]])[0]
        if covered < MIN_COVERAGE:
            text = f"gemeente {code} is gesplitst; de opvolgers bedekken maar {covered:.1%}"
            refused += [(s, year, text) for s in successors]
            continue
        est = interpolate_areas(
            source,
            new.loc[list(successors)],
            counts=wide.counts,
            rates=wide.rates,
            population=population,
            min_coverage=0.0,
            complete=True,  # Haaren went whole to its successors
        )
        est.index = [f"{code}>{s}" for s in successors]
        parts.append(est[[*values.columns]])
    pieces = pd.concat(parts) if parts else pd.DataFrame(columns=values.columns)
    return pieces, method, refused
