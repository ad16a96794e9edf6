"""The app's cached entry point to the multi-year series and their trends (issue 12).

:func:`trend_view` loads every theme's social-domain series of one gemeente with
:func:`cbs_ingest.series_load.load_series` (area store first; what is missing is fetched
from CBS at the app's CBS setting, ``STAPELKAART_CBS_URL``, with a progress bar), keeps
one value per year (:func:`models.trends.annual_values`), and computes the trends
(:func:`models.trends.compute_trends`), the comparability per period and the gemeente
and national lines (:mod:`models.trend_lines`). Views filter it per role with
:func:`for_role` and the map uses :func:`change_since`.

Results are kept per process for an hour (``cachetools.TTLCache`` in
``st.cache_resource``), like :mod:`geo_app.session.analysis`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
import streamlit as st
from cachetools import TTLCache

from cbs_ingest.demo import DEMO_GEMEENTE_CODE
from cbs_ingest.errors import SourceUnavailableError, StapelkaartError
from cbs_ingest.series_harmonise import harmonise
from cbs_ingest.series_load import load_series
from cbs_ingest.series_tables import (
    COUNT_INDICATORS,
    GEMEENTE_MERGERS,
    RATE_INDICATORS,
    SERIES_BREAKS,
    SERIES_TABLES,
    THEMES,
)
from cbs_ingest.store import open_store
from geo_app.session.i18n import t
from models.stacking_trend import STACKING_INDICATOR, STACKING_THEME, stacking_trend
from models.trend_lines import (
    change_since as _change_since,
)
from models.trend_lines import (
    comparable_as_trend,
    national_line,
    period_comparability,
    reference_lines,
)
from models.trends import TrendRule, annual_values, compute_trends

__all__ = [
    "SERIES_VIEW_COLUMNS",
    "THEME_INDICATORS",
    "TrendView",
    "allowed_themes",
    "change_since",
    "clear",
    "for_role",
    "no_series_message",
    "peek",
    "theme_indicator",
    "trend_view",
    "year_range",
]

#: Columns of :attr:`TrendView.series`, in this order.
SERIES_VIEW_COLUMNS: tuple[str, ...] = (
    "code",
    "name",
    "level",
    "gemeentecode",
    "theme",
    "indicator",
    "period",
    "year",
    "value",
    "comparable",
    "harmonised",
    "reason",
    "harmonise_method",
)

#: Trend theme → what a role must be allowed to see to get that theme's series and trend:
#: from every group at least one key (the ``layers.INDICATORS`` rate or the CBS count
#: column of the same theme). The provisions theme counts clients of Wmo, youth care and
#: participation together, so it needs all three (fail closed).
_WMO = ("wmo_per_1000", "wmo_clients")
_YOUTH = ("youth_care_pct", "youth_care_count")
_BIJSTAND = ("bijstand_per_1000_15_65", "persons_bijstand")
THEME_INDICATORS: dict[str, tuple[tuple[str, ...], ...]] = {
    "wmo": (_WMO,),
    "jeugdzorg": (_YOUTH,),
    "bijstand": (_BIJSTAND,),
    "voorzieningen": (_WMO, _YOUTH, _BIJSTAND),
    # the stacking percentile ranks on the rates of several themes: it needs them all
    STACKING_THEME: (_WMO, _YOUTH, _BIJSTAND),
}

_UNITS = {c.name: c.unit for cols in THEMES.values() for c in cols}
_TTL = 3600
_ENTRIES = 32
_MISSING_TTL = 300  # "no series" is asked again after five minutes


@dataclass(frozen=True)
class TrendView:
    """Series, trends and reference lines of one gemeente and level over a range of years.

    Attributes
    ----------
    first, last
        The range of years asked for (a theme with later tables starts later).
    level
        ``wijk`` or ``buurt``.
    series
        Long frame (:data:`SERIES_VIEW_COLUMNS`), one value per area, indicator and year,
        the gemeente's own rows included (level ``gemeente``).
    trends
        :attr:`models.trends.TrendResult.trends` of every theme.
    reference
        The gemeente and national lines (:data:`models.trend_lines.REFERENCE_COLUMNS`).
    notes
        Dutch notes (themes left out, where the national line comes from).
    rule
        The trend rule applied.
    sources
        ``{theme: {year: CBS table id}}``.
    """

    first: int
    last: int
    level: str
    series: pd.DataFrame
    trends: pd.DataFrame
    reference: pd.DataFrame
    notes: tuple[str, ...]
    rule: TrendRule
    sources: dict[str, dict[int, str]] = field(default_factory=dict)

    @property
    def themes(self) -> list[str]:
        """Themes with series, in registry order."""
        present = set(self.series["theme"])
        return [theme for theme in (*THEMES, STACKING_THEME) if theme in present]


def _theme_years(theme: str, level: str) -> list[int]:
    return sorted(t.year for t in SERIES_TABLES.values() if t.theme == theme and level in t.levels)


def year_range(code: str, level: str) -> tuple[int, int] | None:
    """The years that can be shown for a gemeente and level, or None.

    From the table registry: the years of any theme with figures at ``level``, up to the
    year before the gemeente merged away.
    """
    years = [y for theme in THEMES for y in _theme_years(theme, level)]
    if not years:
        return None
    first, last = min(years), max(years)
    merged = GEMEENTE_MERGERS.get(str(code).strip().upper())
    if merged is not None:
        last = min(last, merged[0] - 1)
    return (first, last) if first <= last else None


def theme_indicator(theme: str) -> str:
    """The theme's main indicator: its rate, or its count where CBS has no rate."""
    if theme == STACKING_THEME:
        return STACKING_INDICATOR
    return RATE_INDICATORS.get(theme, COUNT_INDICATORS[theme])


