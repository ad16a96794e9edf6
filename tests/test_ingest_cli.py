"""``stapelkaart ingest`` end to end against the local CBS server and a CBS GeoPackage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from fake_cbs import Fault

from cbs_ingest import cache
from geo_app.cli import main

pytestmark = pytest.mark.real_data

ROOT = Path(__file__).resolve().parents[1]


def _nothing_written() -> bool:
    folder = cache.cache_dir()
    return not folder.exists() or not any(folder.iterdir())


def test_ingest_prints_progress_and_summary(cbs_server, cbs_gpkg, capsys):
    code = main(
        [
            "ingest",
            "--year",
            "2024",
            "--municipality",
            "GM0606",
            "-m",
            "GM0622",
            "--geometry-file",
            str(cbs_gpkg),
        ]
    )
    out, err = capsys.readouterr()
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("[  5%]") and any(line.startswith("[100%]") for line in lines)
    assert "KWB 2024 (85984NED) for GM0606 Schiedam, GM0622 Vlaardingen" in out
    assert "110 buurt rows; join 110/110 matched (100.0%)" in out
    assert "20 wijk rows; join 20/20 matched (100.0%)" in out
    cache_line = lines[-1]
    assert cache_line.startswith("Cache: ") and Path(cache_line[7:]).is_file()

    assert (
        main(
            [
                "ingest",
                "--year",
                "2024",
                "-m",
                "GM0622",
                "-m",
                "GM0606",
                "-q",
                "--geometry-file",
                str(cbs_gpkg),
            ]
        )
        == 0
    )
    out, _ = capsys.readouterr()
    assert "served from cache" in out and "[" not in out.splitlines()[0]


def _error_line(capsys) -> str:
    _, err = capsys.readouterr()
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("stapelkaart: error: ")
    return lines[0]


def test_unknown_gemeente(cbs_server, cbs_gpkg, capsys):
    code = main(["ingest", "--year", "2024", "-m", "GM0001", "--geometry-file", str(cbs_gpkg)])
    assert code == 2
    assert "has no gemeente GM0001" in _error_line(capsys)
    assert _nothing_written()


def test_year_without_table_fails_before_any_request(cbs_server, cbs_gpkg, capsys):
    code = main(["ingest", "--year", "2017", "-m", "GM0606", "--geometry-file", str(cbs_gpkg)])
    assert code == 2
    assert "No KWB table known for year 2017" in _error_line(capsys)
    assert cbs_server.log == [] and _nothing_written()


def test_bad_code_fails_before_any_request(cbs_server, cbs_gpkg, capsys):
    assert main(["ingest", "--year", "2024", "-m", "Schiedam"]) == 2
    assert "is not a gemeente code" in _error_line(capsys)
    assert cbs_server.log == []


def test_geopackage_without_layers(cbs_server, tmp_path, capsys):
    import geopandas as gpd
    from shapely.geometry import box

    path = tmp_path / "wrong.gpkg"
    gpd.GeoDataFrame({"statcode": ["GM0606"]}, geometry=[box(0, 0, 1, 1)], crs=28992).to_file(
        path, layer="cbs_gemeente_2024"
    )
    code = main(["ingest", "--year", "2024", "-m", "GM0606", "--geometry-file", str(path)])
    assert code == 2
    line = _error_line(capsys)
    assert "lacks the layer(s) buurten, wijken, gemeenten" in line
    assert "it has: cbs_gemeente_2024" in line
    assert cbs_server.log == [] and _nothing_written()


def test_unreachable_server(cbs_server, cbs_gpkg, capsys, monkeypatch):
    monkeypatch.setenv("STAPELKAART_CBS_URL", "http://127.0.0.1:9")
    code = main(["ingest", "--year", "2024", "-m", "GM0606", "--geometry-file", str(cbs_gpkg)])
    assert code == 2
    assert "CBS at http://127.0.0.1:9 is unavailable after 3 attempt(s)" in _error_line(capsys)
    assert _nothing_written()


def test_failing_server_then_stale_copy(cbs_server, cbs_gpkg, capsys):
    args = ["ingest", "--year", "2024", "-m", "GM0597", "--geometry-file", str(cbs_gpkg), "-q"]
    assert main(args) == 0
    cbs_server.faults.append(Fault("TypedDataSet", "500", times=99))
    assert main(args + ["--refresh"]) == 0
    out, _ = capsys.readouterr()
    assert "WARNING: source unavailable (CBS at" in out and "served the cached copy" in out


def test_whole_country(cbs_server, cbs_gpkg, capsys, real_data):
    """Every gemeente CBS serves: 342 with 3,393 wijken from ../shared, 5 with 54 in the fixture."""
    import pandas as pd

    wijken = pd.read_parquet(real_data / "nprz-app" / "wijk_2024_stats.parquet")
    n_gemeenten, n_wijken = wijken["gemeentecode"].nunique(), len(wijken)
    code = main(
        ["ingest", "--year", "2024", "--whole-country", "-q", "--geometry-file", str(cbs_gpkg)]
    )
    out, _ = capsys.readouterr()
    assert code == 0
    assert f"the whole country ({n_gemeenten} gemeenten)" in out
    assert f"{n_wijken} wijk rows; join {n_wijken}/{n_wijken} matched (100.0%)" in out


def test_command_line_process(cbs_server, cbs_gpkg, tmp_path):
    """The real entry point in a child process, environment only (as a user runs it)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT),
        "STAPELKAART_CBS_URL": cbs_server.url,
        "STAPELKAART_DATA_DIR": str(tmp_path / "cli-data"),
        "HOME": str(tmp_path),
    }
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "geo_app",
            "ingest",
            "--year",
            "2024",
            "-m",
            "GM0597",
            "--geometry-file",
            str(cbs_gpkg),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        cwd=tmp_path,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert "12 buurt rows; join 12/12 matched (100.0%)" in run.stdout
    assert str(tmp_path / "cli-data" / "kwb") in run.stdout


@pytest.mark.parametrize(
    "argv",
    [
        ["ingest", "-m", "GM0505"],
        ["ingest", "--year", "abc", "-m", "GM0505"],
        ["ingest", "--year", "2024", "-m", "GM0505", "--whole-country"],
        ["ingest", "--year", "2024"],
    ],
)
def test_usage_mistakes_are_one_line(cbs_server, capsys, argv):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    line = _error_line(capsys)
    assert "see stapelkaart ingest --help" in line
    assert cbs_server.log == [] and _nothing_written()


def test_gemeente_with_wijken_but_no_buurten_in_either_source(cbs_server, cbs_gpkg, capsys):
    """Dordrecht has wijk rows in the test sources but no buurt rows: no crash, 0 buurten."""
    code = main(
        ["ingest", "--year", "2024", "-m", "GM0505", "-q", "--geometry-file", str(cbs_gpkg)]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "0 buurt rows" in out
    assert "13 wijk rows; join 13/13 matched (100.0%)" in out
