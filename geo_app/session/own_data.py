"""A confirmed upload joined into the analysis, protected by disclosure control.

The order follows ``docs/trust.md`` ("Where the app applies it"):

1. join the confirmed figures at every level shown (``layers.municipal.join_municipal``;
   buurt counts are summed to their wijk, and to the gemeente total);
2. protect all ``gem_`` count and denominator columns across buurt → wijk →
   gemeente at once (``layers.disclosure.suppress_levels``);
3. the protected frame of each level goes to the analysis
   (``analysis.analyse(..., frame=..., extra=...)``), so every rate computed from
   a hidden count is missing;
4. the mask and log say which cells are "onderdrukt (kleine aantallen)".

:func:`build_entries` is pure. The session functions store one entry per
``(year, gemeente, level)`` in ``st.session_state["upload"]``, the place the
sidebar reads.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from layers.disclosure import PreviousVersion, describe_nl, suppress_levels, suppression_notes_nl
from layers.municipal import PREFIX, MunicipalSpec, join_municipal
from layers.upload import UploadResult

__all__ = [
    "STATE_KEY",
    "build_entries",
    "dataset_slug",
    "entries",
    "join_error_nl",
    "remove",
    "store",
    "suppressed_codes",
]

#: Session-state key of the joined uploads: ``{(year, gemeente, level): entry}``.
STATE_KEY = "upload"
_LEVELS = ("buurt", "wijk")


#: Column names taken as a base population, never as an indicator of their own.
BASE_NAMES = frozenset(
    {
        "inwoners",
        "aantal_inwoners",
        "bewoners",
        "huishoudens",
        "woningen",
        "population",
        "households",
        "dwellings",
    }
)


def dataset_slug(name: str) -> str:
    """A dataset name as stored and named in the roles file: a-z, 0-9 and _, at most 40."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")[:40] or "eigen_gegevens"


def _specs(columns: list[str], pairs: Mapping[str, str]) -> dict[str, MunicipalSpec]:
    """Count columns become indicators: a percentage of their denominator, else per 1,000.

    Denominators (chosen pairs, or a column named like ``inwoners``) are joined
    and protected as counts but are no indicator of their own.
    """
    denominators = set(pairs.values())
    specs: dict[str, MunicipalSpec] = {}
    for column in columns:
        base = re.sub(r"[^0-9a-z]+", "_", str(column).lower()).strip("_") in BASE_NAMES
        if column in pairs:
            specs[column] = MunicipalSpec(denominator=pairs[column], unit="percent")
        elif column not in denominators and not base:
            specs[column] = MunicipalSpec()  # per 1.000 inwoners
    if not specs:  # only base columns: show them per 1,000 after all
        specs = {c: MunicipalSpec() for c in columns if c not in denominators}
    return specs


def _gemeente_total(gemeente: pd.DataFrame, joined: gpd.GeoDataFrame, columns: list[str]):
    """The gemeente frame with the sum of the joined counts (what an attacker assumes)."""
    out = gemeente.copy()
    for column in columns:
        out[column] = joined[column].sum(min_count=1)
    return out


def fingerprint(result: UploadResult, name: str, threshold: int) -> str:
    """A short stable key of the confirmed figures (part of the analysis cache key)."""
    digest = hashlib.sha256()
    digest.update(pd.util.hash_pandas_object(result.frame, index=False).to_numpy().tobytes())
    digest.update(repr((sorted(result.pairs.items()), name, int(threshold))).encode())
    return digest.hexdigest()[:16]


