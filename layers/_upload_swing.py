"""The two export layouts of ABF's "in Cijfers" portals (Swing), turned into one row per area.

Private helper of :mod:`layers.upload`. Municipal portals built on Swing export
areas by *name*, in one of two layouts:

- **wide**: the first column holds the area names (header e.g. ``"Buurten"``),
  every other header is ``"indicator|period"``. Portals repeat the same header
  over all columns of one indicator (one per category, such as an age group),
  optionally with a second header row of sub-headers (first cell empty). ``.``
  marks a secret or missing value.
- **long**: ``Indicator;Eenheid;Periode;gebied;Waarde``, one row per area,
  indicator and period. It is pivoted to one column per indicator and period
  (and unit, when one indicator comes in several units).

Both become a :class:`~layers._upload_read.RawTable` whose ``name_column`` is
the area name column; the usual checks then run on it unchanged.
"""

from __future__ import annotations

from dataclasses import replace

from layers._upload_checks import CODE_HEADERS, norm_header
from layers._upload_read import RawTable, Rejected
from layers._upload_values import as_text, is_number

__all__ = ["LONG_HEADER", "reshape"]

#: The long layout's header, in order.
LONG_HEADER = ("indicator", "eenheid", "periode", "gebied", "waarde")
_SECRET = "."


def _cell(value: object) -> str:
    return "" if value is None else str(value).strip()


def _layout(table: RawTable) -> str | None:
    header = [_cell(h) for h in table.header]
    if tuple(h.casefold() for h in header) == LONG_HEADER:
        return "long"
    if (
        len(header) >= 2
        and header[0]
        and "|" not in header[0]
        and norm_header(header[0]) not in CODE_HEADERS
        and all(h.count("|") == 1 and h.split("|")[0].strip() for h in header[1:])
    ):
        return "wide"
    return None


def reshape(table: RawTable) -> RawTable:
    """Return ``table`` in the plain layout when it is a Swing export, else unchanged.

    Raises
    ------
    Rejected
        When the file is a Swing export that cannot be turned into one row per area.
    """
    layout = _layout(table)
    if layout == "wide":
        return _wide(table)
    if layout == "long":
        return _long(table)
    return table


def _name(indicator: str, period: str, extra: str = "") -> str:
    return " ".join(part for part in (indicator.strip(), period.strip(), extra.strip()) if part)


def _number_repeats(names: list[str], notes: list[tuple[str, str, str]]) -> list[str]:
    out = list(names)
    for name in dict.fromkeys(names):
        positions = [j for j, n in enumerate(names) if n == name]
        if len(positions) < 2:
            continue
        for k, j in enumerate(positions, start=1):
            out[j] = f"{name} ({k})"
        notes.append(
            (
                "swing_repeated_header",
                f"{len(positions)} columns share the header {name!r}; they were numbered "
                f"(1 to {len(positions)}) in file order. The file does not say what each one "
                "holds: check that in the portal before using them.",
                f"{len(positions)} kolommen hebben dezelfde kop '{as_text(name)}'. Ze zijn "
                f"genummerd (1 t/m {len(positions)}) in de volgorde van het bestand. Het bestand "
                "zegt niet wat elke kolom bevat: controleer dat in het portaal voordat u ze "
                "gebruikt.",
            )
        )
    return out


def _blank_secrets(rows: list[list[object]], start: int) -> tuple[list[list[object]], int]:
    out, n = [], 0
    for row in rows:
        cells = list(row)
        for j in range(start, len(cells)):
            cell = cells[j]
            if isinstance(cell, str) and cell.strip() == _SECRET:
                cells[j] = None
                n += 1
        out.append(cells)
    return out, n


def _secret_note(n: int) -> tuple[str, str, str]:
    return (
        "swing_secret",
        f"{n} cell(s) with '.' (secret or missing) were read as empty.",
        f"{n} cel(len) met '.' (geheim of onbekend) zijn gelezen als leeg.",
    )


def _is_subheader(row: list[object]) -> bool:
    cells = [_cell(c) for c in row]
    return (
        not cells[0]
        and any(cells[1:])
        and all(c != _SECRET and not is_number(c.replace(" ", "")) for c in cells[1:] if c)
    )