@dataclass
class _Cache:
    views: TTLCache = field(default_factory=lambda: TTLCache(_ENTRIES, _TTL))
    national: TTLCache = field(default_factory=lambda: TTLCache(8, _TTL))
    missing: TTLCache = field(default_factory=lambda: TTLCache(_ENTRIES, _MISSING_TTL))
    lock: threading.Lock = field(default_factory=threading.Lock)


@st.cache_resource(show_spinner=False)
def _cache() -> _Cache:
    return _Cache()


def clear() -> None:
    """Forget every cached view, national line and "no series" answer of this process."""
    cache = _cache()
    with cache.lock:
        cache.views.clear()
        cache.national.clear()
        cache.missing.clear()


def _progress_bar() -> Any:
    bar: list[Any] = []

    def progress(fraction: float, text: str) -> None:
        message = t("trend_loading", "nl", text=text)
        if not bar:
            bar.append(st.progress(0.0, text=message))
        bar[0].progress(min(max(float(fraction), 0.0), 1.0), text=message)

    def done() -> None:
        if bar:
            bar[0].empty()

    return progress, done


def _national(theme: str, level: str, first: int, last: int) -> pd.DataFrame | None:
    """National line of one theme from the stored whole-country series, or None."""
    key = (theme, level, first, last)
    cache = _cache()
    with cache.lock:
        if key in cache.national:
            return cache.national[key]
    store = open_store()
    specs = [s for s in SERIES_TABLES.values() if s.theme == theme and first <= s.year <= last]
    complete = store.series_complete()
    if not specs or any((s.table_id, level) not in complete for s in specs):
        return None
    frames = [store.get_series(s.table_id, level, None).rows for s in specs]
    rows = pd.concat(frames, ignore_index=True)
    rows = annual_values(rows[rows["level"] == "gemeente"], first=first, last=last)
    line = national_line(
        rows,
        counts={theme: COUNT_INDICATORS[theme]},
        rates={k: v for k, v in RATE_INDICATORS.items() if k == theme},
        units=_UNITS,
    )
    with cache.lock:
        cache.national[key] = line
    return line


def _stored(theme: str, code: str, level: str, first: int, last: int) -> bool:
    """Whether the area store holds every table of a theme's range for the gemeente."""
    held = {r.table_id for r in open_store().series_records(None, level, [code])}
    wanted = {s.table_id for s in SERIES_TABLES.values() if s.theme == theme}
    return {s for s in wanted if first <= SERIES_TABLES[s].year <= last} <= held


