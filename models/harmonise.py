"""Harmonising area values onto later boundaries: areal and population-weighted interpolation.

The building blocks of boundary harmonisation (issue 12, "boundary changes, never
silently"); :mod:`models.harmonise_series` applies them to the long series frame.

- :func:`interpolate_areas` moves the values of source areas (the boundaries of one
  year) onto target areas (the boundaries of a later year) with
  :func:`tobler.area_weighted.area_interpolate`. Counts are *extensive* (a source's
  count is split over the targets in proportion to the shared area, or to the
  population living there). Rates are never interpolated as extensive: where every
  contributing source has a count and a rate, the denominator (``count * 1000 / rate``
  per 1,000; ``count * 100 / pct`` for a percentage) is interpolated like a count and
  the rate recomputed from the interpolated count and denominator (``herberekend``);
  where a denominator is unknown (a zero or secret value), the rate is interpolated
  as *intensive*, an area- or population-weighted mean (``intensief``). The output
  says which.
- With a ``population`` layer (e.g. CBS 100 m squares as polygons), each piece
  ``source ∩ target`` is weighted by the people living in it instead of its area:
  the pieces come from :func:`geopandas.overlay`, the squares' population is moved
  onto the pieces with tobler, and that population table is handed to tobler as the
  allocation ``table``.
- :func:`coverage` is the share of each target's area covered by source geometry; a
  target below ``min_coverage`` (98 %) gets no value, with a Dutch reason.
- :func:`link_codes` pairs old and new codes whose geometry is the same (IoU ≥ 0.98).
- :func:`merge_gemeenten` sums counts of merged gemeenten onto their successor and
  recomputes rates from the summed denominators.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse

__all__ = [
    "HARMONISE_METHODS",
    "MIN_COVERAGE",
    "LINK_IOU",
    "RateSpec",
    "interpolate_areas",
    "coverage",
    "link_codes",
    "merge_gemeenten",
    "piece_population",
]

#: ``harmonise_method`` values: unchanged, merger table, areal, population-weighted,
#: and an old code linked to a new one with the same geometry.
HARMONISE_METHODS: tuple[str | None, ...] = (
    None,
    "samenvoeging",
    "oppervlakte",
    "bevolking",
    "koppeling",
)
#: A target needs at least this share of its area covered by source geometry.
MIN_COVERAGE = 0.98
#: Old and new geometry count as the same area from this intersection-over-union up.
LINK_IOU = 0.98
#: A value is missing in the target when sources without it cover more than this share.
MISSING_TOLERANCE = 0.01
#: Weight per m² added to every piece so that a source without inhabitants still has
#: (areal) weights; a km² adds a thousandth of a person.
_AREA_FLOOR = 1e-9


@dataclass(frozen=True)
class RateSpec:
    """A rate column and the count it is a rate of.

    Attributes
    ----------
    rate, count
        Column names.
    scale
        1000 for a rate per 1,000, 100 for a percentage.
    """

    rate: str
    count: str
    scale: float


def _check(frame: gpd.GeoDataFrame, columns: Sequence[str], what: str) -> None:
    lacking = [c for c in columns if c not in frame.columns]
    if lacking:
        raise ValueError(f"The {what} lacks the column(s) {', '.join(lacking)}.")
    if frame.crs is None or not frame.crs.is_projected:
        raise ValueError(f"The {what} needs a projected CRS (EPSG:28992), not {frame.crs}.")


def coverage(source: gpd.GeoDataFrame, target: gpd.GeoDataFrame) -> np.ndarray:
    """Share of each target's area covered by the union of the source geometries (0 … 1)."""
    _check(target, [], "target")
    covered = _area_shares(source.assign(_one="ja"), target, ["_one"])
    return covered["_one_ja"].to_numpy(dtype=float)


