"""``stapelkaart ingest``: fetch one KWB year with geometry into the cache."""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

from cbs_ingest import load
from cbs_ingest.cache import cache_dir
from cbs_ingest.columns import KWB_TABLES, LEVELS

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``ingest`` subcommand."""
    years = ", ".join(str(y) for y in sorted(KWB_TABLES))
    parser = subparsers.add_parser(
        "ingest",
        help="fetch CBS Kerncijfers Wijken en Buurten with geometry into the cache",
        description=(
            "Fetch one year of CBS Kerncijfers Wijken en Buurten for one or more gemeenten "
            "(or the whole country), join it to the Wijk- en buurtkaart geometry and cache it "
            "as GeoParquet. STAPELKAART_CBS_URL / STAPELKAART_PDOK_URL point at other servers; "
            "STAPELKAART_DATA_DIR moves the cache."
        ),
    )
    parser.add_argument("--year", type=int, required=True, help=f"reference year ({years})")
    scope = parser.add_mutually_exclusive_group(required=True)
    scope.add_argument(
        "--municipality",
        "-m",
        action="append",
        metavar="GMxxxx",
        help="gemeente code, e.g. GM0505; repeat for more gemeenten",
    )
    scope.add_argument(
        "--whole-country", action="store_true", help="all gemeenten of the Netherlands"
    )
    parser.add_argument(
        "--geometry-file",
        type=Path,
        help="CBS Wijk- en buurtkaart GeoPackage (layers gemeenten, wijken, buurten); "
        "PDOK is used when omitted",
    )
    parser.add_argument(
        "--refresh", action="store_true", help="download again even if the request is cached"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress lines")
    parser.error = _one_line_error  # type: ignore[method-assign]
    return parser


def _one_line_error(message: str) -> NoReturn:
    """Usage mistakes end like every other bad input: one line, exit code 2."""
    print(f"stapelkaart: error: ingest: {message} (see stapelkaart ingest --help)", file=sys.stderr)
    raise SystemExit(2)


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
    municipalities = None if args.whole_country else args.municipality
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
            f"  WARNING: source unavailable ({result.stale_reason}); served the cached copy, "
            f"{_age(_seconds(result.cache_age))} old"
        )
    elif result.from_cache:
        print(f"  served from cache ({_age(_seconds(result.cache_age))} old)")
    for note in result.notes:
        print(f"  note: {note}")
    where = result.cache_path or f"{cache_dir()} (the demo is not cached)"
    print(f"Cache: {where}")
    return 0
