"""``stapelkaart analyse``: run the stacking analysis for gemeenten and write the result."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cbs_ingest.errors import InputError

__all__ = ["add_parser", "run", "build_metadata"]

_DEMO = "GM9999"


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``analyse`` subcommand."""
    from layers.export import FORMATS
    from layers.profiles import PROFILES
    from models.analysis import SCOPES
    from models.typology import METHODS

    parser = subparsers.add_parser(
        "analyse",
        help="stacking analysis (indicators, scores, clusters, hotspots) for gemeenten",
        description=(
            "Compute indicators, stacking scores, a cluster typology and spatial hotspots for "
            "the buurten or wijken of one or more gemeenten, and write them to a file. "
            f"Use --municipality {_DEMO} for the fictitious demo gemeente (no network)."
        ),
    )
    parser.add_argument("--year", type=int, default=2024, help="KWB reference year (default 2024)")
    parser.add_argument(
        "--municipality",
        action="append",
        required=True,
        metavar="GMxxxx",
        help="gemeente code; repeat or separate with commas for several",
    )
    parser.add_argument("--level", choices=("buurt", "wijk"), default="buurt")
    parser.add_argument("--profile", choices=tuple(PROFILES), default="default")
    parser.add_argument(
        "--scope",
        choices=tuple(SCOPES),
        default="gemeente",
        help="compare within each gemeente (default), within the selection, or nationally",
    )
    parser.add_argument("--method", choices=tuple(METHODS), default="kmeans", help="clustering")
    parser.add_argument(
        "--clusters",
        type=int,
        default=None,
        help="number of clusters (default: chosen by silhouette)",
    )
    parser.add_argument(
        "--permutations", type=int, default=999, help="hotspot permutations (0: skip)"
    )
    parser.add_argument(
        "--alpha", type=float, default=0.05, help="significance level (default 0.05)"
    )
    parser.add_argument("--fdr", action="store_true", help="false-discovery-rate correction")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        help="output file: " + ", ".join(f"{k} ({v})" for k, v in FORMATS.items()),
    )
    return parser


def _codes(values: Sequence[str]) -> list[str]:
    codes = [c.strip().upper() for value in values for c in value.split(",") if c.strip()]
    bad = [c for c in codes if not (c.startswith("GM") and len(c) == 6 and c[2:].isdigit())]
    if bad:
        raise InputError(
            f"Not a gemeente code: {', '.join(bad)} (expected GM followed by four digits).",
            nl=f"Geen gemeentecode: {', '.join(bad)} (verwacht GM gevolgd door vier cijfers).",
        )
    return list(dict.fromkeys(codes))


