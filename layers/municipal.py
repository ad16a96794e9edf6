"""Join a municipality's own aggregated figures and turn them into indicators.

A gemeente can add its own registrations (Wmo, youth care, debt counselling,
...) as *aggregated* counts per buurt or wijk code. Parsing and validation of
the uploaded file happen in :mod:`layers.upload`; this module takes the
validated plain table, joins it to an area frame and describes each count as
an :class:`~layers.indicators.Indicator`, so the rest of the analysis treats it
like a CBS indicator.

Counts at buurt level are summed to wijk level when the frame is a wijk frame
(counts add up; rates would not). Codes that match no area are reported, never
silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.indicators import DENOMINATORS, Indicator

__all__ = ["MunicipalSpec", "MunicipalJoin", "join_municipal", "PREFIX"]

#: Prefix of every column added to the frame, so municipal columns never clash with CBS ones.
PREFIX = "gem_"

_UNITS = {"percent": 100.0, "per_1000": 1000.0}


@dataclass(frozen=True)
class MunicipalSpec:
    """How one uploaded count becomes an indicator.

    Attributes
    ----------
    denominator
        A column of the uploaded table (the gemeente's own denominator) or a
        frame denominator key (``population``, ``households``, ``dwellings``,
        ``population_15_65``, ``young_0_23``).
    label_nl
        Dutch label; default derived from the column name.
    unit
        ``per_1000`` (default) or ``percent``.
    direction
        ``+1`` when more means more need (default).
    min_denominator
        Below this denominator the value is not shown.
    """

    denominator: str = "population"
    label_nl: str | None = None
    unit: Literal["per_1000", "percent"] = "per_1000"
    direction: int = 1
    min_denominator: float = 100.0


@dataclass(frozen=True)
class MunicipalJoin:
    """Result of :func:`join_municipal`.

    Attributes
    ----------
    frame
        A new frame: the input plus ``gem_<column>`` count and denominator columns.
    indicators
        One indicator per numerator, keyed ``gem_<column>``; pass them as
        ``extra_indicators`` to :func:`models.run_analysis`.
    matched
        Number of uploaded rows that matched an area.
    unmatched_codes
        Uploaded codes that match no area of the frame.
    areas_without_figures
        Codes of frame areas that got no uploaded figure.
    """

    frame: gpd.GeoDataFrame
    indicators: tuple[Indicator, ...]
    matched: int
    unmatched_codes: list[str] = field(default_factory=list)
    areas_without_figures: list[str] = field(default_factory=list)


def _safe(name: str) -> str:
    slug = re.sub(r"[^0-9a-z]+", "_", str(name).strip().lower()).strip("_")
    if not slug:
        raise ValueError(f"column name {name!r} has no usable characters")
    return PREFIX + slug


def _to_frame_level(figures: pd.DataFrame, frame_codes: pd.Series) -> pd.DataFrame:
    codes = figures["code"]
    frame_is_wijk = frame_codes.str.startswith("WK").all()
    if frame_is_wijk and codes.str.startswith("BU").all():
        wijk = "WK" + codes.str[2:8]
        summed = figures.drop(columns="code").groupby(wijk.rename("code")).sum(min_count=1)
        return summed.reset_index()
    return figures


def join_municipal(
    frame: gpd.GeoDataFrame,
    figures: pd.DataFrame,
    specs: Mapping[str, MunicipalSpec | str],
) -> MunicipalJoin:
    """Join aggregated municipal counts to an area frame.

    Parameters
    ----------
    frame
        Area frame with a ``code`` column. Not modified.
    figures
        Plain table with a ``code`` column (buurt or wijk codes) and numeric
        count columns; validated beforehand by :mod:`layers.upload`. Not modified.
    specs
        Numerator column -> :class:`MunicipalSpec` or just its denominator
        (an uploaded column or a frame denominator key).

    Returns
    -------
    MunicipalJoin

    Raises
    ------
    ValueError
        On a missing or duplicated code, a missing or non-numeric column, or
        a name clash with the frame.
    """
    if "code" not in figures.columns:
        raise ValueError("the municipal table needs a 'code' column")
    if not specs:
        raise ValueError("name at least one count column to use")
    resolved = {
        k: MunicipalSpec(denominator=v) if isinstance(v, str) else v for k, v in specs.items()
    }
    table = figures.copy()
    table["code"] = table["code"].astype(str).str.strip().str.upper()
    duplicated = table["code"][table["code"].duplicated()].unique().tolist()
    if duplicated:
        raise ValueError(f"codes occur more than once: {', '.join(duplicated[:5])}")
    needed = set(resolved)
    for spec in resolved.values():
        if spec.denominator not in DENOMINATORS:
            needed.add(spec.denominator)
        if spec.unit not in _UNITS:
            raise ValueError(f"unit must be one of {', '.join(_UNITS)}, not {spec.unit!r}")
    missing = sorted(needed - set(table.columns))
    if missing:
        raise ValueError(f"the municipal table lacks column(s) {missing}")
    for column in needed:
        values = pd.to_numeric(table[column], errors="coerce")
        if values.notna().sum() < table[column].notna().sum():
            raise ValueError(f"column {column!r} holds values that are not numbers")
        if (values < 0).any():
            raise ValueError(f"column {column!r} holds negative counts")
        table[column] = values.astype(float)
    table = table[["code", *sorted(needed)]]
    frame_codes = frame["code"].astype(str)
    table = _to_frame_level(table, frame_codes)

    renamed = {c: _safe(c) for c in needed}
    if len(set(renamed.values())) != len(renamed):
        raise ValueError("two columns map to the same name; rename one")
    clash = sorted(set(renamed.values()) & set(frame.columns))
    if clash:
        raise ValueError(f"the frame already has column(s) {clash}")
    indexed = table.set_index("code").rename(columns=renamed)
    known = set(frame_codes)
    unmatched = sorted(set(indexed.index) - known)
    out = frame.copy()
    joined = indexed.reindex(frame_codes.to_numpy())
    for column in indexed.columns:
        out[column] = joined[column].to_numpy()
    without = sorted(known - set(indexed.index))

    indicators = []
    for numerator, spec in resolved.items():
        key = renamed[numerator]
        if spec.denominator in DENOMINATORS:
            denominator = spec.denominator
            den_text = DENOMINATORS[spec.denominator]
        else:
            denominator = "column:" + renamed[spec.denominator]
            den_text = f"{spec.denominator} (eigen noemer van de gemeente)"
        per = "%" if spec.unit == "percent" else "per 1.000"
        label = spec.label_nl or f"{numerator} {per} {den_text.split(' (')[0]}"
        indicators.append(
            Indicator(
                key,
                label,
                str(spec.label_nl or numerator),
                f"Eigen cijfers van de gemeente: {numerator} {per} {den_text}.",
                "ratio",
                (key,),
                denominator,
                spec.unit,
                direction=spec.direction,
                min_denominator=spec.min_denominator,
                scale=_UNITS[spec.unit],
                source="gemeente (eigen geaggregeerde cijfers)",
            )
        )
    matched = int(np.isin(indexed.index.to_numpy(), list(known)).sum())
    return MunicipalJoin(out, tuple(indicators), matched, unmatched, without)
