"""``stapelkaart data``: what the area store holds (``list``) and removing from it (``remove``)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from geo_app.cli._options import add_municipality, add_year, one_line_errors

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``data`` subcommand with its ``list`` and ``remove`` actions."""
    parser = subparsers.add_parser(
        "data",
        help="list or remove what the area store holds",
        description=(
            "The area store keeps every gemeente ingested, per year, in the data directory "
            "(STAPELKAART_DATA_DIR), and the social-domain series of 'stapelkaart trends'. 'list' "
            "shows years, gemeenten, age and source, and per series theme the periods, "
            "gemeenten and age, and per table its gemeenten and age; 'remove' "
            "deletes a year or some gemeenten of it, or (--series) stored series by table "
            "and/or gemeente."
        ),
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="years, gemeenten, age and source; stored series too")
    add_year(listing, help="only this year")
    add_municipality(listing, help="only this gemeente; repeat for more")
    listing.add_argument(
        "--gemeenten", action="store_true", help="one line per gemeente, also for large years"
    )
    remove = actions.add_parser(
        "remove", help="delete a year or gemeenten of it; --series: stored series"
    )
    add_year(remove, help="the year (areas; with --series: the series tables of that year)")
    add_municipality(
        remove, help="only this gemeente; repeat for more (default: the whole year, every gemeente)"
    )
    remove.add_argument(
        "--series",
        action="store_true",
        help="remove stored social-domain series (of stapelkaart trends) instead of areas",
    )
    remove.add_argument(
        "--table",
        action="append",
        metavar="TABLE_ID",
        help="with --series: only this CBS table (e.g. 85995NED); repeat for more",
    )
    for sub, name in ((parser, "data"), (listing, "data list"), (remove, "data remove")):
        one_line_errors(sub, name)
    return parser


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _when(moment: datetime) -> str:
    age = (datetime.now(UTC) - moment).total_seconds()
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC ({_age(age)} old)"


def run(args: argparse.Namespace) -> int:
    """List or remove."""
    from cbs_ingest.store import open_store

    store = open_store()
    for note in store.notes:
        print(f"note: {note}")
    if args.action == "remove":
        return _remove(store, args)
    return _list(store, args)


def _remove(store: Any, args: argparse.Namespace) -> int:
    from cbs_ingest import remove_areas
    from cbs_ingest.errors import InputError
    from cbs_ingest.ingest import normalise_codes as _codes

    codes = _codes(args.municipality) if args.municipality else None
    if args.series or args.table:
        return _remove_series(store, args, codes)
    if args.year is None:
        _usage("the following arguments are required: --year/-y (or --series)")
    removed = remove_areas(args.year, codes)
    what = f"{args.year}" + (f" {', '.join(codes)}" if codes else "")
    if removed == 0:
        raise InputError(
            f"The area store holds nothing for {what}; see stapelkaart data list.",
            nl=f"De gebiedsopslag bevat niets voor {what}.",
        )
    print(f"Removed {_count(removed)} of {what} from the area store in {store.location}.")
    return 0


def _usage(message: str) -> None:
    """A usage mistake: one line naming the command's help, exit code 2."""
    from geo_app.cli._options import _one_line_error

    _one_line_error("data remove")(message)


def _remove_series(store: Any, args: argparse.Namespace, codes: list[str] | None) -> int:
    from cbs_ingest.errors import InputError
    from cbs_ingest.series_tables import SERIES_TABLES, series_table

    tables = [series_table(t).table_id for t in args.table] if args.table else None
    if args.year is not None:
        of_year = [t.table_id for t in SERIES_TABLES.values() if t.year == args.year]
        tables = [t for t in (tables or of_year) if t in of_year]
        if not tables:
            raise InputError(
                f"No series table of {args.year}" + (" among --table." if args.table else "."),
                nl=f"Geen CBS-reekstabel van {args.year}.",
            )
    if tables is None and codes is None:
        _usage("--series needs --table, --year or --municipality (or several)")
    removed = store.remove_series(tables, codes)
    what = ", ".join([*(tables or []), *(codes or [])])
    if not removed:
        raise InputError(
            f"The area store holds no series of {what}; see stapelkaart data list.",
            nl=f"De gebiedsopslag bevat geen reeksen van {what}.",
        )
    held = sorted({r.table_id for r in removed})
    gemeenten = sorted({r.code for r in removed})
    print(
        f"Removed the series of {len(held)} table(s) ({', '.join(held)}) for "
        f"{_count(len(gemeenten))} from the area store in {store.location}."
    )
    return 0