def _harmonised(
    theme: str,
    rows: pd.DataFrame,
    code: str,
    level: str,
    first: int,
    last: int,
    progress: Any,
    notes: list[str],
    pdok_down: list[str],
) -> pd.DataFrame:
    """``rows`` on the boundaries of ``last``, as ``stapelkaart trends`` harmonises them.

    The boundaries of earlier years come from the area store, else from PDOK (kept after
    one fetch); the demo gemeente's are generated. When they cannot be had, the rows stay
    as they are: the areas that changed are then refused with their reason, never compared
    across the change.
    """
    if pdok_down:  # an earlier theme found PDOK unreachable: do not wait for it again
        notes.append(
            t("trend_not_harmonised_why", "nl", theme=t(f"trend_theme_{theme}"), why=pdok_down[0])
        )
        return rows

    def more(lo: int, hi: int, codes: list[str]) -> pd.DataFrame:
        found = load_series(theme, lo, hi, codes, level=level).rows
        return annual_values(found, first=lo, last=hi)

    try:
        out, _ = harmonise(
            rows,
            codes=[code],
            first=first,
            last=last,
            level=level,
            load=more,
            refresh=False,
            progress=progress,
        )
    except (StapelkaartError, ValueError) as exc:
        why = str(getattr(exc, "nl", None) or exc).rstrip(".")
        notes.append(t("trend_not_harmonised_why", "nl", theme=t(f"trend_theme_{theme}"), why=why))
        if isinstance(exc, SourceUnavailableError):
            pdok_down.append(why)
        return rows
    return annual_values(out, first=first, last=last).assign(year=lambda f: f["year"].astype(int))


def _stacking(
    annual: list[pd.DataFrame], trends: list[pd.DataFrame], level: str, first: int, last: int
) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """The stacking percentile within the gemeente per area and year, and its trend.

    As ``stapelkaart trends`` computes it (:func:`models.stacking_trend.stacking_trend`):
    on the rates of the themes with a value in every year of the range. Each year of an
    area is as comparable as the area's trend (refused when any theme that enters is).
    """
    if len(annual) < 2:
        return None
    try:
        result = stacking_trend(
            pd.concat(annual, ignore_index=True),
            first=first,
            last=last,
            trends=pd.concat(trends, ignore_index=True),
            rates=RATE_INDICATORS,
            level=level,
        )
    except ValueError:
        return None
    if result.trends.empty:
        return None
    return comparable_as_trend(result.rows, result.trends), result.trends


def _build(
    code: str, level: str, first: int, last: int, progress: Any, notes: list[str]
) -> TrendView | None:
    frames, trends, nationals, sources = [], [], [], {}
    national_n: set[int] = set()
    national_missing = False
    unreachable = False
    pdok_down: list[str] = []
    annual: list[pd.DataFrame] = []  # the yearly rows of every theme, for the stacking trend
    for theme in THEMES:
        label = t(f"trend_theme_{theme}", "nl")
        years = [y for y in _theme_years(theme, level) if first <= y <= last]
        brk = SERIES_BREAKS.get(theme)
        if brk is not None and years and years[0] < brk <= years[-1]:
            years = [y for y in years if y >= brk]
            notes.append(t("trend_theme_break", "nl", theme=label, year=brk))
        elif years and years[0] > first:
            notes.append(t("trend_theme_clipped", "nl", theme=label, level=level, first=years[0]))
        if len(years) < 2:
            continue
        lo, hi = years[0], years[-1]
        if unreachable and not _stored(theme, code, level, lo, hi):
            # CBS did not answer for an earlier theme: do not wait for it again
            notes.append(t("trend_theme_skipped", "nl", theme=label, why=t("trend_cbs_down")))
            continue
        try:
            loaded = load_series(theme, lo, hi, [code], level=level, progress=progress)
            rows = annual_values(loaded.rows, first=lo, last=hi)
            rows = _harmonised(theme, rows, code, level, lo, hi, progress, notes, pdok_down)
            result = compute_trends(
                rows,
                first=lo,
                last=hi,
                counts=COUNT_INDICATORS,
                rates=RATE_INDICATORS,
                mergers=GEMEENTE_MERGERS,
                breaks=SERIES_BREAKS,
            )
        except (StapelkaartError, ValueError) as exc:
            why = str(getattr(exc, "nl", None) or exc).rstrip(".")
            notes.append(t("trend_theme_skipped", "nl", theme=label, why=why))
            unreachable = isinstance(exc, SourceUnavailableError)
            continue
        sources[theme] = dict(loaded.tables)
        annual.append(rows)
        frames.append(
            period_comparability(rows, last=hi, mergers=GEMEENTE_MERGERS, breaks=SERIES_BREAKS)
        )
        trends.append(result.trends)
        if code == DEMO_GEMEENTE_CODE:  # fictitious figures get no real national line
            continue
        try:
            line = _national(theme, level, lo, hi)
        except (StapelkaartError, ValueError):
            line = None
        if line is None or line.empty:
            national_missing = True
        else:
            nationals.append(line)
            national_n.update(int(n) for n in line["n_gemeenten"])
    if not frames:
        return None
    stacking = _stacking(annual, trends, level, first, last)
    if stacking is not None:
        frames.append(stacking[0])
        trends.append(stacking[1])
    series = pd.concat(frames, ignore_index=True)
    national = pd.concat(nationals, ignore_index=True) if nationals else None
    if national_n:
        n = max(national_n) if len(national_n) == 1 else f"{min(national_n)}–{max(national_n)}"
        notes.append(t("trend_national_pooled", "nl", n=n))
    if code == DEMO_GEMEENTE_CODE:
        notes.append(t("no_national_demo", "nl"))
    elif national_missing:
        notes.append(t("trend_national_missing", "nl", level=level, first=first, last=last))
    return TrendView(
        first=first,
        last=last,
        level=level,
        series=series.reindex(columns=list(SERIES_VIEW_COLUMNS)).reset_index(drop=True),
        trends=pd.concat(trends, ignore_index=True),
        reference=reference_lines(series, code, national),
        notes=tuple(notes),
        rule=TrendRule(),
        sources=sources,
    )


