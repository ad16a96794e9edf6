"""Social-domain tables for the fake CBS server: the real dumps in ``../shared`` and a tiny one.

:func:`series_table_from_dump` serves one ``raw/cbs-sociaal-domein-wijken/*.csv.gz`` file as
CBS's OData feed would: dimension keys instead of the titles the dump has (``2016HJ01``
for "1e halfjaar 2016", ``2019MM03`` for "2019 maart", ``T001084`` for "Totaal", the region
code padded to 10 for the geo key), the dimension collections with their titles, and every
topic column as the dump has it (the region columns last in youth care, ``GM    0363``
padding in 2021). Rows whose region code the dump lost (all their cells are empty too)
are left out. :func:`tiny_series_tables` is a two-year table in code with every quirk, so a
clone without ``../shared`` tests them too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fake_cbs import FakeTable, pad

__all__ = ["series_table_from_dump", "series_tables_from_dumps", "tiny_series_tables"]

_MONTHS = {"maart": "03", "juni": "06", "september": "09", "december": "12"}
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _period_key(title: str) -> str:
    text = title.strip()
    if re.fullmatch(r"\d{4}", text):
        return f"{text}JJ00"
    half = re.fullmatch(r"([12])e halfjaar (\d{4})", text)
    if half:
        return f"{half[2]}HJ0{half[1]}"
    year, month = text.split(" ")
    return f"{year}MM{_MONTHS[month]}"


def _properties(dims: list[str], geo: str, topics: list[str]) -> list[dict[str, Any]]:
    props: list[dict[str, Any]] = []
    for i, dim in enumerate(dims):
        kind = (
            "GeoDimension" if dim == geo else "TimeDimension" if dim == "Perioden" else "Dimension"
        )
        props.append(
            {
                "odata.type": f"Cbs.OData.{kind}",
                "ID": i,
                "Position": i,
                "Type": kind,
                "Key": dim,
                "Title": dim,
            }
        )
    for j, key in enumerate(topics, start=len(dims)):
        text = key.startswith(("Gemeentenaam", "SoortRegio", "Codering", "Indeling"))
        props.append(
            {
                "odata.type": "Cbs.OData.Topic",
                "ID": j,
                "Position": j,
                "Type": "Topic",
                "Key": key,
                "Title": key.rsplit("_", 1)[0],
                "Unit": "",
                "Datatype": "String" if text else "Double",
                "Decimals": 0,
            }
        )
    return props


def _cell(text: str, key: str) -> Any:
    if text == "":
        return None
    if key.startswith(("Gemeentenaam", "SoortRegio", "Codering")):
        return text
    if key.startswith("Indeling"):
        return str(int(float(text)))
    return float(text) if _NUMBER.match(text) else text


def build_table(
    table_id: str, header: list[str], records: list[list[str]], *, title: str = ""
) -> FakeTable:
    """A :class:`FakeTable` from a dump's header and text records (title-valued dimensions)."""
    dims = [c for c in header[1:] if not re.search(r"_\d+$", c)]
    topics = [c for c in header[1:] if c not in dims]
    geo = "WijkenEnBuurten" if "WijkenEnBuurten" in dims else "Wijken"
    code_col = next(c for c in topics if c.startswith("Codering"))
    keys: dict[str, dict[str, str]] = {d: {} for d in dims}
    rows: list[dict[str, Any]] = []
    for record in records:
        cells = dict(zip(header, record, strict=True))
        code = re.sub(r"\s+", "", cells[code_col])
        if not code:
            continue  # the dump lost this region's code; its cells are empty too
        row: dict[str, Any] = {"ID": len(rows)}
        for dim in dims:
            label = cells[dim]
            if dim == geo:
                key = pad(code)
            elif dim == "Perioden":
                key = _period_key(label)
            elif label in keys[dim]:
                key = keys[dim][label]
            elif label.startswith("Totaal") and "T001084" not in keys[dim].values():
                key = "T001084"  # CBS's key of a total
            else:
                key = f"A{len(keys[dim]) + 1:06d}"
            keys[dim].setdefault(label, key)
            row[dim] = keys[dim][label]
        row.update({t: _cell(cells[t], t) for t in topics})
        rows.append(row)
    dimensions = {
        d: [{"Key": k, "Title": label, "Description": None} for label, k in keys[d].items()]
        for d in dims
    }
    info = {"ID": 0, "Title": title or table_id, "Identifier": table_id, "Period": ""}
    return FakeTable(table_id, rows, _properties(dims, geo, topics), info, [], dimensions)


