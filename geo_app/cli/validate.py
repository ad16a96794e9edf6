"""``stapelkaart validate``: check a file of municipal figures before it is used.

Runs exactly the checks of the app's upload step and prints every finding. It
reads the file and writes nothing. Exit code 0 when the file can be used,
1 when it is refused.

A file that names its areas instead of coding them (such as an "in Cijfers"
export) is matched to the CBS names of ``--gemeente`` in ``--year``, read from
the local cache of ``stapelkaart ingest`` (never from the network). The matches,
suggestions and unmatched names are printed; ``--accept NAME=CODE`` confirms a
suggestion.
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
        choices=("buurt", "wijk"),
        default="buurt",
        help="level of the codes (default: buurt)",
    )
    parser.add_argument("--gemeente", metavar="GMxxxx", help="codes must belong to this gemeente")
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
    parser.add_argument(
        "--year",
        type=int,
        default=2024,
        help="KWB year whose cached area names are used for a file with names (default: 2024)",
    )
    parser.add_argument(
        "--accept",
        action="append",
        default=[],
        metavar="NAME=CODE",
        help="confirm a suggested match of an area name in the file (repeatable)",
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


def _accepted(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, code = item.rpartition("=")
        if not sep or not name.strip() or not code.strip():
            raise InputError(f"--accept must look like NAME=CODE, got {item!r}.")
        out[name.strip()] = code.strip().upper()
    return out


def _print_names(match, areas: dict[str, str]) -> None:
    counts = match.counts()
    n = counts["exact"] + counts["normalised"] + counts["accepted"]
    print(
        f"NAMES   {n} matched ({counts['exact']} exact, {counts['normalised']} normalised, "
        f"{counts['accepted']} accepted), {counts['suggested']} suggested, "
        f"{counts['unmatched']} unmatched"
    )
    for name, code in match.matched.items():
        print(f"MATCH   {name!r} -> {code} {areas.get(code, '')!r} ({match.how[name]})")
    for name, found in match.suggestions.items():
        options = "; ".join(f"{c.code} {c.name!r} ({c.score:.0f})" for c in found)
        print(f"SUGGEST {name!r} -> {options}")
    for name in match.unmatched:
        print(f"NOMATCH {name!r}")
    if match.suggestions:
        print('        confirm a suggestion with --accept "NAME=CODE"; until then it is not used')


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
    accepted = _accepted(args.accept)
    known = _known_codes(args)
    options = {
        "level": args.level,
        "gemeentecode": args.gemeente,
        "known_codes": known,
        "pairs": pairs,
        "threshold": args.threshold,
        "max_bytes": int(args.max_mb * 1_000_000),
        "max_rows": args.max_rows,
        "sheet": args.sheet,
        "accepted_names": accepted,
    }
    result = validate_upload(data, args.file.name, **options)
    areas = None
    names_offline = any(i.kind == "names_unchecked" for i in result.errors)
    if names_offline and args.gemeente:
        from cbs_ingest.cached_names import cached_area_names

        areas = cached_area_names(args.year, args.gemeente, level=args.level)
        if areas is not None:
            result = validate_upload(data, args.file.name, area_names=areas, **options)
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
    if result.names is not None:
        _print_names(result.names, areas or {})
    elif names_offline:
        gemeente = args.gemeente.upper() if args.gemeente else "GMxxxx"
        reason = (
            f"no cached CBS data for {gemeente} in {args.year}"
            if args.gemeente
            else "--gemeente was not given"
        )
        print(
            f"NOTE    the file names its areas; the names cannot be checked offline: {reason}. "
            f"Fetch the CBS data first: stapelkaart ingest --year {args.year} "
            f"--municipality {gemeente}"
        )
    if known is None and result.names is None:
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
