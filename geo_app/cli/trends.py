"""``stapelkaart trends``: the multi-year social-domain series of gemeenten, with trends."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from cbs_ingest.errors import InputError

__all__ = ["add_parser", "run", "LONG_COLUMNS"]

#: Columns of the written table, in this order: the app's series export
#: (:data:`layers.trend_export.SERIES_EXPORT_COLUMNS`: ``comparable``, ``harmonised`` and
#: ``reason`` per period, the area's trend in ``trend_comparable``, ``slope``, ``change``,
#: ``trend_flag`` and ``trend_reason``) without ``year`` (``period`` says it), then
#: ``interpolation``.
LONG_COLUMNS: tuple[str, ...] = (
    "code",
    "name",
    "level",
    "theme",
    "indicator",
    "period",
    "value",
    "comparable",
    "harmonised",
    "harmonise_method",
    "reason",
    "trend_comparable",
    "slope",
    "change",
    "trend_flag",
    "trend_reason",
    "interpolation",
)

_FORMATS = (".csv", ".xlsx")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``trends`` subcommand."""
    from cbs_ingest.series_tables import THEMES

    parser = subparsers.add_parser(
        "trends",
        help="multi-year Wmo, youth care, provisions and bijstand series with trends",
        description=(
            "Fetch the CBS social-domain series per wijk (or buurt, bijstand only) for a range "
            "of years (kept in the area store: stored gemeenten are served without network, "
            "only what is missing is fetched), compute the slope and change per area and theme and "
            "of each area's stacking percentile within its gemeente (theme 'stapeling'), "
            "and write a long table (one row per area, indicator and period; the columns of "
            "the app's series export: comparable and reason per period, trend_comparable, "
            "slope, change, trend_flag and trend_reason per area). Areas whose "
            "boundaries or code changed in the range are harmonised onto the boundaries of the "
            "last year: gemeenten merged away are summed onto their successor (rates "
            "recomputed), Haaren (split in 2021) is shared out by area, and changed wijken or "
            "buurten are interpolated by area (or, with --population, by inhabitants) with "
            "tobler from the boundaries of each year (from the area store, else fetched once "
            "from PDOK and kept). Each row says how (harmonise_method: samenvoeging, "
            "oppervlakte, bevolking, koppeling for a new code with the "
            "same geometry; interpolation: extensief, herberekend or intensief for rates, "
            "gekoppeld). "
            "What cannot be harmonised (no boundaries of a year, less than 98% of the new "
            "area covered) gets no trend, with the reason."
        ),
    )
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--municipality",
        "-m",
        action="append",
        metavar="GMxxxx",
        help="gemeente code; repeat or separate with commas for several",
    )
    where.add_argument("--whole-country", "-w", action="store_true", help="every gemeente")
    parser.add_argument("--level", "-l", choices=("wijk", "buurt"), default="wijk")
    parser.add_argument("--from", dest="first", type=int, required=True, metavar="YYYY")
    parser.add_argument("--to", dest="last", type=int, required=True, metavar="YYYY")
    parser.add_argument(
        "--theme",
        action="append",
        choices=tuple(THEMES),
        help="theme(s); default: every theme with tables for the whole range and level",
    )
    parser.add_argument(
        "--signal",
        action="store_true",
        help="also fill trend_flag (oplopend); off by default: the backtest found it no "
        "better than its baselines (docs/analysis.md)",
    )
    parser.add_argument(
        "--refresh", action="store_true", help="fetch the tables from CBS again even when stored"
    )
    parser.add_argument(
        "--population",
        type=Path,
        metavar="FILE",
        help="weight the harmonisation of changed wijken by population instead of area: CBS "
        "square statistics as CSV (crs28992res100m, rd_x_ll, rd_y_ll, aantal_inwoners) or "
        "polygons with a column population",
    )
    parser.add_argument("--out", "-o", type=Path, required=True, help="output file: .csv or .xlsx")
    return parser


def _themes(args: argparse.Namespace) -> list[str]:
    from cbs_ingest.series_tables import THEMES, tables_for

    if args.first > args.last:
        tables_for(next(iter(THEMES)), args.first, args.last)  # raises the clear message
    if args.theme:
        return list(dict.fromkeys(args.theme))
    chosen = []
    for theme in THEMES:
        try:
            specs = tables_for(theme, args.first, args.last)
        except InputError:
            continue
        if all(args.level in s.levels for s in specs):
            chosen.append(theme)
    if not chosen:
        raise InputError(
            f"No theme has {args.level} tables for every year of {args.first}–{args.last}.",
            nl=f"Geen thema heeft cijfers per {args.level} voor elk jaar van "
            f"{args.first}–{args.last}.",
        )
    return chosen


def _long_table(rows: Any, trends: Any, *, last: int, signal: bool) -> Any:
    """The app's series export of all periods: comparability per period, trend per area.

    Theme rows are comparable per period as in the app
    (:func:`models.trend_lines.period_comparability`); each period of the stacking
    percentile is as comparable as the area's trend
    (:func:`models.trend_lines.comparable_as_trend`).
    """
    import pandas as pd

    from cbs_ingest.series_tables import GEMEENTE_MERGERS, SERIES_BREAKS
    from layers.trend_export import series_export
    from models.stacking_trend import STACKING_THEME
    from models.trend_lines import comparable_as_trend, period_comparability

    stacking = (rows["theme"] == STACKING_THEME).to_numpy()
    themes = period_comparability(
        rows[~stacking], last=last, mergers=GEMEENTE_MERGERS, breaks=SERIES_BREAKS
    )
    series = pd.concat([themes, comparable_as_trend(rows[stacking], trends)], ignore_index=True)
    # in period order within a year (2020, 2020H1, 2020H2): series_export sorts stably
    series = series.sort_values(["code", "theme", "indicator", "year", "period"], kind="stable")
    table = series_export(series, trends, signal=signal, keep=("interpolation",))
    return table[list(LONG_COLUMNS)]


