"""``stapelkaart trends``: the long table, per-area trends, and bad input that writes nothing."""

from __future__ import annotations

import pytest

from geo_app.cli import main
from geo_app.cli.trends import LONG_COLUMNS
from layers.export import read_csv_table


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
    assert table["trend_reason"].notna().all() and table["slope"].isna().all()
    assert not table["trend_comparable"].astype(str).eq("True").any()
    haven = table[table["code"] == "WK999802"]
    assert haven["trend_reason"].str.contains("grenzen gewijzigd in 2021").all()
    # comparability per period, as in the app's export: wijk 02's 2020 is not comparable
    # with 2021 (its boundaries changed), its 2021 is; the unchanged wijk 01 is every year
    comparable = haven["comparable"].astype(str).eq("True")
    before = haven["period"].str.startswith("2020")
    assert before.any() and not comparable[before].any() and comparable[~before].all()
    assert haven.loc[before, "reason"].str.contains("grenzen gewijzigd in 2021").all()
    assert haven.loc[~before, "reason"].isna().all()
    centrum = table[table["code"] == "WK999801"]
    assert centrum["comparable"].astype(str).eq("True").all() and centrum["reason"].isna().all()
    header = out.read_text(encoding="utf-8").splitlines()[:60]
    assert any("Deze periode is vergelijkbaar met het laatste jaar" in line for line in header)
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
    wijken = table[(table["level"] == "wijk") & table["trend_comparable"]]
    assert wijken["code"].nunique() >= 5 and wijken["slope"].notna().all()
    themes = wijken[wijken["theme"] != "stapeling"]
    assert themes["trend_flag"].notna().all()  # --signal fills it
    assert wijken.loc[wijken["theme"] == "stapeling", "trend_flag"].isna().all()  # never
    assert table.loc[~table["comparable"], "reason"].notna().all()
    assert table.loc[table["comparable"], "reason"].isna().all()
    assert table.loc[~table["trend_comparable"], "trend_reason"].notna().all()
    # each period of the stacking percentile is as comparable as the area's trend
    stapeling = table[table["theme"] == "stapeling"]
    assert len(stapeling) and stapeling["comparable"].equals(stapeling["trend_comparable"])
    assert "oplopend" in capsys.readouterr().out


def _tiny_layers(wijk_02):
    """CBS layers of GM9998: wijk 01 on x 0-100, wijk 02 as given (EPSG:28992)."""
    import geopandas as gpd
    from shapely.geometry import box

    wijken = gpd.GeoDataFrame(
        {
            "wijkcode": ["WK999801", "WK999802"],
            "wijknaam": ["Centrum", "Haven"],
            "gemeentecode": ["GM9998"] * 2,
            "gemeentenaam": ["Testdorp"] * 2,
            "water": ["NEE"] * 2,
        },
        geometry=[box(100_000, 400_000, 100_100, 400_100), wijk_02],
        crs=28992,
    )
    gemeenten = gpd.GeoDataFrame(
        {"gemeentecode": ["GM9998"], "gemeentenaam": ["Testdorp"], "water": ["NEE"]},
        geometry=[wijken.union_all()],
        crs=28992,
    )
    buurten = wijken.rename(columns={"wijkcode": "buurtcode", "wijknaam": "buurtnaam"})
    buurten["buurtcode"] = buurten["buurtcode"].str.replace("WK", "BU") + "00"
    buurten["wijkcode"] = wijken["wijkcode"]
    return {"gemeenten": gemeenten, "wijken": wijken, "buurten": buurten}


def test_changed_wijk_harmonised_with_boundaries_from_pdok_then_the_store(
    tiny_server, tmp_path, monkeypatch, capsys
):
    """Wijk 02 lost its eastern half in 2021: its 2020 count is halved onto 2021's wijk."""
    from fake_pdok import FakePdokServer
    from shapely.geometry import box

    _tiny_published(tiny_server)
    before = _tiny_layers(box(100_100, 400_000, 100_300, 400_100))
    after = _tiny_layers(box(100_100, 400_000, 100_200, 400_100))
    args = ["trends", "-m", "GM9998", "--from", "2020", "--to", "2021", "--theme", "wmo"]
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    with FakePdokServer(after, by_year={2020: before, 2021: after}) as pdok:
        monkeypatch.setenv("STAPELKAART_PDOK_URL", pdok.url)
        assert main([*args, "--out", str(first)]) == 0
        assert any("wijken-en-buurten-2020" in line for line in pdok.state["log"])
    table = read_csv_table(first)
    assert list(table.columns) == list(LONG_COLUMNS)
    rows = table[(table["code"] == "WK999802") & (table["period"] == "2020H1")]
    rows = rows.set_index("indicator")
    assert rows["harmonised"].astype(str).eq("True").all()
    assert set(rows["harmonise_method"]) == {"oppervlakte"}
    assert float(rows.at["wmo_clients", "value"]) == pytest.approx(150.0)  # half the area
    assert float(rows.at["wmo_clients_per_1000", "value"]) == pytest.approx(50.0)
    assert rows.at["wmo_clients_per_1000", "interpolation"] == "herberekend"
    centrum = table[(table["code"] == "WK999801") & (table["period"] == "2020H1")]
    assert not centrum["harmonised"].astype(str).eq("True").any()  # unchanged: as published
    assert centrum["harmonise_method"].isna().all()
    # harmonised, so comparable with 2021; but two years are too few for a trend: that is
    # the reason now, not the boundary change
    assert rows["comparable"].astype(str).eq("True").all() and rows["reason"].isna().all()
    assert rows["trend_reason"].str.contains("te weinig jaren").all()
    # PDOK down: the boundaries come from the store, the same table comes out
    monkeypatch.setenv("STAPELKAART_PDOK_URL", "http://127.0.0.1:9")
    assert main([*args, "--out", str(second)]) == 0
    assert read_csv_table(second).equals(table)
    assert "Grenzen van 2020: bewaarde grenzen." in second.read_text(encoding="utf-8")


