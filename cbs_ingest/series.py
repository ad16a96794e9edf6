"""Fetch the multi-year social-domain series per wijk (or buurt) as one tidy long frame.

Each table of :mod:`cbs_ingest.series_tables` is fetched with the real :mod:`cbsodata`
client (host override ``STAPELKAART_CBS_URL``), first its ``DataProperties`` to match
columns on their prefix, then the rows of the requested gemeenten. The quirks are
normalised in one place (:func:`normalise_table`):

- region codes are padded differently per year (``GM    0363``, ``WK  036300`` in 2021):
  all white space is removed;
- the region columns come last in the youth-care tables: columns are found by prefix,
  never by position;
- ``.``, ``x`` and empty cells are secret or not available: missing (NaN) with a
  reason, never 0;
- counts are rounded to 5 by CBS; they are kept as published (the trend rule knows);
- only the total slice of the other dimensions is kept (``Financieringsvorm = Totaal``).

The result is a long frame with one row per area, period and indicator
(:data:`SERIES_COLUMNS`), the shape an area store with a period dimension can hold.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cbs_ingest import _http
from cbs_ingest.errors import InputError, SourceChangedError
from cbs_ingest.kwb import convert_value
from cbs_ingest.series_tables import (
    GEMEENTE_MERGERS,
    THEMES,
    SeriesColumn,
    SeriesTable,
    tables_for,
)

__all__ = [
    "SERIES_COLUMNS",
    "SERIES_DTYPES",
    "Series",
    "fetch_series",
    "fetch_table",
    "prepare",
    "refuse_unknown",
    "normalise_table",
    "normalise_code",
    "parse_period",
]

Progress = Callable[[float, str], None]

#: Columns of the long frame, in this order.
SERIES_COLUMNS: tuple[str, ...] = (
    "code",
    "name",
    "level",
    "gemeentecode",
    "theme",
    "indicator",
    "period",
    "year",
    "period_kind",
    "value",
    "boundary_change",
    "table_id",
)

#: The dtype of each of :data:`SERIES_COLUMNS`: every frame of series rows has these,
#: empty or not (a table without rows for a gemeente must not turn ``year`` into object).
#: Text columns get the dtype pandas infers for text (``str`` from pandas 3, else object).
_TEXT = pd.Series(["text"]).dtype
SERIES_DTYPES: dict[str, Any] = {column: _TEXT for column in SERIES_COLUMNS} | {
    "year": "int64",
    "value": "float64",
    "boundary_change": "float64",
}

_SUFFIX = re.compile(r"^(?P<prefix>.+?)_(?P<number>\d+)$")
_PERIOD_KEY = re.compile(r"^(?P<year>\d{4})(?P<kind>JJ|HJ|KW|MM)(?P<n>\d{2})$")
_HALF_TITLE = re.compile(r"^(?P<n>[12])e\s+halfjaar\s+(?P<year>\d{4})$", re.I)
_QUARTER_TITLE = re.compile(r"^(?P<year>\d{4})\s+(?P<n>[1-4])e\s+kwartaal$", re.I)
_MONTHS = {"maart": 1, "juni": 2, "september": 3, "december": 4}
_LEVELS = {"GM": "gemeente", "WK": "wijk", "BU": "buurt"}


@dataclass
class Series:
    """A theme's series for the requested gemeenten and years.

    Attributes
    ----------
    theme
        The theme (``wmo``, ``jeugdzorg``, ``voorzieningen``, ``bijstand``).
    rows
        The long frame (:data:`SERIES_COLUMNS`).
    tables
        ``{year: table id}`` of the tables used.
    missing
        ``{table id: {reason: count}}`` of cells that became missing.
    notes
        Things worth telling the user (a gemeente absent from one year's table), in
        Dutch: they go into the metadata of ``stapelkaart trends``' file.
    """

    theme: str
    rows: pd.DataFrame
    tables: dict[int, str]
    missing: dict[str, dict[str, int]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def normalise_code(value: Any) -> str | None:
    """A CBS region code without any padding, upper case (``GM    0363`` → ``GM0363``)."""
    if value is None:
        return None
    text = re.sub(r"\s+", "", str(value)).upper()
    return text or None


def parse_period(key: Any, title: Any = None) -> tuple[str, int, str] | None:
    """``(period, year, kind)`` of a CBS period key or title, ``None`` when not a period.

    ``2016HJ01`` / "1e halfjaar 2016" → ``("2016H1", 2016, "halfyear")``, ``2016JJ00`` /
    "2016" → ``("2016", 2016, "year")``, ``2019KW02``, ``2019MM06`` or "2019 juni" (the
    end of a quarter) → ``("2019Q2", 2019, "quarter")``.
    """
    text = str(key or "").strip().upper()
    match = _PERIOD_KEY.match(text)
    if match:
        year, kind, n = int(match["year"]), match["kind"], int(match["n"])
        if kind == "JJ":
            return str(year), year, "year"
        if kind == "HJ" and n in (1, 2):
            return f"{year}H{n}", year, "halfyear"
        if kind == "KW" and 1 <= n <= 4:
            return f"{year}Q{n}", year, "quarter"
        if kind == "MM" and n in (3, 6, 9, 12):
            return f"{year}Q{n // 3}", year, "quarter"
        return None
    label = re.sub(r"\s+", " ", str(title or "").strip())
    if re.fullmatch(r"\d{4}", label):
        return label, int(label), "year"
    for pattern, letter, kind in ((_HALF_TITLE, "H", "halfyear"), (_QUARTER_TITLE, "Q", "quarter")):
        found = pattern.match(label)
        if found:
            return f"{found['year']}{letter}{found['n']}", int(found["year"]), kind
    parts = label.lower().split(" ")
    if len(parts) == 2 and parts[0].isdigit() and parts[1] in _MONTHS:
        return f"{parts[0]}Q{_MONTHS[parts[1]]}", int(parts[0]), "quarter"
    return None


def _keys_by_prefix(keys: Sequence[str]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key in keys:
        match = _SUFFIX.match(key)
        if match:
            out.setdefault(match["prefix"], []).append(key)
    return out


def _column_key(by_prefix: dict[str, list[str]], column: SeriesColumn) -> str | None:
    for prefix in column.prefixes:
        found = by_prefix.get(prefix, [])
        if len(found) > column.occurrence:
            return found[column.occurrence]
    return None


def match_series_columns(spec: SeriesTable, keys: Sequence[str]) -> dict[str, str]:
    """``{indicator: CBS key}`` for a table's keys (in the table's order), by prefix.

    Raises
    ------
    SourceChangedError
        An indicator of the theme or the region code column is not in the table.
    """
    by_prefix = _keys_by_prefix(keys)
    found = {c.name: _column_key(by_prefix, c) for c in THEMES[spec.theme]}
    lacking = [name for name, key in found.items() if key is None]
    if lacking or "Codering" not in by_prefix:
        what = ", ".join(lacking or ["Codering"])
        raise SourceChangedError(
            f"CBS table {spec.table_id} no longer has the columns Stapelkaart needs: {what}.",
            nl=f"CBS-tabel {spec.table_id} mist kolommen die Stapelkaart nodig heeft: {what}.",
        )
    return {name: key for name, key in found.items() if key is not None}


def _total_keys(spec: SeriesTable, data: dict[str, Any]) -> dict[str, str]:
    keys = {}
    for dim, title in spec.totals:
        entries = data.get(dim)
        if not entries:
            raise SourceChangedError(
                f"CBS table {spec.table_id} has no dimension {dim}.",
                nl=f"CBS-tabel {spec.table_id} heeft geen dimensie {dim}.",
            )
        match = [e["Key"] for e in entries if str(e.get("Title", "")).strip() == title]
        if not match:
            raise SourceChangedError(
                f"CBS table {spec.table_id}: dimension {dim} has no category {title!r}.",
                nl=f"CBS-tabel {spec.table_id}: dimensie {dim} mist categorie {title!r}.",
            )
        keys[dim] = str(match[0]).strip()
    return keys


def normalise_table(
    spec: SeriesTable,
    data: dict[str, Any],
    *,
    municipalities: Sequence[str] | None = None,
    level: str = "wijk",
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Turn one downloaded table (cbsodata's ``download_data`` dict) into long rows.

    Parameters
    ----------
    spec
        The registry entry of the table.
    data
        ``{"DataProperties": [...], "TypedDataSet": [...], <dimension>: [...], …}``.
    municipalities
        Keep only these gemeenten (and their areas); ``None`` keeps all.
    level
        The area level kept besides the gemeenten: ``wijk`` or ``buurt``.

    Returns
    -------
    (frame, missing)
        The long frame (:data:`SERIES_COLUMNS`) and ``{reason: count}`` of missing cells.
    """
    keys = [p["Key"] for p in data.get("DataProperties", []) if p.get("Key")]
    mapping = match_series_columns(spec, keys)
    by_prefix = _keys_by_prefix(keys)
    code_key = by_prefix["Codering"][0]
    change_key = next((v[0] for p, v in by_prefix.items() if p.startswith("Indeling")), None)
    totals = _total_keys(spec, data)
    periods = {
        str(e.get("Key", "")).strip(): parse_period(e.get("Key"), e.get("Title"))
        for e in data.get("Perioden", []) or []
    }
    titles = {
        str(e.get("Key", "")).strip(): str(e.get("Title") or "").strip()
        for e in data.get(spec.geo_key, []) or []
    }
    wanted = {c[2:6] for c in municipalities} if municipalities else None
    levels = {"gemeente", level}
    reasons: Counter[str] = Counter()
    records: list[tuple] = []
    rows = data.get("TypedDataSet") or data.get("UntypedDataSet") or []
    for row in rows:
        if any(str(row.get(dim, "")).strip() != key for dim, key in totals.items()):
            continue
        geo = str(row.get(spec.geo_key) or "").strip()
        code = normalise_code(row.get(code_key)) or normalise_code(geo)
        if not code:
            continue
        area_level = _LEVELS.get(code[:2])
        if area_level not in levels or (wanted is not None and code[2:6] not in wanted):
            continue
        raw_period = str(row.get("Perioden") or "").strip()
        period = periods.get(raw_period) or parse_period(raw_period)
        if period is None:
            continue
        change, _ = convert_value(row.get(change_key)) if change_key else (float("nan"), None)
        name = titles.get(geo) or titles.get(code) or None
        for indicator, key in mapping.items():
            value, reason = convert_value(row.get(key))
            if reason is not None:
                reasons[reason] += 1
            records.append(
                (code, name, area_level, "GM" + code[2:6], spec.theme, indicator, *period)
                + (value, change, spec.table_id)
            )
    frame = pd.DataFrame.from_records(records, columns=list(SERIES_COLUMNS))
    return frame.astype(SERIES_DTYPES), dict(reasons)