def _metadata(series: dict, codes: list[str] | None, args: argparse.Namespace, rule: Any):
    from geo_app.cli._trends_stacking import sources_of
    from models.trends import SIGNAL_ON_BY_DEFAULT

    sources = [
        sources_of(theme, year, table)
        for theme, result in series.items()
        for year, table in sorted(result.tables.items())
    ]
    signal = args.signal or SIGNAL_ON_BY_DEFAULT
    return {
        "titel": "Stapelkaart: trends in het sociaal domein",
        "gemaakt_op": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "bronnen": sources,
        "gemeenten": codes or "heel Nederland",
        "niveau": args.level,
        "periode": f"{args.first}–{args.last}",
        "trendregel": rule.describe_nl(),
        "signaal": "aan" if signal else "uit: in de backtest niet beter dan de basislijnen",
        "opmerkingen": list(dict.fromkeys(n for r in series.values() for n in r.notes)),
        "kolommen": _column_notes(),
    }


def _column_notes() -> dict[str, str]:
    """The Dutch notes of the app's series export, where the CLI's table differs its own."""
    from layers.trend_export import SERIES_COLUMN_NOTES

    own = {
        "period": "Periode: 2016H1 = 1e halfjaar, 2016 = heel jaar, 2019Q2 = eind juni",
        "slope": "Theil-Sen-helling per jaar (waarde van het 1e halfjaar of eind juni)",
        "interpolation": "extensief (aantal verdeeld), herberekend (cijfer per inwoner uit "
        "verdeelde aantallen en noemers), intensief (gemiddelde, noemer onbekend) of gekoppeld "
        "(oude code, zelfde grenzen)",
    }
    notes = SERIES_COLUMN_NOTES | own
    return {column: notes[column] for column in LONG_COLUMNS if column in notes}


def run(args: argparse.Namespace) -> int:
    """Fetch, compute and write."""
    import pandas as pd

    from cbs_ingest.series_harmonise import harmonise
    from cbs_ingest.series_load import load_series
    from cbs_ingest.series_tables import (
        COUNT_INDICATORS,
        GEMEENTE_MERGERS,
        RATE_INDICATORS,
        SERIES_BREAKS,
    )
    from geo_app.cli._trends_stacking import add_stacking
    from geo_app.cli.analyse import _codes
    from layers.export import write_table
    from models.trends import TrendRule, compute_trends

    suffix = args.out.suffix.lower()
    if suffix not in _FORMATS:
        raise InputError(
            f"Unsupported output format {suffix!r} for trends; use {', '.join(_FORMATS)}.",
            nl=f"Onbekend uitvoerformaat {suffix!r}; kies {', '.join(_FORMATS)}.",
        )
    codes = None if args.whole_country else _codes(args.municipality)
    themes = _themes(args)
    population = None
    if args.population is not None:
        from cbs_ingest.population import read_population

        population = read_population(args.population)

    def progress(fraction: float, text: str) -> None:
        print(f"[{fraction:4.0%}] {text}", file=sys.stderr)

    series = {
        theme: load_series(
            theme,
            args.first,
            args.last,
            codes,
            level=args.level,
            refresh=args.refresh,
            progress=progress,
        )
        for theme in themes
    }
    rows = pd.concat([s.rows for s in series.values()], ignore_index=True)
    if not (rows["level"] == args.level).any():
        raise InputError(
            f"No {args.level} areas in the series of {args.first}–{args.last}.",
            nl=f"Geen gebieden ({args.level}) in de reeksen van {args.first}–{args.last}.",
        )

    def load_more(first: int, last: int, more: list[str]) -> pd.DataFrame:
        frames = [
            load_series(theme, first, last, more, level=args.level, refresh=args.refresh).rows
            for theme in themes
        ]
        return pd.concat(frames, ignore_index=True)

    rows, notes = harmonise(
        rows,
        codes=codes,
        first=args.first,
        last=args.last,
        level=args.level,
        load=load_more,
        refresh=args.refresh,
        progress=progress,
        population=population,
    )
    rule = TrendRule()
    try:
        trends = compute_trends(
            rows,
            first=args.first,
            last=args.last,
            counts=COUNT_INDICATORS,
            rates=RATE_INDICATORS,
            rule=rule,
            mergers=GEMEENTE_MERGERS,
            breaks=SERIES_BREAKS,
        ).trends
    except ValueError as exc:
        raise InputError(f"Trends not possible: {exc}") from exc
    rows, trends, extra, stacking = add_stacking(
        rows, trends, first=args.first, last=args.last, level=args.level, rule=rule
    )
    table = _long_table(rows, trends, last=args.last, signal=args.signal)
    metadata = _metadata(series, codes, args, rule) | extra
    metadata["opmerkingen"] = [*metadata["opmerkingen"], *notes]
    written = write_table(table, args.out, metadata=metadata)
    count = trends[
        trends["indicator"].isin(COUNT_INDICATORS.values()) & (trends["level"] == args.level)
    ]
    flagged = int(count["trend_flag"].fillna(False).sum()) if args.signal else None
    print(
        f"Trends {args.first}–{args.last} for {count['code'].nunique()} {args.level} areas, "
        f"{len(themes)} theme(s): {int(count['comparable'].sum())} area-themes with a trend "
        f"({int((count['comparable'] & count['harmonised']).sum())} harmonised), "
        f"{int((~count['comparable']).sum())} without (reason given)"
        + (f", {flagged} oplopend." if flagged is not None else ".")
    )
    print(stacking)
    print("Wrote " + ", ".join(str(p) for p in written))
    return 0
