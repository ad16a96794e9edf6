"""Write analysis tables to GeoPackage, GeoJSON, CSV or XLSX, safely.

* **Atomic**: every file is written to a temporary file in the same folder and
  renamed into place only when complete, so a failure never leaves a
  half-written result behind.
* **No formula injection**: text cells (and column names) that start with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are prefixed with an
  apostrophe in CSV; in XLSX every text cell is stored as a plain string with
  Excel's quote-prefix style, so a spreadsheet never evaluates it.
* **Sources and settings travel with the data**: XLSX gets a second sheet
  ``bronnen en instellingen``; GeoPackage gets an attribute table
  ``bronnen_en_instellingen``; CSV and GeoJSON get a sidecar file
  ``<name>-metadata.json`` next to them (the location the W3C "CSV on the
  Web" convention uses for metadata of a CSV file).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

__all__ = [
    "FORMATS",
    "RISKY_PREFIXES",
    "atomic_path",
    "neutralise_formulas",
    "metadata_path",
    "write_table",
]

#: Supported output suffixes and what they are.
FORMATS: dict[str, str] = {
    ".gpkg": "GeoPackage",
    ".geojson": "GeoJSON (EPSG:4326)",
    ".csv": "CSV (UTF-8) with -metadata.json sidecar",
    ".xlsx": "Excel workbook with a sources sheet",
}

#: A text cell starting with one of these could be run as a formula by a spreadsheet.
RISKY_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

_SHEET_DATA = "resultaat"
_SHEET_META = "bronnen en instellingen"
_GPKG_LAYER = "stapelkaart"
_GPKG_META = "bronnen_en_instellingen"


def _neutral(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(RISKY_PREFIXES):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose risky text cells and column names start with an apostrophe.

    Numbers are never changed: only text that a spreadsheet could read as a
    formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR).
    """
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.CategoricalDtype) or not (
            pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)
        ):
            if isinstance(series, gpd.GeoSeries):
                continue
            out[column] = series.map(_neutral, na_action="ignore").astype(object)
    out.columns = [_neutral(str(c)) for c in out.columns]
    return out


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it to ``path`` on success.

    On an exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=f".partial{target.suffix}", dir=target.parent
    )
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # some drivers refuse to write over an existing (empty) file
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def metadata_path(path: str | Path) -> Path:
    """The sidecar metadata file of a CSV or GeoJSON output: ``<name>-metadata.json``."""
    path = Path(path)
    return path.with_name(path.name + "-metadata.json")


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def _text(value: Any) -> str:
    if isinstance(value, (Mapping, list, tuple)):
        return json.dumps(value, ensure_ascii=False, default=_json_default)
    return "" if value is None else str(value)


def _meta_rows(metadata: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for key, value in metadata.items():
        if isinstance(value, Mapping):
            for sub, item in value.items():
                rows.append((f"{key}.{sub}", _text(item)))
        elif isinstance(value, (list, tuple)):
            rows.append((str(key), "; ".join(str(v) for v in value)))
        else:
            rows.append((str(key), "" if value is None else str(value)))
    return rows


def _plain(table: pd.DataFrame) -> pd.DataFrame:
    frame = (
        pd.DataFrame(table.drop(columns=table.geometry.name))
        if isinstance(table, gpd.GeoDataFrame)
        else pd.DataFrame(table)
    )
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.BooleanDtype | pd.Int64Dtype):
            frame[column] = frame[column].astype(object).where(frame[column].notna(), None)
    return frame


def _write_sidecar(path: Path, metadata: Mapping[str, Any]) -> Path:
    side = metadata_path(path)
    with atomic_path(side) as tmp:
        tmp.write_text(
            json.dumps(dict(metadata), ensure_ascii=False, indent=2, default=_json_default),
            encoding="utf-8",
        )
    return side


def _write_csv(table: pd.DataFrame, path: Path, metadata: Mapping[str, Any]) -> list[Path]:
    frame = neutralise_formulas(_plain(table))
    side = _write_sidecar(path, metadata)
    with atomic_path(path) as tmp:
        # RFC 4180 line ends: with CRLF as terminator, fields holding a CR or LF get quoted.
        frame.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\r\n")
    return [path, side]


def _write_xlsx(table: pd.DataFrame, path: Path, metadata: Mapping[str, Any]) -> list[Path]:
    from openpyxl import Workbook

    frame = _plain(table)
    book = Workbook()
    sheet = book.active
    sheet.title = _SHEET_DATA
    meta = book.create_sheet(_SHEET_META)

    def put(ws: Any, row: int, col: int, value: Any) -> None:
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, str) or not isinstance(value, (int, float, bool)):
            cell = ws.cell(row=row, column=col)
            cell.value = str(value)
            cell.data_type = "s"  # never a formula, whatever the text starts with
            if str(value).startswith(RISKY_PREFIXES):
                cell.quotePrefix = True
        else:
            ws.cell(row=row, column=col, value=value)

    for j, column in enumerate(frame.columns, start=1):
        put(sheet, 1, j, str(column))
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=2):
        for j, value in enumerate(row, start=1):
            put(sheet, i, j, value)
    put(meta, 1, 1, "onderdeel")
    put(meta, 1, 2, "waarde")
    for i, (key, value) in enumerate(_meta_rows(metadata), start=2):
        put(meta, i, 1, key)
        put(meta, i, 2, value)
    with atomic_path(path) as tmp:
        book.save(tmp)
    return [path]


def _write_gpkg(table: gpd.GeoDataFrame, path: Path, metadata: Mapping[str, Any]) -> list[Path]:
    import pyogrio

    meta = pd.DataFrame(_meta_rows(metadata), columns=["onderdeel", "waarde"])
    with atomic_path(path) as tmp:
        table.to_file(tmp, layer=_GPKG_LAYER, driver="GPKG")
        pyogrio.write_dataframe(meta, tmp, layer=_GPKG_META, driver="GPKG", append=True)
    return [path]


def _write_geojson(table: gpd.GeoDataFrame, path: Path, metadata: Mapping[str, Any]) -> list[Path]:
    side = _write_sidecar(path, metadata)
    with atomic_path(path) as tmp:
        table.to_crs(4326).to_file(tmp, driver="GeoJSON")
    return [path, side]


def write_table(
    table: pd.DataFrame, path: str | Path, *, metadata: Mapping[str, Any] | None = None
) -> list[Path]:
    """Write an analysis table in the format its suffix names.

    Parameters
    ----------
    table
        The table (a GeoDataFrame for ``.gpkg``/``.geojson``). Not modified.
    path
        Output file; the suffix picks the format (see :data:`FORMATS`).
    metadata
        Sources and settings (plain JSON-able values), written alongside.

    Returns
    -------
    list of pathlib.Path
        The files written (the table and, for CSV/GeoJSON, its sidecar).

    Raises
    ------
    ValueError
        On an unsupported suffix, or a geographic format without geometry.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    metadata = dict(metadata or {})
    if suffix not in FORMATS:
        raise ValueError(f"unsupported output format {suffix!r}; use {', '.join(FORMATS)}")
    if suffix in (".gpkg", ".geojson"):
        if not isinstance(table, gpd.GeoDataFrame):
            raise ValueError(f"{suffix} needs a GeoDataFrame with geometry")
        geo = table.copy()
        for column in geo.columns:
            if isinstance(geo[column].dtype, pd.BooleanDtype):
                geo[column] = geo[column].astype(object)
        return (_write_gpkg if suffix == ".gpkg" else _write_geojson)(geo, path, metadata)
    if suffix == ".csv":
        return _write_csv(table, path, metadata)
    return _write_xlsx(table, path, metadata)