@pytest.mark.real_data
def test_real_merged_gemeente_summed_and_its_new_wijken_refused_offline(
    real_data, monkeypatch, tmp_path, capsys
):
    """Dijk en Waard (2022, from Heerhugowaard and Langedijk), real Wmo dumps, no PDOK."""
    from fake_cbs import FakeCbs, FakeCbsServer
    from fake_cbs_series import series_tables_from_dumps

    from cbs_ingest.series_tables import tables_for

    tables = series_tables_from_dumps(
        real_data, [t.table_id for t in tables_for("wmo", 2019, 2024)]
    )
    out = tmp_path / "dijk-en-waard.csv"
    with FakeCbsServer(FakeCbs(tables=tables, page_size=10_000)) as server:
        monkeypatch.setenv("STAPELKAART_CBS_URL", server.url)
        monkeypatch.setenv("STAPELKAART_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("STAPELKAART_HTTP_RETRIES", "1")
        args = ["trends", "-m", "GM1980", "--from", "2019", "--to", "2024", "--theme", "wmo"]
        assert main([*args, "--out", str(out)]) == 0
    table = read_csv_table(out)
    gemeente = table[(table["code"] == "GM1980") & (table["indicator"] == "wmo_clients")]
    early = gemeente[gemeente["period"].isin(["2019H1", "2020H1", "2021H1"])]
    assert set(early["harmonise_method"]) == {"samenvoeging"}
    assert early["harmonised"].astype(str).eq("True").all()
    assert gemeente["comparable"].astype(str).eq("True").all()  # a trend over the merger
    h1 = table[(table["period"] == "2019H1") & (table["indicator"] == "wmo_clients")]
    parts = h1[h1["code"].isin(["GM0398", "GM0416"])]["value"].astype(float)
    assert len(parts) == 2
    assert float(h1.loc[h1["code"] == "GM1980", "value"].iloc[0]) == parts.sum()
    # the old gemeenten: no trend, and why
    old = table[table["code"] == "GM0398"]
    assert old["reason"].str.contains("bestaat niet meer").all()
    # Dijk en Waard's wijken are new since 2022; without boundaries of 2019-2021 (PDOK is
    # not reachable here) they are refused, never given a trend on a part of the years
    wijken = table[(table["level"] == "wijk") & table["code"].str.startswith("WK1980")]
    assert len(wijken) and not wijken["trend_comparable"].astype(str).eq("True").any()
    reason = wijken["trend_reason"]
    no_boundaries = reason.str.contains("niet te harmoniseren: geen grenzen van 2019")
    gone = reason.str.contains("bestaat niet meer in 2024")  # renumbered since
    assert (no_boundaries | gone).all() and no_boundaries.sum() > gone.sum()
    assert "Trends 2019–2024" in capsys.readouterr().out


def _tiny_published(tiny_server):
    """The tiny Wmo tables with wijk 02 published (not secret) in 2020: 300 clients, 50 ‰."""
    import copy

    import fake_cbs_series

    header, records = copy.deepcopy(fake_cbs_series._TINY_2020)
    haven = next(r for r in records if r[6] == "WK999802")
    haven[8:10] = ["300.0", "50.0"]
    tiny_server.tables["84907NED"] = fake_cbs_series.build_table("84907NED", header, records)


def test_population_weights_from_cbs_squares(tiny_server, tmp_path, monkeypatch):
    """Three quarters of wijk 02's people lived in the part it kept: 225 of 300, not 150."""
    from fake_pdok import FakePdokServer
    from shapely.geometry import box

    _tiny_published(tiny_server)
    squares = tmp_path / "vk100.csv"
    squares.write_text(
        "crs28992res100m,rd_x_ll,rd_y_ll,aantal_inwoners\n"
        "E1001N4000,100100,400000,30\nE1002N4000,100200,400000,10\n"
        "E1000N4000,100000,400000,-99997\n",  # a secret square (CBS code) is left out
        encoding="utf-8",
    )
    before = _tiny_layers(box(100_100, 400_000, 100_300, 400_100))
    after = _tiny_layers(box(100_100, 400_000, 100_200, 400_100))
    out = tmp_path / "trends.csv"
    args = ["trends", "-m", "GM9998", "--from", "2020", "--to", "2021", "--theme", "wmo"]
    with FakePdokServer(after, by_year={2020: before, 2021: after}) as pdok:
        monkeypatch.setenv("STAPELKAART_PDOK_URL", pdok.url)
        assert main([*args, "--population", str(squares), "--out", str(out)]) == 0
    table = read_csv_table(out)
    rows = table[(table["code"] == "WK999802") & (table["period"] == "2020H1")]
    rows = rows.set_index("indicator")
    assert set(rows["harmonise_method"]) == {"bevolking"}
    assert float(rows.at["wmo_clients", "value"]) == pytest.approx(225.0, abs=0.01)
    assert float(rows.at["wmo_clients_per_1000", "value"]) == pytest.approx(50.0)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        ("code,inwoners\nA,3\n", "square id column"),
        ("crs28992res100m,rd_x_ll,rd_y_ll,aantal_inwoners\nE1,100000,400000,-99997\n", "no inh"),
    ],
)
def test_bad_population_file_is_one_line_and_writes_nothing(
    tiny_server, tmp_path, capsys, content, message
):
    population = tmp_path / "in" / "squares.csv"
    if content is not None:
        population.parent.mkdir()
        population.write_text(content, encoding="utf-8")
    out = tmp_path / "out" / "trends.csv"
    args = ["trends", "-m", "GM9998", "--from", "2020", "--to", "2021", "--theme", "wmo"]
    assert main([*args, "--population", str(population), "--out", str(out)]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("[")]
    assert len(errors) == 1 and message in errors[0]
    assert not out.parent.exists()


