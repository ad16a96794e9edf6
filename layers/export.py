"""Write analysis tables to GeoPackage, GeoJSON, CSV or XLSX, safely.

* **Atomic**: every file is written to a temporary file in the same folder and
  renamed into place only when complete, so a failure never leaves a
  half-written result behind.
* **No formula injection**: text cells (and column names) that start with
  ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are prefixed with an
  apostrophe in CSV, and so is every fragment after a ``;`` (Excel with
  Dutch settings splits a comma CSV on ``;``); in XLSX every text cell is
  stored as a plain string with Excel's quote-prefix style, so a spreadsheet
  never evaluates it.
* **Sources and settings travel inside the file** (one file per export, so a
  download is complete on its own):

  - XLSX: a second sheet ``bronnen en instellingen``;
  - GeoPackage: an attribute table ``bronnen_en_instellingen``;
  - extra tables (``extra_tables``, e.g. the series over the years) become more sheets
    (XLSX) or attribute tables (GeoPackage), written with the same care;
  - GeoJSON: a foreign member ``"stapelkaart"`` of the FeatureCollection
    (RFC 7946, section 6.1);
  - CSV: a header block of lines starting with ``#`` before the table (each
    line is one quoted CSV field, so a spreadsheet shows it in one cell and
    never as a formula). Skip lines starting with ``#`` to read the table,
    e.g. with :func:`read_csv_table`.

The app's download buttons use ``to_csv_bytes`` and friends; the command line
uses :func:`write_table`. Both produce the same files.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
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
    "build_metadata",
    "neutralise_formulas",
    "read_csv_table",
    "to_csv_bytes",
    "to_geojson_bytes",
    "to_gpkg_bytes",
    "to_xlsx_bytes",
    "write_table",
]

#: Supported output suffixes and what they are.
FORMATS: dict[str, str] = {
    ".gpkg": "GeoPackage with a sources table",
    ".geojson": "GeoJSON (EPSG:4326) with a sources member",
    ".csv": "CSV (UTF-8) with a '#' sources header",
    ".xlsx": "Excel workbook with a sources sheet",
}

#: A text cell starting with one of these could be run as a formula by a spreadsheet.
RISKY_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

_SHEET_DATA = "resultaat"
_SHEET_META = "bronnen en instellingen"
_GPKG_LAYER = "stapelkaart"
_GPKG_META = "bronnen_en_instellingen"


#: A ';' followed by a risky character: Excel with Dutch settings splits a comma CSV on ';'.
_FRAGMENT = re.compile("(;)(?=[=+\\-@\t\r])")


def _neutral(value: Any) -> Any:
    """Prefix risky text with an apostrophe, also every fragment after a ``;``.

    A comma CSV opened by a spreadsheet that splits on ``;`` (Excel with Dutch
    regional settings) turns the text after each ``;`` into a cell of its own;
    such a fragment is neutralised too, so ``"Linden;=1+1"`` becomes
    ``"Linden;'=1+1"``.
    """
    if not isinstance(value, str):
        return value
    if value.startswith(RISKY_PREFIXES):
        value = "'" + value
    return _FRAGMENT.sub(r"\1'", value)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy whose risky text cells and column names start with an apostrophe.

    Numbers are never changed: only text that a spreadsheet could read as a
    formula (starting with ``=``, ``+``, ``-``, ``@``, tab or CR), including
    each fragment after a ``;``, which a spreadsheet splitting on ``;``
    would show as a cell of its own.
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


def _csv_header(metadata: Mapping[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    lines = [f"{key}: {value}" for key, value in _meta_rows(metadata)]
    for line in ["Stapelkaart export; de tabel begint na de regels met #", *lines]:
        writer.writerow([_neutral("# " + " ".join(line.split()))])
    return buffer.getvalue()


def _write_csv(table: pd.DataFrame, path: Path, metadata: Mapping[str, Any]) -> list[Path]:
    frame = neutralise_formulas(_plain(table))
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8", newline="") as handle:
        handle.write(_csv_header(metadata))
        # RFC 4180 line ends: with CRLF as terminator, fields holding a CR or LF get quoted.
        frame.to_csv(handle, index=False, lineterminator="\r\n")
    return [path]


def read_csv_table(path: str | Path) -> pd.DataFrame:
    """Read the table of a Stapelkaart CSV export, skipping its ``#`` header block."""
    with Path(path).open(encoding="utf-8", newline="") as handle:
        skip = 0
        for line in handle:
            if not line.lstrip('"').startswith("#"):
                break
            skip += 1
    return pd.read_csv(path, skiprows=skip, encoding="utf-8")


def _write_xlsx(
    table: pd.DataFrame,
    path: Path,
    metadata: Mapping[str, Any],
    extra: Mapping[str, pd.DataFrame] | None = None,
) -> list[Path]:
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

    def fill(ws: Any, data: pd.DataFrame) -> None:
        for j, column in enumerate(data.columns, start=1):
            put(ws, 1, j, str(column))
        for i, row in enumerate(data.itertuples(index=False, name=None), start=2):
            for j, value in enumerate(row, start=1):
                put(ws, i, j, value)

    fill(sheet, frame)
    for name, data in (extra or {}).items():
        fill(book.create_sheet(str(name)[:31]), _plain(data))
    put(meta, 1, 1, "onderdeel")
    put(meta, 1, 2, "waarde")
    for i, (key, value) in enumerate(_meta_rows(metadata), start=2):
        put(meta, i, 1, key)
        put(meta, i, 2, value)
    with atomic_path(path) as tmp:
        book.save(tmp)
    return [path]