def _refuse_merged(codes: Sequence[str], last: int) -> None:
    gone = [(c, *GEMEENTE_MERGERS[c]) for c in codes if c in GEMEENTE_MERGERS]
    gone = [(c, y, new) for c, y, new in gone if y <= last]
    if gone:
        code, year, new = gone[0]
        raise InputError(
            f"Gemeente {code} was merged away (gone from the {year} boundaries, "
            f"now part of {new}); a trend up to {last} cannot be computed for it.",
            nl=f"Gemeente {code} bestaat niet meer (niet in de grenzen van {year}, "
            f"opgegaan in {new}); een trend tot {last} kan niet.",
        )


def fetch_series(
    theme: str,
    first: int,
    last: int,
    municipalities: Sequence[str] | None,
    *,
    level: str = "wijk",
    progress: Progress | None = None,
) -> Series:
    """Fetch one theme for the years ``first`` … ``last`` from CBS.

    Parameters
    ----------
    theme
        ``wmo``, ``jeugdzorg``, ``voorzieningen`` or ``bijstand``.
    first, last
        First and last year (inclusive).
    municipalities
        Gemeente codes (``GM0363``); ``None`` for the whole country.
    level
        ``wijk``, or ``buurt`` (only the benefits tables have buurten).
    progress
        Callback receiving a fraction (0..1) and a short Dutch message.

    Raises
    ------
    InputError
        Unknown theme, a year without a table, the range the wrong way round, a level
        the tables lack, a gemeente merged away, or one that no table knows.
    SourceChangedError, SourceUnavailableError
        CBS answered in an unexpected shape, or not at all.
    """
    specs, codes = prepare(theme, first, last, municipalities, level=level)
    frames: list[pd.DataFrame] = []
    missing: dict = {}
    notes: list[str] = []
    for i, spec in enumerate(specs):
        if progress is not None:
            progress(i / len(specs), f"CBS-tabel {spec.table_id} ({spec.year}) ophalen")
        frame, reasons = fetch_table(spec, codes, level=level, notes=notes)
        frames.append(frame)
        if reasons:
            missing[spec.table_id] = reasons
    rows = pd.concat(frames, ignore_index=True).astype(SERIES_DTYPES)
    refuse_unknown(theme, first, last, codes, rows)
    if progress is not None:
        progress(1.0, f"{theme}: {rows['code'].nunique()} gebieden")
    return Series(theme, rows, {s.year: s.table_id for s in specs}, missing, notes)


