"""``stapelkaart demo``: write the fictitious demo gemeente to a file."""

from __future__ import annotations

import argparse
from pathlib import Path

from cbs_ingest.demo import DEMO_GEMEENTE_NAME, make_demo
from cbs_ingest.errors import InputError

__all__ = ["add_parser", "run"]

_SUFFIXES = {".gpkg": "GPKG", ".geojson": "GeoJSON", ".parquet": "parquet"}


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo",
        help="generate the fictitious demo gemeente (no network needed)",
        description=f"Generate {DEMO_GEMEENTE_NAME}: fictitious, labelled as such, from a seed.",
    )
    parser.add_argument("--seed", type=int, default=2024, help="random seed (default: 2024)")
    parser.add_argument("--buurten", type=int, default=60, help="number of buurten, 20-200")
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        help=(
            "output file: .gpkg (layers buurten, wijken, gemeenten), .geojson or .parquet (buurten)"
        ),
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Generate the demo and write it."""
    suffix = args.out.suffix.lower()
    if suffix not in _SUFFIXES:
        raise InputError(f"Unsupported output format {suffix!r}; use .gpkg, .geojson or .parquet.")
    if not 20 <= args.buurten <= 200:
        raise InputError("--buurten must be between 20 and 200.")
    frames = make_demo(seed=args.seed, n_buurten=args.buurten)
    tmp = args.out.with_name(f".{args.out.stem}.partial{suffix}")
    tmp.unlink(missing_ok=True)
    try:
        if suffix == ".gpkg":
            for level, layer in (
                ("buurt", "buurten"),
                ("wijk", "wijken"),
                ("gemeente", "gemeenten"),
            ):
                frames[level].to_file(tmp, layer=layer, driver="GPKG")
        elif suffix == ".geojson":
            frames["buurt"].to_crs(4326).to_file(tmp, driver="GeoJSON")
        else:
            frames["buurt"].to_parquet(tmp)
        tmp.replace(args.out)
    finally:
        tmp.unlink(missing_ok=True)
    n = len(frames["buurt"])
    print(f"Wrote {n} buurten, {len(frames['wijk'])} wijken of {DEMO_GEMEENTE_NAME} to {args.out}")
    return 0