def _area_shares(
    source: gpd.GeoDataFrame, target: gpd.GeoDataFrame, flags: Sequence[str]
) -> pd.DataFrame:
    """Per target, the share of its area under sources with each flag value (tobler)."""
    from tobler.area_weighted import area_interpolate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tobler warns about its own heuristics
        out = area_interpolate(
            source[[*flags, "geometry"]].reset_index(drop=True),
            target[["geometry"]].reset_index(drop=True),
            categorical_variables=list(flags),
        )
    return pd.DataFrame(out.drop(columns="geometry")).reindex(
        columns=[f"{f}_ja" for f in flags], fill_value=0.0
    )


def piece_population(
    source: gpd.GeoDataFrame,
    target: gpd.GeoDataFrame,
    population: gpd.GeoDataFrame,
    *,
    column: str = "population",
) -> sparse.csr_matrix:
    """People living in each piece ``source[i] ∩ target[j]``, as a sparse table.

    The pieces are :func:`geopandas.overlay` intersections; the population layer's
    ``column`` is moved onto them with tobler's areal interpolation (extensive).
    Every piece also gets ``1e-9`` per m², so a source without inhabitants keeps
    areal weights.

    Returns
    -------
    scipy.sparse.csr_matrix
        Shape ``(len(source), len(target))``, the allocation ``table`` tobler takes.
    """
    from tobler.area_weighted import area_interpolate

    _check(population, [column], "population layer")
    left = gpd.GeoDataFrame({"_i": np.arange(len(source))}, geometry=source.geometry.values)
    right = gpd.GeoDataFrame({"_j": np.arange(len(target))}, geometry=target.geometry.values)
    pieces = gpd.overlay(left, right, how="intersection", keep_geom_type=True)
    if pieces.empty:
        return sparse.csr_matrix((len(source), len(target)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        people = area_interpolate(
            population[[column, "geometry"]].reset_index(drop=True),
            pieces[["geometry"]],
            extensive_variables=[column],
            allocate_total=False,  # squares partly outside every piece keep only their share
        )[column].to_numpy(dtype=float)
    weight = np.nan_to_num(people) + _AREA_FLOOR * pieces.area.to_numpy()
    return sparse.coo_matrix(
        (weight, (pieces["_i"].to_numpy(), pieces["_j"].to_numpy())),
        shape=(len(source), len(target)),
    ).tocsr()


def interpolate_areas(
    source: gpd.GeoDataFrame,
    target: gpd.GeoDataFrame,
    *,
    counts: Sequence[str],
    rates: Sequence[RateSpec] = (),
    population: gpd.GeoDataFrame | None = None,
    population_column: str = "population",
    min_coverage: float = MIN_COVERAGE,
    complete: bool = False,
) -> pd.DataFrame:
    """Values of ``source`` areas estimated on the ``target`` areas.

    Parameters
    ----------
    source
        Areas with the values (one row per area), EPSG:28992; not modified.
    target
        Areas to estimate on, same CRS; not modified.
    counts
        Extensive columns of ``source`` (NaN = secret or missing).
    rates
        Rates of some counts (:class:`RateSpec`); their count must be in ``counts``.
    population
        Optional population polygons (e.g. 100 m squares) with ``population_column``:
        weight by population instead of area.
    min_coverage
        Targets less covered than this by source geometry get no values.
    complete
        The targets take the whole of every source (a split gemeente and its
        successors): a source's part outside them, a generalisation sliver, is shared
        out over the targets. By default that part keeps its share of the source (it
        belongs to areas that were not asked for), so nothing is over-allocated.

    Returns
    -------
    pandas.DataFrame
        Index of ``target``; the count and rate columns, ``coverage``,
        ``harmonise_method`` (``"oppervlakte"`` or ``"bevolking"``), ``harmonised``
        (False where refused), ``<rate>_method`` (``"herberekend"`` or
        ``"intensief"``) and ``reason`` (Dutch, where refused).

    Raises
    ------
    ValueError
        A missing column, a rate of an unknown count, or a CRS that is not projected.
    """
    from tobler.area_weighted import area_interpolate

    rates = list(rates)
    _check(source, [*counts, *(r.rate for r in rates)], "source")
    _check(target, [], "target")
    if source.crs != target.crs:
        raise ValueError(f"Source and target CRS differ: {source.crs} and {target.crs}.")
    unknown = [r.count for r in rates if r.count not in counts]
    if unknown:
        raise ValueError(f"Rates of count(s) not interpolated: {', '.join(unknown)}.")
    tgt = gpd.GeoDataFrame(geometry=target.geometry.values, crs=target.crs)
    extensive, intensive, flags = [], [], ["_cover"]
    columns: dict[str, np.ndarray] = {"_cover": np.full(len(source), "ja")}
    for column in counts:
        values = source[column].to_numpy(dtype=float)
        columns[column] = np.nan_to_num(values)
        columns[f"_nan_{column}"] = np.where(np.isnan(values), "ja", "nee")
        extensive.append(column)
        flags.append(f"_nan_{column}")
    for spec in rates:
        count = source[spec.count].to_numpy(dtype=float)
        rate = source[spec.rate].to_numpy(dtype=float)
        with np.errstate(all="ignore"):
            denominator = count * spec.scale / rate
        known = np.isfinite(denominator) & (denominator > 0)
        columns[f"_den_{spec.rate}"] = np.where(known, denominator, 0.0)
        columns[f"_noden_{spec.rate}"] = np.where(known, "nee", "ja")
        columns[spec.rate] = np.nan_to_num(rate)
        columns[f"_nan_{spec.rate}"] = np.where(np.isnan(rate), "ja", "nee")
        extensive.append(f"_den_{spec.rate}")
        intensive.append(spec.rate)
        flags += [f"_noden_{spec.rate}", f"_nan_{spec.rate}"]
    src = gpd.GeoDataFrame(columns, geometry=source.geometry.values, crs=source.crs)
    shares = _area_shares(src, tgt, flags)
    if not complete:
        # the part of the sources outside every target keeps its share (it went to areas
        # not asked for): one extra target, dropped below
        rest = shapely.difference(
            shapely.union_all(src.geometry.values), shapely.union_all(tgt.geometry.values)
        )
        if not rest.is_empty and rest.area > 0:
            tgt = pd.concat([tgt, gpd.GeoDataFrame(geometry=[rest], crs=tgt.crs)])
            tgt = tgt.reset_index(drop=True)
    table, method = None, "oppervlakte"
    if population is not None:
        table = piece_population(src, tgt, population, column=population_column)
        method = "bevolking"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = area_interpolate(
            src,
            tgt,
            extensive_variables=extensive,
            intensive_variables=intensive,
            table=table,
        ).iloc[: len(target)]
    cover = shares["_cover_ja"].to_numpy()
    out = pd.DataFrame(index=target.index)
    for column in counts:
        missing = shares[f"_nan_{column}_ja"].to_numpy() > MISSING_TOLERANCE
        out[column] = np.where(missing, np.nan, est[column].to_numpy())
    for spec in rates:
        without = shares[f"_noden_{spec.rate}_ja"].to_numpy() > MISSING_TOLERANCE
        with np.errstate(all="ignore"):
            recomputed = out[spec.count].to_numpy() * spec.scale / est[f"_den_{spec.rate}"]
        missing = shares[f"_nan_{spec.rate}_ja"].to_numpy() > MISSING_TOLERANCE
        mean = np.where(missing, np.nan, est[spec.rate].to_numpy())
        out[spec.rate] = np.where(without, mean, np.asarray(recomputed, dtype=float))
        out[f"{spec.rate}_method"] = np.where(without, "intensief", "herberekend")
    refused = cover < min_coverage
    out["coverage"] = cover
    out["harmonise_method"] = method
    out["harmonised"] = ~refused
    out["reason"] = [
        f"de oude grenzen bedekken maar {c:.1%} van het gebied (minstens {min_coverage:.0%} nodig)"
        if r
        else None
        for c, r in zip(cover, refused, strict=True)
    ]
    out.loc[refused, [*counts, *(r.rate for r in rates)]] = np.nan
    return out


def link_codes(
    old: gpd.GeoDataFrame, new: gpd.GeoDataFrame, *, min_iou: float = LINK_IOU
) -> pd.DataFrame:
    """Old and new areas whose geometry is the same (intersection over union ≥ ``min_iou``).

    Parameters
    ----------
    old, new
        Areas with a ``code`` column, same projected CRS.

    Returns
    -------
    pandas.DataFrame
        ``old_code``, ``new_code``, ``iou``: the best match of each new area that
        reaches ``min_iou`` (at most one old area each way).
    """
    _check(old, ["code"], "old areas")
    _check(new, ["code"], "new areas")
    left = gpd.GeoDataFrame({"old_code": old["code"].to_numpy()}, geometry=old.geometry.values)
    right = gpd.GeoDataFrame({"new_code": new["code"].to_numpy()}, geometry=new.geometry.values)
    left = left.set_crs(old.crs)
    right = right.set_crs(new.crs)
    pieces = gpd.overlay(left, right, how="intersection", keep_geom_type=True)
    columns = ["old_code", "new_code", "iou"]
    if pieces.empty:
        return pd.DataFrame(columns=columns)
    shared = pieces.area.to_numpy()
    old_area = pieces["old_code"].map(pd.Series(left.area.to_numpy(), left["old_code"]))
    new_area = pieces["new_code"].map(pd.Series(right.area.to_numpy(), right["new_code"]))
    pieces["iou"] = shared / (old_area.to_numpy() + new_area.to_numpy() - shared)
    best = pieces.sort_values("iou", ascending=False).drop_duplicates("new_code")
    best = best.drop_duplicates("old_code")
    return best.loc[best["iou"] >= min_iou, columns].reset_index(drop=True)


def merge_gemeenten(
    values: pd.DataFrame,
    successors: Mapping[str, str],
    *,
    counts: Sequence[str],
    rates: Sequence[RateSpec] = (),
) -> pd.DataFrame:
    """Sum the counts of merged gemeenten onto their successor; rates from summed denominators.

    Parameters
    ----------
    values
        One row per gemeente, indexed by code; the count and rate columns.
    successors
        ``{old code: successor}``. A successor that itself existed keeps its own
        values in the sum.
    counts, rates
        As for :func:`interpolate_areas`.

    Returns
    -------
    pandas.DataFrame
        Indexed by successor code (only successors): the summed counts, recomputed
        rates (NaN when a denominator is unknown), ``harmonised`` and
        ``harmonise_method`` (``"samenvoeging"``), and ``parts`` (the codes summed).
        A count is NaN when any part lacks it.
    """
    group = pd.Series(values.index.map(lambda c: successors.get(c, c)), index=values.index)
    involved = group[group.isin(set(successors.values()))]
    used = [*counts, *(r.rate for r in rates)]
    frame = values.loc[involved.index, used].astype(float)
    out = frame[list(counts)].groupby(involved).sum(min_count=1)
    incomplete = frame[list(counts)].isna().groupby(involved).any()
    out = out.mask(incomplete)
    for spec in rates:
        with np.errstate(all="ignore"):
            den = frame[spec.count] * spec.scale / frame[spec.rate]
        den = den.where(np.isfinite(den) & (den > 0))
        total = den.groupby(involved).sum(min_count=1).mask(den.isna().groupby(involved).any())
        with np.errstate(all="ignore"):
            out[spec.rate] = out[spec.count] * spec.scale / total
        out[f"{spec.rate}_method"] = "herberekend"
    out["parts"] = frame.index.to_series().groupby(involved).agg(lambda s: ",".join(sorted(s)))
    out["harmonised"] = True
    out["harmonise_method"] = "samenvoeging"
    return out