def prepare(
    theme: str, first: int, last: int, municipalities: Sequence[str] | None, *, level: str
) -> tuple[list[SeriesTable], list[str] | None]:
    """The tables of a request and its gemeente codes (``None``: the whole country).

    Raises
    ------
    InputError
        See :func:`fetch_series`.
    """
    specs = tables_for(theme, first, last)
    if level not in ("wijk", "buurt"):
        raise InputError(
            f"Level must be wijk or buurt, not {level!r}.",
            nl=f"Niveau moet wijk of buurt zijn, niet {level!r}.",
        )
    lacking = [s.table_id for s in specs if level not in s.levels]
    if lacking:
        raise InputError(
            f"The {theme} tables have no {level} figures ({', '.join(lacking)}).",
            nl=f"De CBS-tabellen {theme} hebben geen cijfers per {level}.",
        )
    codes = sorted({c.strip().upper() for c in municipalities}) if municipalities else None
    if codes:
        _refuse_merged(codes, last)
    return specs, codes


def fetch_table(
    spec: SeriesTable, codes: Sequence[str] | None, *, level: str, notes: list[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Fetch and normalise one table for gemeenten (``None``: all); notes what is absent."""
    data = _download(spec, list(codes) if codes else None, level, notes)
    frame, reasons = normalise_table(spec, data, municipalities=codes, level=level)
    if codes:
        absent = sorted(set(codes) - set(frame["gemeentecode"]))
        notes.extend(f"{spec.table_id} ({spec.year}) heeft geen rijen voor {c}." for c in absent)
    return frame, reasons


def refuse_unknown(
    theme: str, first: int, last: int, codes: Sequence[str] | None, rows: pd.DataFrame
) -> None:
    """Raise InputError when a requested gemeente has no row in any table of the range."""
    if codes:
        unknown = sorted(set(codes) - set(rows["gemeentecode"]))
        if unknown:
            raise InputError(
                f"No {theme} table of {first}–{last} has gemeente {', '.join(unknown)}.",
                nl=f"Geen CBS-tabel {theme} van {first}–{last} kent gemeente {', '.join(unknown)}.",
            )


def _download(
    spec: SeriesTable, codes: list[str] | None, level: str, notes: list[str]
) -> dict[str, Any]:
    props = _http.cbs_download(spec.table_id, filters=None, select=None, metadata_only=True)
    keys = [p["Key"] for p in props["DataProperties"] if p.get("Key")]
    mapping = match_series_columns(spec, keys)
    by_prefix = _keys_by_prefix(keys)
    wanted = [by_prefix["Codering"][0]] + [
        v[0] for p, v in by_prefix.items() if p.startswith(("Indeling", "Gemeentenaam"))
    ]
    dims = ["Perioden", spec.geo_key, *(d for d, _ in spec.totals)]
    select = [*dims, *wanted, *dict.fromkeys(mapping.values())]
    prefixes = ("GM", "WK" if level == "wijk" else "BU")
    filters = (
        " or ".join(f"startswith({spec.geo_key},'{p}{c[2:]}')" for c in codes for p in prefixes)
        if codes
        else None
    )
    try:
        data = _http.cbs_download(spec.table_id, filters=filters, select=select)
    except _http.FilterRejected:
        notes.append(
            f"CBS weigerde $filter/$select op {spec.table_id}; de hele tabel is opgehaald."
        )
        data = _http.cbs_download(spec.table_id, filters=None, select=None)
    data["DataProperties"] = props["DataProperties"]
    return data