@pytest.mark.real_data
def test_same_comparability_and_trends_as_the_app_export(monkeypatch, tmp_path):
    """Dordrecht (fixture): per period and per area the CLI says what the app's export says."""
    import pandas as pd
    from _real import FIXTURE_RAW
    from fake_cbs import FakeCbs, FakeCbsServer
    from fake_cbs_series import series_tables_from_dumps

    from cbs_ingest.series_tables import tables_for
    from geo_app.session import trends as session_trends
    from layers.trend_export import series_export

    ids = [t.table_id for t in tables_for("wmo", 2016, 2024)]
    out = tmp_path / "dordrecht.csv"
    with FakeCbsServer(FakeCbs(tables=series_tables_from_dumps(FIXTURE_RAW, ids))) as server:
        monkeypatch.setenv("STAPELKAART_CBS_URL", server.url)
        monkeypatch.setenv("STAPELKAART_DATA_DIR", str(tmp_path / "data"))
        args = ["trends", "-m", "GM0505", "--from", "2016", "--to", "2024", "--theme", "wmo"]
        assert main([*args, "--out", str(out)]) == 0
        session_trends.clear()
        view = session_trends.trend_view("GM0505", "wijk", 2016, 2024)
        session_trends.clear()
    assert view is not None
    app = series_export(view.series, view.trends, signal=False)
    app = app[app["theme"] == "wmo"]
    cli = read_csv_table(out)
    keys = ["code", "indicator", "period"]
    both = cli.merge(app, on=keys, suffixes=("_cli", "_app"), validate="one_to_one")
    assert len(both) == len(app) and len(cli) > len(app)  # the CLI keeps every period
    for column in ("comparable", "harmonised", "trend_comparable"):
        assert both[f"{column}_cli"].astype(str).eq(both[f"{column}_app"].astype(str)).all()
    for column in ("reason", "trend_reason"):
        assert both[f"{column}_cli"].fillna("").eq(both[f"{column}_app"].fillna("")).all()
    pd.testing.assert_series_equal(
        both["slope_cli"], both["slope_app"].astype(float), check_names=False
    )
    # the comparison is not empty on either side: Wielwijk (redrawn in 2022) has periods
    # that are not comparable, the other wijken have trends
    assert (~both["comparable_app"]).any() and both["trend_comparable_app"].any()


def test_the_notes_in_the_file_are_dutch(tiny_server, tmp_path, capsys):
    """``opmerkingen``: where the tables and boundaries came from, in Dutch like the rest."""
    args = ["trends", "-m", "GM9998", "--from", "2020", "--to", "2021", "--theme", "wmo"]
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    assert main([*args, "--out", str(first)]) == 0  # fetched; PDOK is closed in tests
    assert main([*args, "--out", str(second)]) == 0  # from the area store

    def notes(path):
        import csv

        lines = path.read_text(encoding="utf-8").splitlines()[:60]
        header = [row[0] for row in csv.reader(lines) if row and row[0].startswith("#")]
        return next(line for line in header if line.startswith("# opmerkingen: "))

    fetched, stored = notes(first), notes(second)
    # wijk 02 changed in 2021: the boundaries of 2020 were wanted, PDOK did not answer
    assert "Geen grenzen van 2020 van PDOK:" in fetched
    assert "84907NED (2020) uit de gebiedsopslag, opgehaald op " in stored
    assert "85046NED (2021) uit de gebiedsopslag" in stored
    for english in ("No boundaries", "from the area store", "retrieved", "not reachable"):
        assert english not in fetched + stored
    assert "Wrote" in capsys.readouterr().out  # the terminal stays English
