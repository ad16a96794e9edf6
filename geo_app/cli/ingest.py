"""``stapelkaart ingest``: fetch one KWB year with geometry into the area store."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path

from cbs_ingest import load
from cbs_ingest.columns import KWB_TABLES, LEVELS
from cbs_ingest.store import data_dir
from geo_app.cli._options import add_scope, add_year, one_line_errors

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``ingest`` subcommand."""
    years = ", ".join(str(y) for y in sorted(KWB_TABLES))
    parser = subparsers.add_parser(
        "ingest",
        help="fetch CBS Kerncijfers Wijken en Buurten with geometry into the area store",
        description=(
            "Fetch one year of CBS Kerncijfers Wijken en Buurten for one or more gemeenten "
            "(or the whole country), join it to the Wijk- en buurtkaart geometry and keep it in "
            "the area store. Gemeenten the store already holds are not fetched again. "
            "STAPELKAART_CBS_URL / STAPELKAART_PDOK_URL point at other servers; "
            "STAPELKAART_DATA_DIR moves the store."
        ),
    )
    add_year(parser, required=True, help=f"reference year ({years})")
    add_scope(parser)
    parser.add_argument(
        "--geometry-file",
        "-g",
        type=Path,
        help="CBS Wijk- en buurtkaart GeoPackage (layers gemeenten, wijken, buurten); "
        "PDOK is used when omitted",
    )
    parser.add_argument(
        "--refresh",
        "-r",
        action="store_true",
        help="download again even if the store holds these gemeenten",
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    one_line_errors(parser, "ingest")
    return parser


def _progress(quiet: bool):
    def show(fraction: float, message: str) -> None:
        if not quiet:
            # Progress goes to stdout, before the summary; stderr carries only the
            # one-line error of a failed run.
            print(f"[{100 * fraction:3.0f}%] {message}", flush=True)

    return show


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _seconds(age: timedelta | None) -> float:
    return age.total_seconds() if age is not None else 0.0


def run(args: argparse.Namespace) -> int:
    """Ingest and print a short summary."""
    municipalities = None if args.whole_country else _split(args.municipality)
    result = load(
        args.year,
        municipalities,
        geometry_file=args.geometry_file,
        progress=_progress(args.quiet),
        refresh=args.refresh,
    )
    prov = result.provenance
    names = prov.get("gemeenten", {})
    if municipalities is None:
        scope = f"the whole country ({len(names)} gemeenten)"
    else:
        scope = ", ".join(f"{code} {names.get(code, '')}".strip() for code in sorted(names))
    table = prov.get("table_id") or "demo"
    print(f"KWB {prov.get('year')} ({table}) for {scope}")
    for level, line in zip(LEVELS, result.report.lines(), strict=True):
        print(f"  {len(result.frames[level]):>6} {level} rows; join {line.split(': ', 1)[1]}")
    if result.stale:
        print(
            f"  WARNING: source unavailable ({result.stale_reason}); served the stored copy, "
            f"{_age(_seconds(result.cache_age))} old"
        )
    elif result.from_cache:
        print(f"  served from the area store ({_age(_seconds(result.cache_age))} old)")
    for note in result.notes:
        print(f"  note: {note}")
    where = result.store_location or f"{data_dir() / 'store'} (the demo is not stored)"
    print(f"Store: {where}")
    return 0


def _split(values: list[str]) -> list[str]:
    """Codes from repeated and comma-separated ``-m`` values."""
    return [c.strip() for value in values for c in value.split(",") if c.strip()]
