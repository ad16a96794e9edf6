"""The whole stacking analysis in one call: indicators, scores, typology, hotspots."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from layers.indicators import Indicator, compute_indicators, get_indicator
from layers.profiles import Profile, get_profile
from layers.standardise import NATIONAL_RATES_2024, AgeRates, fit_age_rates
from models.hotspots import HotspotResult, build_weights, local_hotspots
from models.reliability import ReliabilityResult, count_basis, smooth_indicators
from models.stacking import StackingResult, stacking_scores
from models.typology import NO_CLUSTER_LABEL, Method, TypologyResult, cluster_areas
from models.uncertainty import UncertaintyResult, rank_uncertainty

if TYPE_CHECKING:
    from libpysal.graph import Graph

__all__ = ["SCOPES", "Scope", "AnalysisResult", "run_analysis", "OUTPUT_COLUMNS", "SMOOTHED_SUFFIX"]

#: A comparison scope (the keys of :data:`SCOPES`).
Scope = Literal["gemeente", "selection", "national"]

#: Comparison scopes and their Dutch names.
SCOPES: dict[Scope, str] = {
    "gemeente": "binnen de eigen gemeente",
    "selection": "binnen de gekozen gemeenten samen",
    "national": "ten opzichte van heel Nederland (referentieset)",
}

#: Result columns that follow the indicator values, in this order.
OUTPUT_COLUMNS: tuple[str, ...] = (
    "stacking_score",
    "stacking_percentile",
    "mean_percentile",
    "themes_high",
    "high_themes",
    "stacking_flag",
    "n_indicators",
    "reliability",
    "reliability_class",
    "stacking_percentile_lo",
    "stacking_percentile_hi",
    "stacking_stability",
    "stability_class",
    "cluster",
    "cluster_label",
    "hotspot",
    "gi_hotspot",
)

#: Suffix of the smoothed value of each indicator used (next to the raw one).
SMOOTHED_SUFFIX = "_smoothed"

_ID_COLUMNS = ("code", "name", "level", "gemeentecode", "gemeentenaam", "wijkcode")


@dataclass(frozen=True)
class AnalysisResult:
    """Everything :func:`run_analysis` computed.

    Attributes
    ----------
    table
        GeoDataFrame aligned to the input index: identifiers, the raw indicator
        values used (one column per indicator key), their smoothed values
        (``<key>_smoothed``), then :data:`OUTPUT_COLUMNS` (``high_themes`` lists
        the high themes in Dutch: the "why").
    profile
        The profile used.
    indicators
        Theme key -> indicator key actually used (first candidate with data).
    stacking, typology, hotspots
        The sub-results with their diagnostics (``typology``/``hotspots`` may be
        ``None`` when skipped or impossible).
    reliability
        Smoothed values, shrinkage and reliability per indicator used.
    uncertainty
        Rank intervals and stability (``None`` when ``resamples=0``).
    settings
        The options used, for provenance in exports.
    notes
        Plain-English remarks (skipped steps, dropped themes).
    """

    table: gpd.GeoDataFrame
    profile: Profile
    indicators: dict[str, str]
    stacking: StackingResult
    typology: TypologyResult | None
    hotspots: HotspotResult | None
    settings: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reliability: ReliabilityResult | None = None
    uncertainty: UncertaintyResult | None = None


def _choose(profile: Profile, values: pd.DataFrame, notes: list[str]) -> dict[str, str]:
    chosen: dict[str, str] = {}
    for theme in profile.themes:
        available = [k for k in theme.candidates if k in values and values[k].notna().any()]
        if available:
            chosen[theme.key] = available[0]
        else:
            notes.append(f"theme {theme.key!r} left out: no data for {', '.join(theme.candidates)}")
    return chosen


def _high_list(high: pd.DataFrame, labels: Mapping[str, str]) -> pd.Series:
    """Dutch list of the high themes per area, e.g. ``"corporatiebezit, bijstand"``."""
    text = np.full(len(high), "", dtype=object)
    for column in high.columns:
        mark = high[column].to_numpy(dtype=bool)
        text = np.where(mark, text + ", " + labels.get(column, column), text)
    return pd.Series([t.removeprefix(", ") for t in text], index=high.index, dtype=object)


def _rates(frame: pd.DataFrame, age_rates: str | Mapping[str, AgeRates]) -> dict[str, AgeRates]:
    if isinstance(age_rates, Mapping):
        return {**NATIONAL_RATES_2024, **age_rates}
    if age_rates == "national":
        return dict(NATIONAL_RATES_2024)
    if age_rates == "fit":
        out = dict(NATIONAL_RATES_2024)
        for count, base in NATIONAL_RATES_2024.items():
            # Too few areas: keep the national rates.
            with contextlib.suppress(ValueError):
                out[count] = fit_age_rates(
                    frame,
                    count,
                    age_columns=base.age_columns,
                    monotone=count == "wmo_clients",
                    source="fitted on the analysed areas",
                )
        return out
    raise ValueError("age_rates must be 'national', 'fit' or a mapping of AgeRates")


def run_analysis(
    frame: gpd.GeoDataFrame,
    *,
    profile: str | Profile = "default",
    scope: Scope = "gemeente",
    reference: pd.DataFrame | None = None,
    extra_indicators: Iterable[Indicator] = (),
    age_rates: str | Mapping[str, AgeRates] = "national",
    smoothing: bool | None = None,
    resamples: int = 200,
    cluster_method: Method = "kmeans",
    n_clusters: int | None = None,
    clustering: bool = True,
    weights: Graph | None = None,
    permutations: int = 999,
    alpha: float = 0.05,
    fdr: bool = False,
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
) -> AnalysisResult:
    """Run the stacking analysis on an area frame.

    Parameters
    ----------
    frame
        Area frame (one level), EPSG:28992. Not modified.
    profile
        A key of :data:`layers.PROFILES` or a :class:`layers.Profile`.
    scope
        ``"gemeente"``, ``"selection"`` or ``"national"`` (see :data:`SCOPES`);
        ``"national"`` needs ``reference``.
    reference
        Area frame of the reference set (same level, e.g. all wijken) for
        ``scope="national"``.
    extra_indicators
        Municipal indicators (from :func:`layers.join_municipal`) usable in the profile.
    age_rates
        Reference rates for age-standardised indicators: ``"national"`` (KWB
        2024 estimates), ``"fit"`` (estimated on ``frame``) or a mapping.
    smoothing
        Rank and flag on the smoothed values (:mod:`models.reliability`);
        ``None``: as the profile says. The raw values are in the table either way.
    resamples
        Draws for the rank interval and stability (:mod:`models.uncertainty`);
        ``0`` skips them (the columns are then empty), e.g. for a first map.
    cluster_method
        ``"kmeans"``, ``"ward"`` or ``"gmm"``.
    n_clusters
        Number of clusters; ``None`` chooses by silhouette.
    clustering
        ``False`` skips the typology (``cluster`` is then empty), e.g. to show
        the stacking scores before the slower steps are done.
    weights
        Contiguity graph of ``frame``'s rows (from :func:`models.build_weights`);
        built here when ``None``. Pass a cached one to save time.
    permutations, alpha, fdr
        Hotspot inference options; ``permutations=0`` skips hotspots.
    seed
        Seed for clustering and permutations.
    progress
        Called with (fraction done, English step description).

    Returns
    -------
    AnalysisResult

    Raises
    ------
    ValueError
        On a missing column, an unknown profile or scope, or an empty frame.
    """
    report = progress or (lambda fraction, text: None)
    if len(frame) == 0:
        raise ValueError("the frame has no areas")
    if scope not in SCOPES:
        raise ValueError(f"unknown scope {scope!r}; choose from {', '.join(SCOPES)}")
    if scope == "national" and reference is None:
        raise ValueError("scope 'national' needs a reference frame")
    if scope == "gemeente" and "gemeentecode" not in frame.columns:
        raise ValueError("scope 'gemeente' needs a 'gemeentecode' column")
    prof = get_profile(profile) if isinstance(profile, str) else profile
    extra = tuple(extra_indicators)
    notes: list[str] = []
    rates = _rates(frame, age_rates)

    report(0.05, "computing indicators")
    keys = list(dict.fromkeys(k for t in prof.themes for k in t.candidates))
    values = compute_indicators(frame, keys, extra=extra, rates=rates)
    chosen = _choose(prof, values, notes)
    if not chosen:
        raise ValueError(f"none of the indicators of profile {prof.key!r} has data")
    themes = {t.key: t for t in prof.themes if t.key in chosen}
    theme_values = pd.DataFrame({t: values[k] for t, k in chosen.items()}, index=frame.index)
    directions = {t: get_indicator(k, extra).direction for t, k in chosen.items()}
    thresholds = {t: themes[t].threshold for t in chosen}

    report(0.15, "smoothing small areas")
    smooth = prof.smoothing if smoothing is None else bool(smoothing)
    used = pd.DataFrame({k: values[k] for k in chosen.values()}, index=frame.index)
    reliability = smooth_indicators(frame, used, extra=extra, rates=rates)
    rank_values = theme_values
    if smooth:
        rank_values = pd.DataFrame(
            {t: reliability.smoothed[k] for t, k in chosen.items()}, index=frame.index
        )

    report(0.2, "computing stacking scores")
    ref_values = None
    if scope == "national":
        ref_ind = compute_indicators(reference, list(chosen.values()), extra=extra, rates=rates)
        if smooth:
            ref_ind = smooth_indicators(reference, ref_ind, extra=extra, rates=rates).smoothed
        ref_values = pd.DataFrame({t: ref_ind[k] for t, k in chosen.items()})
    groups = frame["gemeentecode"] if scope == "gemeente" else None
    min_indicators = min(prof.min_indicators, len(chosen))
    flag_min_themes = min(prof.flag_min_themes, len(chosen))
    stacking = stacking_scores(
        rank_values,
        groups=groups,
        reference=ref_values,
        directions=directions,
        thresholds=thresholds,
        min_indicators=min_indicators,
        flag_min_themes=flag_min_themes,
    )

    report(0.3, "resampling rank uncertainty")
    uncertainty = None
    if resamples > 0:
        bases = {
            t: count_basis(frame, get_indicator(k, extra), rates=rates) for t, k in chosen.items()
        }
        shrink = None
        if smooth:
            shrink = tuple(
                pd.DataFrame({t: getattr(reliability, a)[k] for t, k in chosen.items()})
                for a in ("shrinkage", "level")
            )
        uncertainty = rank_uncertainty(
            rank_values,
            bases,
            groups=groups,
            reference=ref_values,
            smoothing=shrink,
            resamples=resamples,
            seed=seed,
            order=frame["code"] if "code" in frame.columns else None,
            directions=directions,
            thresholds=thresholds,
            min_indicators=min_indicators,
            flag_min_themes=flag_min_themes,
        )

    report(0.35, "clustering")
    typology = None
    try:
        if not clustering:
            raise ValueError("clustering skipped")
        typology = cluster_areas(
            rank_values,
            method=cluster_method,
            k=n_clusters,
            directions=directions,
            short_labels={t: get_indicator(k, extra).short_nl for t, k in chosen.items()},
            seed=seed,
        )
    except ValueError as exc:
        notes.append(f"no typology: {exc}")

    report(0.55, "finding spatial hotspots")
    hotspots = None
    if permutations > 0:
        graph = weights if weights is not None else build_weights(frame.geometry)
        hot_input = pd.Series(
            stacking.table["stacking_score"].to_numpy(),
            index=frame["code"].astype(str).to_numpy() if "code" in frame else None,
        )
        hotspots = local_hotspots(
            hot_input, graph, permutations=permutations, alpha=alpha, fdr=fdr, seed=seed
        )

    report(0.95, "assembling the result")
    ids = [c for c in _ID_COLUMNS if c in frame.columns]
    table = pd.DataFrame(frame[ids].copy())
    for key in chosen.values():
        table[key] = values[key]
    for key in chosen.values():
        table[key + SMOOTHED_SUFFIX] = reliability.smoothed[key]
    for column in ("stacking_score", "stacking_percentile", "mean_percentile", "themes_high"):
        table[column] = stacking.table[column]
    table["high_themes"] = _high_list(
        stacking.high, {t: get_indicator(k, extra).short_nl for t, k in chosen.items()}
    )
    table["stacking_flag"] = stacking.table["stacking_flag"].astype(bool)
    table["n_indicators"] = stacking.table["n_indicators"]
    table["reliability"] = reliability.table["reliability"].round(3)
    table["reliability_class"] = reliability.table["reliability_class"]
    if uncertainty is not None:
        for column in uncertainty.table.columns:
            table[column] = uncertainty.table[column]
    else:
        for column in ("stacking_percentile_lo", "stacking_percentile_hi", "stacking_stability"):
            table[column] = np.nan
        table["stability_class"] = "not computed"
    if typology is not None:
        table["cluster"] = typology.labels
        table["cluster_label"] = typology.labels.map(typology.label_nl).fillna(NO_CLUSTER_LABEL)
    else:
        table["cluster"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
        table["cluster_label"] = NO_CLUSTER_LABEL
    if hotspots is not None:
        table["hotspot"] = hotspots.table["hotspot"].to_numpy()
        table["gi_hotspot"] = hotspots.table["gi_hotspot"].to_numpy()
    else:
        table["hotspot"] = "not computed"
        table["gi_hotspot"] = "not computed"
    result_table = gpd.GeoDataFrame(table, geometry=frame.geometry.copy(), crs=frame.crs)
    settings = {
        "profile": prof.key,
        "profile_name_nl": prof.name_nl,
        "scope": scope,
        "indicators": dict(chosen),
        "thresholds": {t: f"{th.kind} {th.value:g}" for t, th in thresholds.items()},
        "flag_min_themes": min(prof.flag_min_themes, len(chosen)),
        "min_indicators": min(prof.min_indicators, len(chosen)),
        "age_rates": {k: r.source for k, r in rates.items()},
        "smoothing": "empirical Bayes towards the gemeente" if smooth else "none (raw values)",
        "resamples": resamples,
        "interval": "5-95 %" if resamples else "not computed",
        "cluster_method": cluster_method,
        "n_clusters": typology.k if typology is not None else None,
        "permutations": permutations,
        "alpha": alpha,
        "fdr": fdr,
        "seed": seed,
    }
    report(1.0, "done")
    return AnalysisResult(
        table=result_table,
        profile=prof,
        indicators=dict(chosen),
        stacking=stacking,
        typology=typology,
        hotspots=hotspots,
        settings=settings,
        notes=notes,
        reliability=reliability,
        uncertainty=uncertainty,
    )