def trend_view(code: str, level: str, first: int, last: int) -> TrendView | None:
    """Series, trends and reference lines of a gemeente, cached; None without series.

    Shows a progress bar while tables are fetched from CBS. Without any series (no
    table has the gemeente, CBS unreachable and nothing stored) it returns None; the
    caller shows :func:`no_series_message`.
    """
    code = str(code).strip().upper()
    key = (code, str(level), int(first), int(last))
    cache = _cache()
    with cache.lock:
        if key in cache.views:
            return cache.views[key]
        if key in cache.missing:
            return None
    if int(first) > int(last):
        return None
    progress, done = _progress_bar()
    notes: list[str] = []
    try:
        view = _build(code, str(level), int(first), int(last), progress, notes)
    finally:
        done()
    with cache.lock:
        if view is None:
            cache.missing[key] = tuple(notes)
        else:
            cache.views[key] = view
    return view


def peek(code: str, level: str, first: int, last: int) -> TrendView | None:
    """The view if this process already has it (never fetches nor reads the store)."""
    key = (str(code).strip().upper(), str(level), int(first), int(last))
    cache = _cache()
    with cache.lock:
        return cache.views.get(key)


def no_series_message(code: str, level: str, first: int, last: int, lang: str = "nl") -> str:
    """The message a view shows when :func:`trend_view` returned None, with the reasons."""
    key = (str(code).strip().upper(), str(level), int(first), int(last))
    with _cache().lock:
        notes = _cache().missing.get(key, ())
    why = " ".join(notes) if notes else t("trend_no_range", lang, code=code, level=level)
    return t("trend_no_series", lang, code=code, level=level, why=why)


def _has_years(theme: str, level: str) -> bool:
    """Whether the theme has figures at ``level`` (the stacking trend needs two themes)."""
    if theme == STACKING_THEME:
        return sum(bool(_theme_years(th, level)) for th in THEMES) >= 2
    return bool(_theme_years(theme, level))


def allowed_themes(role: Any, level: str, *, purpose: str = "view") -> list[str]:
    """Themes a role may see (or export) at ``level``, in registry order.

    Only themes whose tables have figures at ``level`` (at buurt level: bijstand).
    """
    return [
        theme
        for theme in (*THEMES, STACKING_THEME)
        if _has_years(theme, level)
        and all(
            any(role.may_see(level=level, indicator=key, purpose=purpose) for key in group)
            for group in THEME_INDICATORS[theme]
        )
    ]


def for_role(view: TrendView, role: Any, *, purpose: str = "view") -> TrendView:
    """The view without the themes a role may not see (or export): series, trends, lines."""
    allowed = allowed_themes(role, view.level, purpose=purpose)
    keep = view.series["theme"].isin(allowed)
    if keep.all():
        return view
    return replace(
        view,
        series=view.series[keep].reset_index(drop=True),
        trends=view.trends[view.trends["theme"].isin(allowed)].reset_index(drop=True),
        reference=view.reference[view.reference["theme"].isin(allowed)].reset_index(drop=True),
        sources={k: v for k, v in view.sources.items() if k in allowed},
    )


def change_since(view: TrendView, theme: str, since: int) -> pd.Series:
    """Per area code of the view's level: change of the theme's main indicator.

    The rate (or the count where there is no rate) in ``view.last`` minus its value in
    ``since``; NaN where ``since`` is not comparable with ``view.last`` or a value is
    missing. The comparability is judged over the whole view range.
    """
    return _change_since(
        view.series,
        indicator=theme_indicator(theme),
        since=int(since),
        last=int(view.last),
        level=view.level,
    )