def _load(year: int, codes: list[str] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """Frames and provenance via ``cbs_ingest.load`` (the demo gemeente included)."""
    import cbs_ingest

    result = cbs_ingest.load(year, codes)
    info: dict[str, Any] = {"provenance": result.provenance, "from_cache": result.from_cache}
    if result.stale:
        info["warning"] = "served from cache because the source failed"
        print(
            f"stapelkaart: warning: CBS unreachable ({result.stale_reason}); "
            "using the cached copy.",
            file=sys.stderr,
        )
    return result.frames, info


def build_metadata(
    result: Any,
    *,
    year: int,
    codes: Sequence[str],
    level: str,
    provenance: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Sources, settings and column meanings of an analysis, for the export files."""
    from cbs_ingest.columns import KWB_TABLES
    from geo_app.session.i18n import HOTSPOT_LABELS, hotspot_label
    from layers.indicators import get_indicator

    columns = {}
    for key in result.indicators.values():
        try:
            ind = get_indicator(key)
        except KeyError:
            continue
        columns[key] = f"{ind.label_nl} ({ind.source})"
        columns[key + "_smoothed"] = (
            f"{ind.label_nl}, gladgestreken naar het niveau van de gemeente naar mate het "
            "cijfer op weinig inwoners rust (empirical Bayes)"
        )
    columns.update(
        stacking_score="Stapelingsscore: gemiddelde z-score van de thema's "
        "(hoger = meer stapeling)",
        stacking_percentile="Percentiel van de stapelingsscore binnen de vergelijkingsgroep",
        mean_percentile="Gemiddeld percentiel van de thema's",
        themes_high="Aantal thema's boven de drempel",
        stacking_flag="Stapelgebied (genoeg thema's boven de drempel)",
        n_indicators="Aantal thema's met gegevens waarop de score rust",
        reliability="Betrouwbaarheid van de cijfers (0-1): aandeel echt verschil tussen "
        "gebieden in plaats van toeval",
        reliability_class="high (betrouwbaar), moderate (redelijk betrouwbaar), low (rust op "
        "weinig inwoners), unknown",
        stacking_percentile_lo="Percentiel van de stapelingsscore: ondergrens (5 %) over de "
        "redelijke varianten",
        stacking_percentile_hi="Percentiel van de stapelingsscore: bovengrens (95 %) over de "
        "redelijke varianten",
        stacking_stability="Aandeel redelijke varianten (drempel P75-P85, z of percentiel, "
        "gewichten ±25 %, inkomen één of twee keer, ruis in de aantallen) waarin het gebied "
        "een stapelgebied is",
        stability_class="stable (80 % of meer), borderline (20-80 %), rarely (minder dan "
        "20 %), unknown, not computed",
        cluster="Clusternummer (1 = meeste stapeling)",
        cluster_label="Profiel van het cluster",
        hotspot="Local Moran's I: "
        + "; ".join(f"{code} = {hotspot_label(code)}" for code in HOTSPOT_LABELS),
        gi_hotspot="Getis-Ord Gi*: hot, cold, not significant, no neighbours, no data",
    )
    table = KWB_TABLES.get(year, "onbekend")
    sources = [
        f"CBS Kerncijfers wijken en buurten {year} (tabel {table}), CC BY 4.0, Bron: CBS",
        "CBS/Kadaster Wijk- en buurtkaart (PDOK), CC BY 4.0",
    ]
    if list(codes) == [_DEMO]:
        from cbs_ingest.demo import DEMO_NOTICE_NL

        sources = [DEMO_NOTICE_NL]
    return {
        "titel": "Stapelkaart: stapeling van sociale opgaven",
        "gemaakt_op": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "bronnen": sources,
        "herkomst": provenance or {},
        "gemeenten": list(codes),
        "niveau": level,
        "instellingen": result.settings,
        "opmerkingen": list(result.notes),
        "kolommen": columns,
    }


def run(args: argparse.Namespace) -> int:
    """Load, analyse and write."""
    from layers.export import FORMATS, write_table
    from models.analysis import run_analysis

    suffix = args.out.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(
            f"Unsupported output format {suffix!r}; use {', '.join(FORMATS)}.",
            nl=f"Onbekend uitvoerformaat {suffix!r}; kies {', '.join(FORMATS)}.",
        )
    if args.permutations < 0 or not 0 < args.alpha < 1:
        raise InputError("--permutations must be >= 0 and --alpha between 0 and 1.")
    codes = _codes(args.municipality)
    frames, info = _load(args.year, codes)
    frame = frames[args.level]
    frame = frame[frame["gemeentecode"].isin(codes)].reset_index(drop=True)
    if frame.empty:
        raise InputError(
            f"No {args.level} areas found for {', '.join(codes)} in {args.year}.",
            nl=f"Geen gebieden ({args.level}) gevonden voor {', '.join(codes)} in {args.year}.",
        )
    reference = None
    if args.scope == "national":
        reference = _load(args.year, None)[0][args.level]

    def progress(fraction: float, text: str) -> None:
        print(f"[{fraction:4.0%}] {text}", file=sys.stderr)

    try:
        result = run_analysis(
            frame,
            profile=args.profile,
            scope=args.scope,
            reference=reference,
            cluster_method=args.method,
            n_clusters=args.clusters,
            permutations=args.permutations,
            alpha=args.alpha,
            fdr=args.fdr,
            seed=args.seed,
            progress=progress,
        )
    except ValueError as exc:
        raise InputError(f"Analysis not possible: {exc}") from exc
    metadata = build_metadata(
        result, year=args.year, codes=codes, level=args.level, provenance=info
    )
    written = write_table(result.table, args.out, metadata=metadata)
    table = result.table
    print(
        f"Analysed {len(table)} {args.level} areas of {', '.join(codes)}: "
        f"{int(table['stacking_flag'].sum())} stacking areas, "
        f"{int(table['stacking_score'].notna().sum())} scored, "
        f"{result.typology.k if result.typology else 0} clusters, "
        f"{int((table['hotspot'] == 'High-High').sum())} High-High hotspots."
    )
    print("Wrote " + ", ".join(str(p) for p in written))
    return 0
