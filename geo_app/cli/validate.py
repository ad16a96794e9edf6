"""``stapelkaart validate``: check a file of municipal figures before it is used.

Runs exactly the checks of the app's upload step and prints every finding. It
reads the file and writes nothing. Exit code 0 when the file can be used,
1 when it is refused.
"""

from __future__ import annotations

import argparse
import functools
from pathlib import Path

from cbs_ingest.errors import InputError
from layers.upload import validate_upload

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``validate`` subcommand."""
    parser = subparsers.add_parser(
        "validate",
        help="check a CSV/XLSX file of municipal figures per buurt or wijk (writes nothing)",
        description="Check a file of aggregated municipal figures the way the app's upload "
        "step does: encoding, separator, header, codes, counts, person-level data, "
        "cells below the disclosure threshold.",
    )
    parser.add_argument("file", type=Path, help=".csv or .xlsx file")
    parser.add_argument(
        "--level",
        "-l",
        choices=("buurt", "wijk"),
        default="buurt",
        help="level of the codes (default: buurt)",
    )
    parser.add_argument(
        "--municipality",
        "-m",
        "--gemeente",
        dest="gemeente",
        metavar="GMxxxx",
        help="codes must belong to this gemeente",
    )
    parser.add_argument(
        "--codes", type=Path, metavar="FILE", help="file with the known area codes, one per line"
    )
    parser.add_argument(
        "--pair",
        action="append",
        default=[],
        metavar="NUM=DEN",
        help="numerator and denominator columns (repeatable)",
    )
    parser.add_argument(
        "--threshold", type=int, default=10, help="disclosure threshold (default: 10)"
    )
    parser.add_argument("--sheet", help="XLSX sheet name (default: the first)")
    parser.add_argument("--max-mb", type=float, default=5.0, help="size limit in MB")
    parser.add_argument(
        "--max-rows",
        type=int,
        default=20_000,
        metavar="N",
        help="refuse files with more data rows (default: 20000)",
    )
    parser.add_argument(
        "--lang", choices=("en", "nl"), default="en", help="language of the findings"
    )
    return parser


def _known_codes(args: argparse.Namespace) -> list[str] | None:
    if args.codes is not None:
        try:
            text = args.codes.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"Cannot read codes file {args.codes}: {exc}") from None
        return [line.strip() for line in text.splitlines() if line.strip()]
    if args.gemeente and args.gemeente.upper() == "GM9999":
        return list(_demo_codes(args.level))
    return None


@functools.cache
def _demo_codes(level: str) -> tuple[str, ...]:
    from cbs_ingest.demo import make_demo

    return tuple(make_demo()[level]["code"])


def run(args: argparse.Namespace) -> int:
    """Validate the file and print the findings."""
    if args.threshold < 1:
        raise InputError("--threshold must be at least 1.")
    if args.max_rows < 1:
        raise InputError("--max-rows must be at least 1.")
    pairs = {}
    for item in args.pair:
        num, sep, den = item.partition("=")
        if not sep or not num or not den:
            raise InputError(f"--pair must look like NUM=DEN, got {item!r}.")
        pairs[num] = den
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise InputError(f"Cannot read {args.file}: {exc.strerror}.") from None
    known = _known_codes(args)
    result = validate_upload(
        data,
        args.file.name,
        level=args.level,
        gemeentecode=args.gemeente,
        known_codes=known,
        pairs=pairs,
        threshold=args.threshold,
        max_bytes=int(args.max_mb * 1_000_000),
        max_rows=args.max_rows,
        sheet=args.sheet,
    )
    for issue in result.issues:
        where = ", ".join(
            p
            for p in (
                f"row {issue.row}" if issue.row else "",
                f"column {issue.column!r}" if issue.column else "",
            )
            if p
        )
        text = issue.message if args.lang == "nl" else issue.message_en
        print(f"{issue.severity.upper():7} {text}" + (f" [{where}]" if where else ""))
    if known is None:
        print(
            "NOTE    codes were checked for their pattern"
            + (" and gemeente" if args.gemeente else "")
            + " only; pass --codes to check them against the area list"
        )
    if result.ok:
        n_cols = len(result.frame.columns) - 1
        print(
            f"OK: {len(result.frame)} areas, {n_cols} column(s), "
            f"{len(result.below_threshold)} cell(s) below {args.threshold} to be suppressed. "
            "Nothing was written."
        )
        return 0
    print(f"REFUSED: {len(result.errors)} error(s). Nothing was written.")
    return 1