def _write_gpkg(
    table: gpd.GeoDataFrame,
    path: Path,
    metadata: Mapping[str, Any],
    extra: Mapping[str, pd.DataFrame] | None = None,
) -> list[Path]:
    import pyogrio

    meta = pd.DataFrame(_meta_rows(metadata), columns=["onderdeel", "waarde"])
    with atomic_path(path) as tmp:
        table.to_file(tmp, layer=_GPKG_LAYER, driver="GPKG")
        pyogrio.write_dataframe(meta, tmp, layer=_GPKG_META, driver="GPKG", append=True)
        for name, data in (extra or {}).items():
            plain = _plain(data)
            for column in plain.columns:  # GeoPackage has no nullable booleans
                if plain[column].dtype == object:
                    plain[column] = plain[column].map(lambda v: None if v is None else str(v))
            pyogrio.write_dataframe(plain, tmp, layer=str(name), driver="GPKG", append=True)
    return [path]


def _write_geojson(table: gpd.GeoDataFrame, path: Path, metadata: Mapping[str, Any]) -> list[Path]:
    collection = json.loads(table.to_crs(4326).to_json(drop_id=True, na="null"))
    collection["stapelkaart"] = json.loads(
        json.dumps(dict(metadata), ensure_ascii=False, default=_json_default)
    )
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return [path]


def build_metadata(
    *,
    sources: Mapping[str, Any] | None = None,
    settings: Mapping[str, Any] | None = None,
    suppression: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Combine sources, settings and the suppression statement into export metadata."""
    metadata: dict[str, Any] = {}
    if sources:
        metadata["bronnen"] = dict(sources)
    if settings:
        metadata["instellingen"] = dict(settings)
    if suppression:
        metadata["onderdrukking"] = suppression
    metadata.update(extra)
    return metadata


def _to_bytes(
    table: pd.DataFrame,
    suffix: str,
    metadata: Mapping[str, Any],
    extra_tables: Mapping[str, pd.DataFrame] | None = None,
) -> bytes:
    with tempfile.TemporaryDirectory(prefix="stapelkaart-export-") as folder:
        path = Path(folder) / f"export{suffix}"
        write_table(table, path, metadata=metadata, extra_tables=extra_tables)
        return path.read_bytes()


def to_csv_bytes(table: pd.DataFrame, **metadata: Any) -> bytes:
    """The CSV export as bytes; keywords as :func:`build_metadata` (sources, settings, ...)."""
    return _to_bytes(table, ".csv", build_metadata(**metadata))


def to_xlsx_bytes(
    table: pd.DataFrame, *, extra_tables: Mapping[str, pd.DataFrame] | None = None, **metadata: Any
) -> bytes:
    """The XLSX export as bytes, ``extra_tables`` as more sheets; see :func:`build_metadata`."""
    return _to_bytes(table, ".xlsx", build_metadata(**metadata), extra_tables)


def to_geojson_bytes(table: gpd.GeoDataFrame, **metadata: Any) -> bytes:
    """The GeoJSON export as bytes; keywords as :func:`build_metadata`."""
    return _to_bytes(table, ".geojson", build_metadata(**metadata))


def to_gpkg_bytes(
    table: gpd.GeoDataFrame,
    *,
    extra_tables: Mapping[str, pd.DataFrame] | None = None,
    **metadata: Any,
) -> bytes:
    """The GeoPackage export as bytes, ``extra_tables`` as tables; see :func:`build_metadata`."""
    return _to_bytes(table, ".gpkg", build_metadata(**metadata), extra_tables)


def write_table(
    table: pd.DataFrame,
    path: str | Path,
    *,
    metadata: Mapping[str, Any] | None = None,
    extra_tables: Mapping[str, pd.DataFrame] | None = None,
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
    extra_tables
        ``{name: table}`` written beside the main table: more sheets (``.xlsx``) or
        attribute tables (``.gpkg``); not possible in ``.csv`` and ``.geojson``.

    Returns
    -------
    list of pathlib.Path
        The files written (one).

    Raises
    ------
    ValueError
        On an unsupported suffix, a geographic format without geometry, or extra
        tables in a format that holds one table.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    metadata = dict(metadata or {})
    if suffix not in FORMATS:
        raise ValueError(f"unsupported output format {suffix!r}; use {', '.join(FORMATS)}")
    if extra_tables and suffix not in (".xlsx", ".gpkg"):
        raise ValueError(f"{suffix} holds one table; write extra tables to their own file")
    if suffix in (".gpkg", ".geojson"):
        if not isinstance(table, gpd.GeoDataFrame):
            raise ValueError(f"{suffix} needs a GeoDataFrame with geometry")
        geo = table.copy()
        for column in geo.columns:
            if isinstance(geo[column].dtype, pd.BooleanDtype):
                geo[column] = geo[column].astype(object)
        if suffix == ".gpkg":
            return _write_gpkg(geo, path, metadata, extra_tables)
        return _write_geojson(geo, path, metadata)
    if suffix == ".csv":
        return _write_csv(table, path, metadata)
    return _write_xlsx(table, path, metadata, extra_tables)