def series_table_from_dump(path: Path) -> FakeTable:
    """Serve one ``<id>NED_<what>_<year>.csv.gz`` dump."""
    import csv
    import gzip

    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        header = next(reader)
        records = list(reader)
    return build_table(path.name.split("_")[0], header, records, title=path.stem)


def series_tables_from_dumps(raw: Path, ids: Iterable[str] | None = None) -> dict[str, FakeTable]:
    """The dumps of ``raw/cbs-sociaal-domein-wijken`` (all, or the table ``ids``), by id."""
    folder = raw / "cbs-sociaal-domein-wijken"
    wanted = set(ids) if ids is not None else None
    paths = sorted(folder.glob("*.csv.gz"))
    tables = (
        series_table_from_dump(p) for p in paths if wanted is None or p.name.split("_")[0] in wanted
    )
    return {t.table_id: t for t in tables}


# Two years of Wmo for a fictitious gemeente GM9998: 2020 as the usual layout, 2021 with the
# region columns last, codes padded as CBS did in 2021, a secret '.', an empty cell, a
# renumbered suffix and a boundary change (3) of wijk 02 in 2021. Not GM9999: that is the
# demo gemeente, whose series is generated (cbs_ingest.demo_series), never fetched.
_TINY_2020 = (
    [
        "ID",
        "Financieringsvorm",
        "Wijken",
        "Perioden",
        "Gemeentenaam_1",
        "SoortRegio_2",
        "Codering_3",
        "IndelingswijzigingWijken_4",
        "WmoClienten_5",
        "WmoClientenPer1000Inwoners_6",
    ],
    [
        [
            "0",
            "Totaal",
            "Proefdorp",
            "1e halfjaar 2020",
            "Proefdorp   ",
            "Gemeente ",
            "GM9998  ",
            "1.0",
            "1200.0",
            "60.0",
        ],
        [
            "1",
            "Totaal",
            "Wijk 01 Centrum",
            "1e halfjaar 2020",
            "Proefdorp ",
            "Wijk ",
            "WK999801",
            "1.0",
            "400.0",
            "80.0",
        ],
        [
            "2",
            "Totaal",
            "Wijk 02 Haven",
            "1e halfjaar 2020",
            "Proefdorp ",
            "Wijk ",
            "WK999802",
            "1.0",
            ".",
            ".",
        ],
        [
            "3",
            "Totaal",
            "Wijk 01 Centrum",
            "2020",
            "Proefdorp ",
            "Wijk ",
            "WK999801",
            "1.0",
            "455.0",
            "91.0",
        ],
        [
            "4",
            "Uitsluitend PGB",
            "Wijk 01 Centrum",
            "1e halfjaar 2020",
            "Proefdorp ",
            "Wijk ",
            "WK999801",
            "1.0",
            "35.0",
            "7.0",
        ],
    ],
)
_TINY_2021 = (
    [
        "ID",
        "Financieringsvorm",
        "Wijken",
        "Perioden",
        "WmoClienten_1",
        "WmoClientenPer1000Inwoners_2",
        "Gemeentenaam_3",
        "SoortRegio_4",
        "Codering_5",
        "IndelingswijzigingWijken_6",
    ],
    [
        [
            "0",
            "Totaal",
            "Proefdorp",
            "1e halfjaar 2021",
            "1250.0",
            "62.0",
            "   Proefdorp",
            "Gemeente",
            "GM    9998",
            "1.0",
        ],
        [
            "1",
            "Totaal",
            "Wijk 01 Centrum",
            "1e halfjaar 2021",
            "410.0",
            "",
            "   Proefdorp",
            "    Wijk",
            "WK  999801",
            "1.0",
        ],
        [
            "2",
            "Totaal",
            "Wijk 02 Haven",
            "1e halfjaar 2021",
            "25.0",
            "5.0",
            "   Proefdorp",
            "    Wijk",
            "WK  999802",
            "3.0",
        ],
    ],
)


def tiny_series_tables() -> dict[str, FakeTable]:
    """The in-code Wmo tables of 2020 (84907NED) and 2021 (85046NED) for GM9998."""
    return {
        "84907NED": build_table("84907NED", *_TINY_2020),
        "85046NED": build_table("85046NED", *_TINY_2021),
    }
