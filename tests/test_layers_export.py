from __future__ import annotations

import csv
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from layers import export
from layers.export import neutralise_formulas, read_csv_table, write_table
from tests._grid import grid_frame

_RISKY = ['=HYPERLINK("http://x","klik")', "+31 6", "-2+3", "@SUM(A1)", "\tx", "\rx"]
_META = {"bronnen": ["CBS KWB 2024"], "instellingen": {"profile": "default", "seed": 0}}


def _table() -> gpd.GeoDataFrame:
    frame = grid_frame(3, 3)[["code", "name", "population", "geometry"]].copy()
    frame.loc[: len(_RISKY) - 1, "name"] = _RISKY
    frame["score"] = np.linspace(-1.5, 1.5, len(frame))
    frame["flag"] = [True, False] * 4 + [True]
    frame["cluster"] = pd.array([1, 2, None, 1, 2, 3, 1, 2, 3], dtype="Int64")
    return frame


def test_neutralise_only_touches_risky_text():
    frame = pd.DataFrame({"t": _RISKY + ["gewoon", None], "n": [-1.0] * 8, "=kop": 1})
    out = neutralise_formulas(frame)
    assert all(v.startswith("'") for v in out["t"].iloc[:6])
    assert out["t"].iloc[6] == "gewoon" and pd.isna(out["t"].iloc[7])
    assert (out["n"] == -1.0).all()
    assert list(out.columns) == ["t", "n", "'=kop"]
    assert frame.columns[2] == "=kop"  # input untouched


def test_csv_is_safe_and_carries_its_sources(tmp_path):
    table = _table()
    before = table.copy()
    path = tmp_path / "uit.csv"
    written = write_table(table, path, metadata={**_META, "eigen": "a,=1+1"})
    assert written == [path]
    pd.testing.assert_frame_equal(pd.DataFrame(table), pd.DataFrame(before))
    with path.open(encoding="utf-8", newline="") as handle:
        raw = list(csv.reader(handle))
    header = [r for r in raw if r and r[0].startswith("#")]
    assert all(len(r) == 1 for r in header)  # one cell per line, never a formula cell
    assert "# bronnen: CBS KWB 2024" in [r[0] for r in header]
    assert "# instellingen.profile: default" in [r[0] for r in header]
    assert "# eigen: a,=1+1" in [r[0] for r in header]
    start = len(header)
    assert raw[:start] == header and raw[start][0] == "code"
    rows = [dict(zip(raw[start], r, strict=True)) for r in raw[start + 1 :]]
    assert "geometry" not in rows[0]
    names = [r["name"] for r in rows]
    for risky, written_name in zip(_RISKY, names, strict=False):
        assert written_name == "'" + risky
    assert rows[0]["score"] == "-1.5"  # numbers are not prefixed
    assert rows[2]["cluster"] == ""
    back = read_csv_table(path)
    assert len(back) == len(table) and list(back.columns) == list(rows[0])


def test_xlsx_never_holds_formulas_and_has_a_sources_sheet(tmp_path):
    path = tmp_path / "uit.xlsx"
    write_table(_table(), path, metadata=_META)
    book = load_workbook(path)
    assert book.sheetnames == ["resultaat", "bronnen en instellingen"]
    sheet = book["resultaat"]
    header = [c.value for c in sheet[1]]
    col = header.index("name") + 1
    for i, risky in enumerate(_RISKY, start=2):
        cell = sheet.cell(row=i, column=col)
        assert cell.data_type == "s"
        assert cell.value == risky.replace("\r", "\n")  # XML normalises a lone CR
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    assert sheet.cell(row=2, column=header.index("score") + 1).value == -1.5
    assert sheet.cell(row=2, column=header.index("flag") + 1).value is True
    meta = dict(book["bronnen en instellingen"].iter_rows(min_row=2, values_only=True))
    assert meta["bronnen"] == "CBS KWB 2024"
    assert meta["instellingen.profile"] == "default"


def test_geopackage_and_geojson(tmp_path):
    table = _table()
    gpkg = tmp_path / "uit.gpkg"
    write_table(table, gpkg, metadata=_META)
    layers = {name for name, _ in pyogrio.list_layers(gpkg)}
    assert layers == {"stapelkaart", "bronnen_en_instellingen"}
    back = gpd.read_file(gpkg, layer="stapelkaart")
    assert back.crs.to_epsg() == 28992 and len(back) == len(table)
    assert back["name"].tolist() == table["name"].tolist()
    meta = gpd.read_file(gpkg, layer="bronnen_en_instellingen")
    assert "instellingen.seed" in set(meta["onderdeel"])
    geojson = tmp_path / "uit.geojson"
    assert write_table(table, geojson, metadata=_META) == [geojson]
    back = gpd.read_file(geojson)
    assert back.crs.to_epsg() == 4326 and back["name"].tolist() == table["name"].tolist()
    assert json.loads(geojson.read_text(encoding="utf-8"))["stapelkaart"] == _META


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson", "gpkg"])
def test_byte_writers_for_the_app_carry_sources_settings_and_suppression(fmt, tmp_path):
    writer = getattr(export, f"to_{fmt}_bytes")
    data = writer(
        _table(),
        sources={"bron": "CBS Kerncijfers"},
        settings={"Indicatorprofiel": "default"},
        suppression="Aantallen onder 10 zijn onderdrukt.",
    )
    path = tmp_path / f"download.{fmt}"
    path.write_bytes(data)
    if fmt == "csv":
        text = path.read_text(encoding="utf-8")
        assert "# bronnen.bron: CBS Kerncijfers" in text and "onderdrukt" in text
        assert len(read_csv_table(path)) == 9
    elif fmt == "xlsx":
        meta = dict(load_workbook(path)["bronnen en instellingen"].iter_rows(values_only=True))
        assert meta["instellingen.Indicatorprofiel"] == "default"
        assert meta["onderdrukking"].startswith("Aantallen")
    elif fmt == "geojson":
        member = json.loads(path.read_text(encoding="utf-8"))["stapelkaart"]
        assert member["bronnen"] == {"bron": "CBS Kerncijfers"}
    else:
        meta = gpd.read_file(path, layer="bronnen_en_instellingen")
        assert "onderdrukking" in set(meta["onderdeel"])
        assert len(gpd.read_file(path, layer="stapelkaart")) == 9


def test_failed_write_leaves_the_old_file_and_no_temp_files(tmp_path, monkeypatch):
    path = tmp_path / "uit.csv"
    path.write_text("oud", encoding="utf-8")

    def broken(self, target, *args, **kwargs):
        target.write("code,half")
        target.flush()
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        write_table(_table(), path, metadata=_META)
    assert path.read_text(encoding="utf-8") == "oud"
    assert [p.name for p in tmp_path.iterdir()] == ["uit.csv"]


def test_unsupported_or_unfit_output_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unsupported"):
        write_table(_table(), tmp_path / "uit.shp")
    with pytest.raises(ValueError, match="GeoDataFrame"):
        write_table(pd.DataFrame(_table().drop(columns="geometry")), tmp_path / "uit.gpkg")
    assert list(tmp_path.iterdir()) == []
