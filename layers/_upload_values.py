"""Parsing the value columns of an upload: Dutch and English number formats.

Private helper of :mod:`layers.upload`.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time

import numpy as np
import pandas as pd

__all__ = ["as_text", "fmt", "is_bsn", "is_number", "parse_column", "to_number"]

_NUMBER_DOT = re.compile(r"^\d+(\.\d+)?$")
_NUMBER_COMMA = re.compile(r"^\d{1,3}(\.\d{3})*(,\d+)?$|^\d+(,\d+)?$")
_THOUSANDS_DOT = re.compile(r"^\d{1,3}(\.\d{3})+$")


def as_text(cell: object) -> str:
    """A cell as plain text, shortened to 60 characters for messages."""
    if cell is None:
        return ""
    text = str(cell)
    return text if len(text) <= 60 else text[:57] + "..."


def parse_column(table, j, name, keep, issues, *, decimal_comma) -> pd.Series:
    """Parse column ``j`` of the kept rows into floats, reporting bad cells to ``issues``."""
    cells = [table.rows[i][j] if j < len(table.rows[i]) else None for i in keep]
    strings = [
        c.strip().replace("\u00a0", "").replace(" ", "")
        for c in cells
        if isinstance(c, str) and c.strip()
    ]
    comma_column = decimal_comma and any("," in s for s in strings)
    dots_thousands = (
        decimal_comma
        and not comma_column
        and bool(strings)
        and all(_THOUSANDS_DOT.match(s) or "." not in s for s in strings)
        and any(_THOUSANDS_DOT.match(s) for s in strings)
    )
    if dots_thousands:
        issues.add(
            "warning",
            "thousands",
            f"In kolom '{name}' is een punt gelezen als "
            "scheiding van duizendtallen (1.234 = 1234).",
            f"In column {name!r} a dot was read as thousands separator.",
            column=name,
        )
    values = np.full(len(cells), np.nan)
    fractional = dates = bsn_like = 0
    for k, cell in enumerate(cells):
        line = table.cell_rows.get((keep[k], j), table.file_rows[keep[k]])
        value = to_number(cell, comma=comma_column, thousands=dots_thousands)
        if value is None:
            continue
        if isinstance(value, str):
            dates += value == "date"
            nl = (
                "bevat een formule of tekst in plaats van een getal"
                if value == "formula"
                else "bevat geen getal"
            )
            issues.add(
                "error",
                "not_numeric",
                f"Kolom '{name}': '{as_text(cell)}' {nl}.",
                f"Column {name!r}: {as_text(cell)!r} is not a number.",
                row=line,
                column=name,
                detail=True,
            )
            continue
        if value < 0:
            issues.add(
                "error",
                "negative",
                f"Kolom '{name}': negatief aantal ({fmt(value)}).",
                f"Column {name!r}: negative count ({value}).",
                row=line,
                column=name,
                detail=True,
            )
            continue
        fractional += not float(value).is_integer()
        bsn_like += is_bsn(value)
        values[k] = value
    if dates and dates >= len(cells) / 2:
        issues.add(
            "error",
            "person_level",
            f"Kolom '{name}' bevat datums; dat lijkt op "
            "persoonsgegevens (zoals geboortedatums). Lever alleen aantallen per gebied.",
            f"Column {name!r} holds dates: looks like person-level data.",
            column=name,
        )
    if bsn_like and bsn_like >= len(cells) / 2:
        issues.add(
            "error",
            "person_level",
            f"Kolom '{name}' bevat getallen die op BSN's "
            "lijken. Lever nooit persoonsgegevens aan, alleen aantallen per gebied.",
            f"Column {name!r} holds numbers that look like BSNs.",
            column=name,
        )
    if fractional:
        issues.add(
            "warning",
            "fractional",
            f"Kolom '{name}' bevat {fractional} getal(len) met "
            "decimalen; voor aantallen worden hele getallen verwacht.",
            f"Column {name!r} has {fractional} non-integer value(s).",
            column=name,
        )
    if np.isnan(values).all():
        issues.add(
            "warning",
            "empty_column",
            f"Kolom '{name}' bevat geen enkel getal.",
            f"Column {name!r} holds no numbers.",
            column=name,
        )
    return pd.Series(values, dtype="float64")


def to_number(cell: object, *, comma: bool, thousands: bool):
    """A float, None for an empty cell, or a reason string for a bad cell."""
    if cell is None:
        return None
    if isinstance(cell, bool):
        return "text"
    if isinstance(cell, datetime | date | time):
        return "date"
    if isinstance(cell, int | float):
        return float(cell) if math.isfinite(cell) else "text"
    text = str(cell).strip().replace("\u00a0", "").replace(" ", "")
    if not text:
        return None
    if text[0] in "=+@" or text[0] in "\t\r":
        return "formula"
    negative = text.startswith("-") and len(text) > 1
    body = text[1:] if negative else text
    if comma or thousands:
        if not _NUMBER_COMMA.match(body):
            return "formula" if text[0] == "-" and not is_number(body) else "text"
        body = body.replace(".", "").replace(",", ".")
    elif not _NUMBER_DOT.match(body):
        return "formula" if text[0] == "-" else "text"
    value = float(body)
    return -value if negative else value


def is_number(text: str) -> bool:
    """Whether ``text`` is a plain number with a decimal point or comma."""
    return bool(_NUMBER_DOT.match(text) or _NUMBER_COMMA.match(text))


def is_bsn(value: float) -> bool:
    """Whether ``value`` is a 9-digit number that passes the BSN elfproef."""
    if not float(value).is_integer() or not 10_000_000 <= value <= 999_999_999:
        return False
    digits = f"{int(value):09d}"
    total = sum(int(d) * w for d, w in zip(digits[:8], range(9, 1, -1), strict=True))
    return (total - int(digits[8])) % 11 == 0


def fmt(value: float) -> str:
    """A number as a Dutch reader expects it (decimal comma)."""
    return f"{value:g}".replace(".", ",")
