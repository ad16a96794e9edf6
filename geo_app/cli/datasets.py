"""``stapelkaart datasets``: the municipality's own datasets, shared with every allowed user.

- ``add FILE --gemeente GMxxxx --level buurt|wijk --year YYYY --name NAME``
  validates the file exactly as the app's upload step does, protects it with
  disclosure control exactly as the app does, and stores only the protected
  values (``--replace`` makes a new version of an existing dataset);
- ``list`` shows the current datasets (``--all-versions`` also the earlier ones);
- ``remove NAME --gemeente GMxxxx --year YYYY`` removes a dataset for everyone;
- ``audit`` prints the audit log or writes it to a CSV file.

Every change is recorded in the audit log with ``--user`` (default: the
operating system's user name) and the role ``cli``.
"""

from __future__ import annotations

import argparse
import getpass
from pathlib import Path

from cbs_ingest.errors import InputError

__all__ = ["add_parser", "run"]

_ROLE = "cli"


def _gemeente_option(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument(
        "--municipality",
        "-m",
        "--gemeente",
        dest="gemeente",
        required=required,
        metavar="GMxxxx",
        help="gemeente code, e.g. GM0599",
    )


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``datasets`` subcommand and its actions."""
    parser = subparsers.add_parser(
        "datasets",
        help="store, list and remove the municipality's own datasets (shared with all users)",
        description="The municipality's own aggregated figures, stored after disclosure "
        "control so every user whose role allows them sees them. The store is a file in the "
        "data directory (STAPELKAART_DATASETS_FILE moves it).",
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="validate, protect and store a file of figures")
    add.add_argument("file", type=Path, help=".csv or .xlsx file")
    _gemeente_option(add, required=True)
    add.add_argument("--level", choices=("buurt", "wijk"), required=True)
    add.add_argument("--year", type=int, required=True, help="KWB year of the areas")
    add.add_argument("--name", required=True, help="dataset name (what roles refer to)")
    add.add_argument(
        "--replace", action="store_true", help="store a new version of an existing dataset"
    )
    add.add_argument("--pair", action="append", default=[], metavar="NUM=DEN")
    add.add_argument("--sheet", help="XLSX sheet name (default: the first)")
    add.add_argument("--accept", action="append", default=[], metavar="NAME=CODE")
    add.add_argument("--threshold", type=int, default=10, help="disclosure threshold")
    add.add_argument("--user", help="who stores it (default: the system user name)")
    lister = actions.add_parser("list", help="show the stored datasets")
    _gemeente_option(lister, required=False)
    lister.add_argument("--year", type=int)
    lister.add_argument("--all-versions", action="store_true", help="also earlier versions")
    remove = actions.add_parser("remove", help="remove a dataset for everyone")
    remove.add_argument("name")
    _gemeente_option(remove, required=True)
    remove.add_argument("--year", type=int, required=True)
    remove.add_argument("--user", help="who removes it (default: the system user name)")
    audit = actions.add_parser("audit", help="show the audit log, or export it")
    audit.add_argument("--out", type=Path, help="write the whole log to this CSV file")
    audit.add_argument("--limit", type=int, default=50, help="lines to show (default 50)")
    return parser


def _code(value: str) -> str:
    code = value.strip().upper()
    if not (code.startswith("GM") and len(code) == 6 and code[2:].isdigit()):
        raise InputError(
            f"Not a gemeente code: {value} (expected GM followed by four digits).",
            nl=f"Geen gemeentecode: {value} (verwacht GM gevolgd door vier cijfers).",
        )
    return code


def _name(value: str) -> str:
    from geo_app.session.own_data import dataset_slug

    name = dataset_slug(value)
    if name != value:
        raise InputError(
            f"Dataset name {value!r} may hold only a-z, 0-9 and _ (max 40); e.g. {name!r}.",
            nl=f"De naam {value!r} mag alleen a-z, 0-9 en _ bevatten (max 40), bv. {name!r}.",
        )
    return name


def _who(args: argparse.Namespace) -> str:
    return args.user or getpass.getuser()


def _add(args: argparse.Namespace) -> int:
    from cbs_ingest.datasets import open_store
    from geo_app.cli.analyse import _load
    from geo_app.cli.validate import _accepted
    from geo_app.session.own_data import build_entries
    from geo_app.session.stored import previous_version, to_new_dataset
    from layers.upload import validate_upload

    code, name = _code(args.gemeente), _name(args.name)
    pairs = dict(item.partition("=")[::2] for item in args.pair)
    if any(not k or not v for k, v in pairs.items()):
        raise InputError("--pair must look like NUM=DEN.")
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise InputError(f"Cannot read {args.file}: {exc.strerror}.") from None
    store = open_store()
    current = {v.name: v for v in store.list(gemeente=code, year=args.year)}
    if name in current and not args.replace:
        v = current[name]
        raise InputError(
            f"Dataset {name!r} of {code} in {args.year} exists (version {v.version}, by "
            f"{v.uploaded_by}); pass --replace for a new version or choose another --name. "
            "Nothing was written.",
        )
    loaded, _info = _load(args.year, [code])
    frames = {
        lv: f[f["gemeentecode"] == code] if "gemeentecode" in f.columns else f
        for lv, f in loaded.items()
    }
    areas = frames[args.level]
    result = validate_upload(
        data,
        args.file.name,
        level=args.level,
        gemeentecode=code,
        known_codes=list(areas["code"]),
        pairs=pairs,
        threshold=args.threshold,
        sheet=args.sheet,
        area_names=dict(zip(areas["code"], areas["name"].fillna("").astype(str), strict=True)),
        accepted_names=_accepted(args.accept),
    )
    if not result.ok:
        for issue in result.errors:
            print(f"ERROR   {issue.message_en}")
        print(f"REFUSED: {len(result.errors)} error(s). Nothing was written.")
        return 1
    # A replacement is protected together with the version it replaces (published already).
    earlier = store.latest(code, args.year, allowed=[name]) if name in current else []
    previous = previous_version(earlier[0]) if earlier else None
    try:
        built = build_entries(
            frames, result, name=name, threshold=args.threshold, previous=previous
        )
    except ValueError as exc:
        raise InputError(f"The figures cannot be joined to the areas: {exc}.") from None
    new = to_new_dataset(
        built, result, gemeente=code, year=args.year, name=name, file_name=args.file.name, data=data
    )
    replaces = current[name].version if name in current else None
    meta = store.add(new, replaces=replaces, who=_who(args), role=_ROLE)
    s = meta.suppression
    print(
        f"Stored {name} version {meta.version} for {code} {args.year} ({meta.level}): "
        f"{meta.rows} rows, {len(meta.columns)} column(s), {s['cells']} cell(s) suppressed "
        f"({s['primary']} below {s['threshold']}, {s['secondary']} secondary). "
        "Only the protected values are stored."
    )
    return 0


def _list(args: argparse.Namespace) -> int:
    from cbs_ingest.datasets import open_store

    code = _code(args.gemeente) if args.gemeente else None
    versions = open_store().list(gemeente=code, year=args.year, all_versions=args.all_versions)
    if not versions:
        print("No datasets stored.")
        return 0
    print(
        f"{'gemeente':8}  {'year':4}  {'name':24} {'v':>3}  {'level':5} {'rows':>5} "
        f"{'hidden':>6}  {'stored at':25} by"
    )
    for v in versions:
        flag = "" if v.current else "  (earlier version)"
        print(
            f"{v.gemeente:8}  {v.year:4}  {v.name:24} {v.version:>3}  {v.level:5} {v.rows:>5} "
            f"{v.suppression.get('cells', 0):>6}  {v.created_at:25} {v.uploaded_by} "
            f"[{v.role}]{flag}"
        )
    return 0


def _remove(args: argparse.Namespace) -> int:
    from cbs_ingest.datasets import open_store

    code = _code(args.gemeente)
    removed = open_store().remove(
        args.name, gemeente=code, year=args.year, who=_who(args), role=_ROLE
    )
    print(
        f"Removed {removed.name} (version {removed.version}) of {code} {args.year} for everyone; "
        "its versions stay in the audit trail."
    )
    return 0


def _audit(args: argparse.Namespace) -> int:
    import pandas as pd

    from cbs_ingest.datasets import open_store

    store = open_store()
    if args.out is not None:
        log = store.audit_log()
        tmp = args.out.with_name(args.out.name + ".part")
        try:
            log.to_csv(tmp, index=False)
            tmp.replace(args.out)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise InputError(f"Cannot write {args.out}: {exc.strerror}.") from None
        store.audit("audit_export", who=getpass.getuser(), role=_ROLE, detail=args.out.name)
        print(f"Wrote {len(log)} audit line(s) to {args.out}")
        return 0
    log = store.audit_log(limit=args.limit)
    if log.empty:
        print("The audit log is empty.")
    for row in log.itertuples(index=False):
        where = " ".join(str(x) for x in (row.gemeente, row.year, row.dataset) if pd.notna(x))
        version = f" v{row.version}" if pd.notna(row.version) else ""
        print(f"{row.at}  {row.action:12} {row.who} [{row.role}] {where}{version} {row.detail}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run one ``datasets`` action."""
    return {"add": _add, "list": _list, "remove": _remove, "audit": _audit}[args.action](args)
