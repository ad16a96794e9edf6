"""``stapelkaart trends``: the long table, per-area trends, and bad input that writes nothing."""

from __future__ import annotations

import pytest

from geo_app.cli import main
from geo_app.cli.trends import LONG_COLUMNS
from layers.export import read_csv_table


@pytest.fixture
def tiny_server(monkeypatch, tmp_path):
    from fake_cbs import FakeCbs, FakeCbsServer
    from fake_cbs_series import tiny_series_tables

    with FakeCbsServer(FakeCbs(tables=tiny_series_tables(), page_size=10_000)) as server:
        monkeypatch.setenv("STAPELKAART_CBS_URL", server.url)
        monkeypatch.setenv("STAPELKAART_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("STAPELKAART_HTTP_RETRIES", "1")
        yield server.state


def test_tiny_series_to_csv(tiny_server, tmp_path, capsys):
    out = tmp_path / "trends.csv"
    args = ["trends", "--municipality", "GM9998", "--from", "2020", "--to", "2021"]
    assert main([*args, "--theme", "wmo", "--out", str(out)]) == 0
    table = read_csv_table(out)
    assert list(table.columns) == list(LONG_COLUMNS)
    assert {"2020H1", "2020", "2021H1"} <= set(table["period"])
    assert set(table["level"]) == {"gemeente", "wijk"}
    assert not table["harmonised"].astype(str).eq("True").any()
    # two years are too few for a trend, and wijk 02 changed its boundaries: reasons, no slope
    assert table["reason"].notna().all() and table["slope"].isna().all()
    haven = table[table["code"] == "WK999802"]
    assert haven["reason"].str.contains("grenzen gewijzigd in 2021").all()
    header = out.read_text(encoding="utf-8").splitlines()[:40]
    assert any("84907NED" in line for line in header)  # the sources
    assert any("signaal" in line for line in header)
    assert "Wrote" in capsys.readouterr().out


GM = ["--municipality", "GM9998"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([*GM, "--from", "2023", "--to", "2019"], "wrong way round"),
        ([*GM, "--from", "2016", "--to", "2020", "--theme", "bijstand"], "No bijstand table"),
        ([*GM, "--from", "2012", "--to", "2014"], "No theme has wijk tables"),
        ([*GM, "--from", "2019", "--to", "2020", "--level", "buurt", "--theme", "wmo"], "buurt"),
        (["--municipality", "GM0457", "--from", "2019", "--to", "2024"], "merged away"),
        (
            ["--municipality", "GM0001", "--from", "2020", "--to", "2021", "--theme", "wmo"],
            "GM0001",
        ),
        (["--municipality", "Weesp", "--from", "2020", "--to", "2021"], "Not a gemeente code"),
        ([*GM, "--from", "2020", "--to", "2021", "--theme", "wmo", "--out", "x.gpkg"], "'.gpkg'"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tiny_server, tmp_path, capsys, args, message):
    out = tmp_path / "trends.csv"
    if "--out" in args:
        out = tmp_path / args[-1]
        args = args[:-2]
    assert main(["trends", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    errors = [line for line in err.splitlines() if not line.startswith("[")]  # not progress
    assert len(errors) == 1 and errors[0].startswith("stapelkaart: error:")
    assert message in errors[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.real_data
def test_real_gemeente_to_xlsx_with_the_signal(real_data, monkeypatch, tmp_path, capsys):
    import pandas as pd
    from fake_cbs import FakeCbs, FakeCbsServer
    from fake_cbs_series import series_tables_from_dumps

    from cbs_ingest.series_tables import tables_for

    ids = [
        t.table_id
        for th in ("wmo", "voorzieningen", "jeugdzorg")
        for t in tables_for(th, 2017, 2024)
    ]
    tables = series_tables_from_dumps(real_data, ids)
    with FakeCbsServer(FakeCbs(tables=tables, page_size=10_000)) as server:
        monkeypatch.setenv("STAPELKAART_CBS_URL", server.url)
        monkeypatch.setenv("STAPELKAART_DATA_DIR", str(tmp_path / "data"))
        out = tmp_path / "aa-en-hunze.xlsx"
        args = ["trends", "--municipality", "GM1680", "--from", "2017", "--to", "2024"]
        assert main([*args, "--signal", "--out", str(out)]) == 0
    table = pd.read_excel(out, sheet_name=0)
    assert list(table.columns) == list(LONG_COLUMNS)
    # bijstand starts 2019; stapeling is the stacking percentile within the gemeente
    assert set(table["theme"]) == {"wmo", "voorzieningen", "jeugdzorg", "stapeling"}
    wijken = table[(table["level"] == "wijk") & table["comparable"]]
    assert wijken["code"].nunique() >= 5 and wijken["slope"].notna().all()
    themes = wijken[wijken["theme"] != "stapeling"]
    assert themes["trend_flag"].notna().all()  # --signal fills it
    assert wijken.loc[wijken["theme"] == "stapeling", "trend_flag"].isna().all()  # never
    assert table.loc[~table["comparable"], "reason"].notna().all()
    assert "oplopend" in capsys.readouterr().out
