from __future__ import annotations

import csv
from types import SimpleNamespace

import geopandas as gpd
import pytest
from openpyxl import load_workbook

import cbs_ingest
from cbs_ingest.errors import SourceUnavailableError
from geo_app.cli import main
from layers.export import read_csv_table
from tests._real import area_frame

_REQUIRED = [
    "code",
    "name",
    "level",
    "stacking_score",
    "stacking_percentile",
    "themes_high",
    "stacking_flag",
    "n_indicators",
    "cluster",
    "cluster_label",
    "hotspot",
]


@pytest.fixture
def private_cache(monkeypatch, tmp_path_factory):
    """The demo gemeente through the real ``cbs_ingest.load``, with a private cache."""
    monkeypatch.setenv("STAPELKAART_DATA_DIR", str(tmp_path_factory.mktemp("cache")))


def test_demo_to_geopackage(tmp_path, capsys, private_cache):
    out = tmp_path / "resultaat.gpkg"
    code = main(
        [
            "analyse",
            "--year",
            "2024",
            "--municipality",
            "GM9999",
            "--out",
            str(out),
            "--permutations",
            "199",
        ]
    )
    assert code == 0
    table = gpd.read_file(out, layer="stapelkaart")
    assert len(table) == 60
    assert set(_REQUIRED) <= set(table.columns)
    assert "pct_corporation_owned" in table.columns
    assert set(table["level"]) == {"buurt"}
    meta = gpd.read_file(out, layer="bronnen_en_instellingen")
    assert "Fictieve" in " ".join(meta["waarde"])
    captured = capsys.readouterr()
    assert "Analysed 60 buurt areas" in captured.out
    assert "[100%] done" in captured.err


def test_demo_wijk_level_to_xlsx_with_profile(tmp_path, private_cache):
    out = tmp_path / "r.xlsx"
    code = main(
        [
            "analyse",
            "--municipality",
            "gm9999",
            "--level",
            "wijk",
            "--profile",
            "breed",
            "--method",
            "ward",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    book = load_workbook(out)
    header = [c.value for c in book["resultaat"][1]]
    assert set(_REQUIRED) <= set(header)
    assert book["resultaat"].max_row == 7  # header + 6 wijken
    meta = dict(book["bronnen en instellingen"].iter_rows(min_row=2, values_only=True))
    assert meta["instellingen.profile"] == "breed"
    assert meta["instellingen.cluster_method"] == "ward"


def test_bad_input_ends_with_a_clear_message_and_no_file(tmp_path, capsys, private_cache):
    out = tmp_path / "r.csv"
    assert main(["analyse", "--municipality", "Schiedam", "--out", str(out)]) == 2
    assert "Not a gemeente code" in capsys.readouterr().err
    assert main(["analyse", "--municipality", "GM9999", "--out", str(tmp_path / "r.txt")]) == 2
    assert "Unsupported output format" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_unreachable_source_ends_with_a_clear_message_and_no_file(tmp_path, capsys, monkeypatch):
    def unreachable(year, municipalities=None, **kwargs):
        raise SourceUnavailableError("CBS did not answer (test)")

    monkeypatch.setattr(cbs_ingest, "load", unreachable)
    out = tmp_path / "r.gpkg"
    assert main(["analyse", "--municipality", "GM0606", "--out", str(out)]) == 2
    assert "CBS did not answer" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.real_data
def test_real_buurten_through_the_ingest_interface(tmp_path, monkeypatch, real_data):
    calls = []

    def fake_load(year, municipalities=None, **kwargs):
        calls.append((year, municipalities))
        frame = area_frame(real_data, "buurt", municipalities)
        return SimpleNamespace(
            frames={"buurt": frame},
            provenance={"table": "85984NED", "year": year},
            from_cache=False,
            stale=False,
        )

    monkeypatch.setattr(cbs_ingest, "load", fake_load, raising=False)
    out = tmp_path / "schiedam.csv"
    assert (
        main(
            [
                "analyse",
                "--municipality",
                "GM0606,GM0622",
                "--scope",
                "selection",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert calls == [(2024, ["GM0606", "GM0622"])]
    table = read_csv_table(out)
    assert len(table) == 70 + 40
    assert set(table["code"].str[:6]) == {"BU0606", "BU0622"}
    with out.open(encoding="utf-8", newline="") as handle:
        header = [row[0] for row in csv.reader(handle) if row and row[0].startswith("#")]
    assert any("85984NED" in line and line.startswith("# bronnen:") for line in header)
    assert '# herkomst.provenance: {"table": "85984NED", "year": 2024}' in header
    assert "# instellingen.scope: selection" in header
    assert table["stacking_flag"].any()
