"""A population layer for population-weighted harmonisation, read from a file.

:func:`read_population` accepts

- CBS's square statistics (Vierkantstatistieken, 100 m or 500 m) as CSV, optionally
  gzipped, with the square id column ``crs28992res100m`` (or ``…500m``), the lower-left
  corner ``rd_x_ll``, ``rd_y_ll`` and ``aantal_inwoners``: each row becomes its square;
- any vector file pyogrio reads (GeoPackage, GeoJSON, …) with polygons and a column
  ``population`` or ``aantal_inwoners``.

It returns polygons in EPSG:28992 with a ``population`` column (missing and CBS's
negative secret codes dropped), the layer :func:`models.harmonise.interpolate_areas`
takes as ``population``.
"""

from __future__ import annotations

import re
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from cbs_ingest.errors import InputError

__all__ = ["read_population"]

_SQUARE_ID = re.compile(r"^crs28992res(\d+)m$")
_COLUMNS = ("population", "aantal_inwoners")


def _bad(path: Path, what: str, nl: str) -> InputError:
    return InputError(
        f"Population file {path.name}: {what}.", nl=f"Bevolkingsbestand {path.name}: {nl}."
    )


def _squares(path: Path) -> gpd.GeoDataFrame:
    try:
        header = pd.read_csv(path, nrows=0).columns
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise _bad(path, f"not a readable CSV ({exc})", "geen leesbare CSV") from None
    ids = [c for c in header if _SQUARE_ID.match(str(c))]
    lacking = [c for c in ("rd_x_ll", "rd_y_ll", "aantal_inwoners") if c not in header]
    if not ids or lacking:
        raise _bad(
            path,
            "needs CBS's square id column (crs28992res100m) and "
            + ", ".join(lacking or ["rd_x_ll", "rd_y_ll", "aantal_inwoners"]),
            "mist de kolommen van de CBS-vierkantstatistiek (crs28992res100m, rd_x_ll, "
            "rd_y_ll, aantal_inwoners)",
        )
    size = float(_SQUARE_ID.match(ids[0]).group(1))  # type: ignore[union-attr]
    frame = pd.read_csv(path, usecols=["rd_x_ll", "rd_y_ll", "aantal_inwoners"])
    x = pd.to_numeric(frame["rd_x_ll"], errors="coerce").to_numpy(dtype=float)
    y = pd.to_numeric(frame["rd_y_ll"], errors="coerce").to_numpy(dtype=float)
    people = pd.to_numeric(frame["aantal_inwoners"], errors="coerce").to_numpy(dtype=float)
    keep = np.isfinite(x) & np.isfinite(y) & np.isfinite(people) & (people >= 0)
    geometry = shapely.box(x[keep], y[keep], x[keep] + size, y[keep] + size)
    return gpd.GeoDataFrame({"population": people[keep]}, geometry=geometry, crs=28992)


def _vector(path: Path) -> gpd.GeoDataFrame:
    try:
        frame = pyogrio.read_dataframe(path)
    except Exception:  # pyogrio raises its own DataSourceError types
        raise _bad(path, "not a readable vector file", "geen leesbaar geobestand") from None
    column = next((c for c in _COLUMNS if c in frame.columns), None)
    if column is None or frame.crs is None:
        raise _bad(
            path,
            "needs polygons with a CRS and a column population or aantal_inwoners",
            "heeft vlakken met een coördinatenstelsel en een kolom population of "
            "aantal_inwoners nodig",
        )
    people = pd.to_numeric(frame[column], errors="coerce")
    frame = frame.loc[people.notna() & (people >= 0)]
    out = gpd.GeoDataFrame(
        {"population": people[frame.index].astype(float)}, geometry=frame.geometry, crs=frame.crs
    )
    return out.to_crs(28992).reset_index(drop=True)


def read_population(path: str | Path) -> gpd.GeoDataFrame:
    """Read a population layer (see the module docstring).

    Raises
    ------
    InputError
        The file is missing, unreadable, lacks the columns, or holds no one.
    """
    path = Path(path)
    if not path.is_file():
        raise _bad(path, "does not exist", "bestaat niet")
    name = path.name.lower()
    frame = _squares(path) if name.endswith((".csv", ".csv.gz")) else _vector(path)
    if frame.empty or not frame["population"].sum() > 0:
        raise _bad(path, "holds no inhabitants", "bevat geen inwoners")
    return frame