def _list(store: Any, args: argparse.Namespace) -> int:
    from cbs_ingest.ingest import normalise_codes as _codes

    records = store.list()
    codes = set(_codes(args.municipality) or ()) if args.municipality else None
    records = [
        r
        for r in records
        if (args.year is None or r.year == args.year) and (codes is None or r.code in codes)
    ]
    series = _series_of(store, args, codes)
    print(f"Area store: {store.location}")
    if not records and not series:
        print("  nothing stored" + (" for this selection" if args.year or codes else "")
              + "; fetch data with: stapelkaart ingest --year YYYY -m GMxxxx"
              + " or stapelkaart trends ...")  # fmt: skip
        return 0
    if records:
        _list_areas(store, records, args, codes)
    if series:
        _list_series(store, series, args, codes)
    return 0


def _list_areas(store: Any, records: list, args: argparse.Namespace, codes: set | None) -> None:
    complete = store.complete_years()
    damaged = set(store.damaged())
    for year in sorted({r.year for r in records}, reverse=True):
        of_year = [r for r in records if r.year == year]
        tables = ", ".join(sorted({r.table_id for r in of_year}))
        whole = "the whole country, " if year in complete and codes is None else ""
        buurten = sum(r.rows.get("buurt", 0) for r in of_year)
        wijken = sum(r.rows.get("wijk", 0) for r in of_year)
        print(
            f"{year} ({tables}): {whole}{_count(len(of_year))}, {wijken} wijken, "
            f"{buurten} buurten; oldest {_when(min(r.retrieved_at for r in of_year))}"
        )
        sources: dict[tuple[str, str], int] = {}
        for r in of_year:
            key = (r.cbs_url, r.geometry_source)
            sources[key] = sources.get(key, 0) + 1
        for (cbs, geometry), n in sorted(sources.items()):
            print(f"  source: CBS {cbs}; geometry {geometry} ({_count(n)})")
        if args.gemeenten or codes is not None or len(of_year) <= 20:
            for r in of_year:
                print(
                    f"  {r.code} {r.name}: {r.rows.get('buurt', 0)} buurten, "
                    f"{r.rows.get('wijk', 0)} wijken; retrieved {_when(r.retrieved_at)}"
                )
        else:
            print(f"  (use --gemeenten or -m GMxxxx to list each of the {len(of_year)} gemeenten)")
    for name in sorted(damaged):
        print(f"DAMAGED: {name} fails its checksum or is missing; it is fetched again on the "
              f"next load, or remove its year with stapelkaart data remove")  # fmt: skip


def _series_of(store: Any, args: argparse.Namespace, codes: set | None) -> list:
    """Stored series records of the selection (a year: tables with a period in it)."""
    records = store.series_records()
    return [
        r
        for r in records
        if (codes is None or r.code in codes)
        and (args.year is None or any(p.startswith(str(args.year)) for p in r.periods))
    ]


def _periods(periods: set[str]) -> str:
    ordered = sorted(periods, key=lambda p: (p[:4], p[4:] == "", p))  # 2020H1 before 2020
    if len(ordered) < 2:
        return f"period {ordered[0]}" if ordered else "no periods"
    return f"{ordered[0]}–{ordered[-1]} ({len(ordered)} periods)"


def _list_series(store: Any, records: list, args: argparse.Namespace, codes: set | None) -> None:
    complete = store.series_complete()
    print("Series (stapelkaart trends):")
    groups: dict[tuple[str, str], list] = {}
    for r in records:
        groups.setdefault((r.theme, r.level), []).append(r)
    for (theme, level), group in sorted(groups.items()):
        tables = sorted({r.table_id for r in group})
        gemeenten = sorted({r.code for r in group})
        whole = all((t, level) in complete for t in tables) and codes is None
        where = "the whole country, " if whole else ""
        periods = _periods({p for r in group for p in r.periods})
        print(
            f"{theme} per {level} ({', '.join(tables)}): {where}{_count(len(gemeenten))}, "
            f"{periods}; oldest {_when(min(r.retrieved_at for r in group))}"
        )
        for cbs in sorted({r.cbs_url for r in group}):
            print(f"  source: CBS {cbs}")
        for table in tables:
            mine = [r for r in group if r.table_id == table]
            held = (
                "the whole country"
                if (table, level) in complete and codes is None
                else (_count(len(mine)))
            )
            print(
                f"  table {table}: {held}, {_periods({p for r in mine for p in r.periods})}; "
                f"retrieved {_when(min(r.retrieved_at for r in mine))}"
            )
        if args.gemeenten or codes is not None or len(gemeenten) <= 20:
            for code in gemeenten:
                mine = [r for r in group if r.code == code]
                rows = sum(r.rows for r in mine)
                print(
                    f"  {code}: {len(mine)} tables, {rows} values, "
                    f"{_periods({p for r in mine for p in r.periods})}; "
                    f"retrieved {_when(min(r.retrieved_at for r in mine))}"
                )
        else:
            print(
                f"  (use --gemeenten or -m GMxxxx to list each of the {len(gemeenten)} gemeenten)"
            )


def _count(n: int) -> str:
    return f"{n} gemeente" if n == 1 else f"{n} gemeenten"