def build_entries(
    frames: Mapping[str, gpd.GeoDataFrame],
    result: UploadResult,
    *,
    name: str,
    threshold: int = 10,
    previous: PreviousVersion | None = None,
) -> dict[str, dict[str, Any]]:
    """Join confirmed figures at every level, then protect them.

    Parameters
    ----------
    frames
        ``{level: frame}`` of one gemeente-year (``buurt``, ``wijk``, ``gemeente``).
    result
        A confirmed (``ok``) :class:`~layers.upload.UploadResult`.
    name
        Name of the dataset (what roles refer to in ``datasets``).
    threshold
        Disclosure threshold.
    previous
        The published version this upload replaces, if any
        (:func:`geo_app.session.stored.previous_version`): cells hidden there
        stay hidden, and cells published there unchanged are never partners,
        so the two versions together give no hidden cell away.

    Returns
    -------
    dict
        ``{level: entry}`` for each level the figures reach (a wijk file does
        not reach buurten). An entry holds ``key``, ``frame`` (protected),
        ``extra`` (indicators), ``names``, ``log`` (the suppression log of this
        level), ``suppressed`` (indicator key → codes hidden) and ``level``.

    Raises
    ------
    ValueError
        When the figures cannot be joined (``join_municipal``'s checks).
    """
    if not result.ok:
        raise ValueError("only a confirmed, valid upload can be joined")
    figures = result.frame
    columns = [c for c in figures.columns if c != "code"]
    specs = _specs(columns, result.pairs)
    file_level = "wijk" if figures["code"].astype(str).str.startswith("WK").all() else "buurt"
    reached = [lv for lv in _LEVELS if lv in frames and (lv == "wijk" or file_level == "buurt")]
    joins = {lv: join_municipal(frames[lv], figures, specs) for lv in reached}
    counts = [c for c in joins[reached[0]].frame.columns if c.startswith(PREFIX)]
    protected_in = {lv: joins[lv].frame for lv in reached}
    if "gemeente" in frames and len(frames["gemeente"]):
        top = joins["wijk"].frame if "wijk" in joins else joins[reached[0]].frame
        protected_in["gemeente"] = _gemeente_total(frames["gemeente"], top, counts)
    protected, log = suppress_levels(
        protected_in, count_columns=counts, threshold=int(threshold), previous=previous
    )
    key = fingerprint(result, name, threshold)
    if previous is not None:  # the same figures may be protected differently against it
        seen = pd.concat([previous.frame, previous.result.mask.add_prefix("hidden_")], axis=1)
        digest = pd.util.hash_pandas_object(seen, index=False).to_numpy().tobytes()
        key += "-" + hashlib.sha256(digest).hexdigest()[:8]
    return {
        lv: _entry(
            frames[lv],
            protected[lv],
            joins[lv],
            log.loc[log["level"] == lv],
            key=f"{key}-{lv}",
            name=name,
            level=file_level,
            threshold=threshold,
        )
        for lv in reached
    }


def _entry(base, frame, join, hidden, *, key, name, level, threshold) -> dict[str, Any]:
    """One level's entry: the protected frame, its indicators and what was hidden."""
    counts = [c for c in join.frame.columns if c.startswith(PREFIX)]
    by_column = {c: set(hidden.loc[hidden["column"] == c, "code"]) for c in counts}
    suppressed = {}
    for indicator in join.indicators:
        codes = set(by_column.get(indicator.key, set()))
        if indicator.denominator.startswith("column:"):
            codes |= by_column.get(indicator.denominator.removeprefix("column:"), set())
        suppressed[indicator.key] = sorted(codes)
    return {
        "key": key,
        "frame": gpd.GeoDataFrame(frame, geometry=base.geometry.name, crs=base.crs),
        "extra": tuple(join.indicators),
        "names": [name],
        "log": hidden.reset_index(drop=True),
        "suppressed": suppressed,
        "level": level,
        "threshold": int(threshold),
        "unmatched": list(join.unmatched_codes),
    }


def join_error_nl(exc: Exception) -> str:
    """A Dutch reason for a figure table that passed validation but cannot be joined."""
    text = str(exc)
    match = re.search(r"column name (.+) has no usable characters", text)
    if match:
        return (
            f"de kolomnaam {match.group(1)} bevat geen letters of cijfers; geef de kolom een "
            "naam zoals wmo_clienten"
        )
    if "map to the same name" in text:
        return "twee kolommen krijgen dezelfde naam; geef een van beide een andere naam"
    return "de kolommen of codes passen niet bij de gebieden van deze gemeente"


def entries() -> dict[tuple[int, str, str], dict[str, Any]]:
    """The joined uploads of this session."""
    return st.session_state.setdefault(STATE_KEY, {})


def store(year: int, code: str, built: Mapping[str, dict[str, Any]]) -> None:
    """Replace the joined upload of one gemeente-year (all levels at once)."""
    remove(year, code)
    state = entries()
    for level, entry in built.items():
        state[(int(year), code, level)] = entry


def remove(year: int, code: str) -> None:
    """Drop the joined upload of one gemeente-year."""
    state = entries()
    for key in [k for k in state if k[0] == int(year) and k[1] == code]:
        del state[key]


def suppressed_codes(entry: Mapping[str, Any] | None, indicator: str) -> list[str]:
    """Codes whose value of ``indicator`` was hidden by disclosure control."""
    if not entry:
        return []
    return list(entry.get("suppressed", {}).get(indicator, []))


def notes_nl(entry: Mapping[str, Any] | None, code: str) -> list[str]:
    """Dutch lines on the hidden cells of one area (plain text)."""
    if not entry:
        return []
    return suppression_notes_nl(entry["log"], code)


def describe(entry: Mapping[str, Any] | None, threshold: int = 10) -> str:
    """The suppression statement for exports, with the numbers actually hidden."""
    if not entry:
        return describe_nl(threshold=threshold)
    return describe_nl(threshold=int(entry.get("threshold", threshold)), log=entry["log"])