def _wide(table: RawTable) -> RawTable:
    header = [_cell(h) for h in table.header]
    rows, file_rows = list(table.rows), list(table.file_rows)
    subs = [""] * len(header)
    if rows and _is_subheader(rows[0]):
        subs = [_cell(c) for c in rows[0]] + [""] * max(0, len(header) - len(rows[0]))
        rows, file_rows = rows[1:], file_rows[1:]
    names = [header[0]]
    for j, h in enumerate(header[1:], start=1):
        indicator, period = h.split("|")
        names.append(_name(indicator, period, subs[j]))
    notes = list(table.notes)
    names[1:] = _number_repeats(names[1:], notes)
    rows, secret = _blank_secrets(rows, 1)
    notes.append(
        (
            "swing",
            "Read as an 'in Cijfers' (Swing) export, wide layout: area names in the first column.",
            "Gelezen als export uit een 'in Cijfers'-portaal (Swing), brede indeling: "
            "gebiedsnamen in de eerste kolom.",
        )
    )
    if secret:
        notes.append(_secret_note(secret))
    return replace(table, header=names, rows=rows, file_rows=file_rows, notes=notes, name_column=0)


def _long(table: RawTable) -> RawTable:
    records = []
    for row, line in zip(table.rows, table.file_rows, strict=True):
        cells = [_cell(c) for c in (list(row) + [None] * 5)[:5]]
        if any(_cell(c) for c in row[5:]):
            raise Rejected(
                "extra_values",
                f"Row {line} has more than five values.",
                f"Regel {line} heeft meer dan vijf waarden (verwacht: Indicator, Eenheid, "
                "Periode, gebied, Waarde).",
            )
        indicator, unit, period, area, value = cells
        if not indicator or not area:
            raise Rejected(
                "swing_row",
                f"Row {line} has no indicator or no area.",
                f"Regel {line} heeft geen indicator of geen gebied.",
            )
        records.append((indicator, unit, period, area, value, line))
    if not records:
        raise Rejected(
            "no_rows",
            "The file has no data rows below the header.",
            "Het bestand bevat geen regels met gegevens onder de kolomnamen.",
        )
    units: dict[tuple[str, str], set[str]] = {}
    for indicator, unit, period, *_ in records:
        units.setdefault((indicator, period), set()).add(unit)
    columns: dict[str, int] = {}
    areas: dict[str, int] = {}
    found: dict[tuple[int, int], tuple[str, int]] = {}
    first_line: list[int] = []
    seen: dict[tuple[int, int], int] = {}
    secret = 0
    for indicator, unit, period, area, value, line in records:
        several = len(units[(indicator, period)]) > 1
        name = _name(indicator, period, f"({unit})" if several and unit else "")
        j = columns.setdefault(name, len(columns) + 1)
        i = areas.setdefault(area, len(areas))
        if i == len(first_line):
            first_line.append(line)
        seen[(i, j)] = seen.get((i, j), 0) + 1
        if (i, j) in found:
            if seen[(i, j)] >= 3:
                raise Rejected(
                    "person_level",
                    f"Area {area!r} has {seen[(i, j)]} values for {name!r}: this looks like "
                    "person-level data.",
                    f"Gebied '{as_text(area)}' heeft {seen[(i, j)]} waarden voor "
                    f"'{as_text(name)}'. Dit lijkt op gegevens per persoon of per huishouden. "
                    "Lever alleen totalen per gebied aan.",
                )
            continue
        if value == _SECRET:
            secret += 1
            value = ""
        found[(i, j)] = (value, line)
    doubles = [(i, j) for (i, j), n in seen.items() if n > 1]
    if doubles:
        i, j = doubles[0]
        area = next(a for a, k in areas.items() if k == i)
        name = next(c for c, k in columns.items() if k == j)
        raise Rejected(
            "duplicate_row",
            f"{len(doubles)} area/indicator/period combination(s) occur more than once, "
            f"e.g. {area!r} and {name!r}.",
            f"{len(doubles)} combinatie(s) van gebied, indicator en periode komen meer dan "
            f"eens voor, bijvoorbeeld '{as_text(area)}' en '{as_text(name)}'. Verwacht "
            "wordt één waarde per gebied, indicator en periode.",
        )
    rows: list[list[object]] = []
    cell_rows: dict[tuple[int, int], int] = {}
    for area, i in areas.items():
        out_row: list[object] = [area] + [None] * len(columns)
        for j in range(1, len(columns) + 1):
            if (i, j) in found:
                value, line = found[(i, j)]
                out_row[j] = value or None
                cell_rows[(i, j)] = line
        rows.append(out_row)
    notes = list(table.notes)
    notes.append(
        (
            "swing",
            f"Read as an 'in Cijfers' (Swing) export, long layout: {len(records)} rows turned "
            f"into {len(areas)} areas and {len(columns)} column(s).",
            f"Gelezen als export uit een 'in Cijfers'-portaal (Swing), lange indeling: "
            f"{len(records)} regels omgezet naar {len(areas)} gebieden en {len(columns)} "
            "kolom(men).",
        )
    )
    if secret:
        notes.append(_secret_note(secret))
    header = ["gebied", *columns]
    return replace(
        table,
        header=header,
        rows=rows,
        file_rows=first_line,
        notes=notes,
        name_column=0,
        cell_rows=cell_rows,
    )
