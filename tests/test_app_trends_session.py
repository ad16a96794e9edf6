"""The app's trend plumbing (geo_app.session.trends) on real series of the compact fixture.

The fake CBS server serves the real social-domain dumps of ``tests/fixtures/real`` (thirteen
gemeenten, Dordrecht GM0505 among them); the area store is the test's own.
"""

from __future__ import annotations

import numpy as np
import pytest
from _real import FIXTURE_RAW
from fake_cbs import FakeCbs, FakeCbsServer
from fake_cbs_series import series_tables_from_dumps

from cbs_ingest.series_load import load_series
from cbs_ingest.series_tables import THEMES
from geo_app.access.roles import LOCAL_ROLE
from geo_app.session import trends as session_trends
from geo_app.session.trends import (
    SERIES_VIEW_COLUMNS,
    change_since,
    for_role,
    trend_view,
    year_range,
)

OFFLINE = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def series_server():
    with FakeCbsServer(
        FakeCbs(tables=series_tables_from_dumps(FIXTURE_RAW), page_size=10_000)
    ) as s:
        yield s


@pytest.fixture
def served(series_server, monkeypatch, tmp_path):
    monkeypatch.setenv("STAPELKAART_CBS_URL", series_server.url)
    monkeypatch.setenv("STAPELKAART_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STAPELKAART_HTTP_RETRIES", "1")
    monkeypatch.setenv("STAPELKAART_HTTP_BACKOFF", "0.01")
    session_trends.clear()
    yield series_server
    session_trends.clear()


def test_dordrecht_wijken_have_series_trends_and_the_gemeente_line(served, monkeypatch):
    view = trend_view("GM0505", "wijk", 2016, 2024)
    assert view is not None and (view.first, view.last, view.level) == (2016, 2024, "wijk")
    assert list(view.series.columns) == list(SERIES_VIEW_COLUMNS)
    assert {"wmo", "voorzieningen", "jeugdzorg"} <= set(view.themes)
    # one value per area, indicator and year
    keys = view.series[["code", "indicator", "year"]]
    assert not keys.duplicated().any()
    wmo = view.series[(view.series["theme"] == "wmo") & (view.series["level"] == "wijk")]
    assert wmo["code"].nunique() >= 10 and set(wmo["year"]) == set(range(2016, 2025))
    # youth care changed definition in 2017: its series starts there, said in a note
    assert view.series.loc[view.series["theme"] == "jeugdzorg", "year"].min() == 2017
    assert any("definitie" in n and "2017" in n for n in view.notes)
    # trends: refused rows carry a reason and no slope
    refused = view.trends[~view.trends["comparable"]]
    assert refused["reason"].notna().all() and refused["slope"].isna().all()
    assert view.trends.loc[view.trends["comparable"], "slope"].notna().all()
    # Dordrecht redrew Wielwijk in 2022; PDOK (closed in tests) gives no earlier boundaries,
    # so the app's harmonisation step refuses it with the reason, as the CLI does
    wielwijk = view.trends[view.trends["name"].str.contains("Wielwijk")]
    assert len(wielwijk) and not wielwijk["comparable"].any()
    assert wielwijk["reason"].str.contains("niet te harmoniseren: geen grenzen van 201").all()
    # gemeente line from the series itself; no national line without a whole-country store
    lines = view.reference
    own = lines[(lines["line"] == "gemeente") & (lines["indicator"] == "wmo_clients")]
    gm = view.series[
        (view.series["code"] == "GM0505") & (view.series["indicator"] == "wmo_clients")
    ]
    assert sorted(own["value"]) == sorted(gm["value"].dropna())
    assert "nederland" not in set(lines["line"])
    assert any("--whole-country" in n for n in view.notes)
    # a second call is served from the cache, even without CBS
    monkeypatch.setenv("STAPELKAART_CBS_URL", OFFLINE)
    assert trend_view("GM0505", "wijk", 2016, 2024) is view


def test_the_national_line_comes_from_the_stored_whole_country_series(served):
    whole = load_series("wmo", 2019, 2024, None)
    stored = whole.rows[(whole.rows["level"] == "gemeente") & whole.rows["value"].notna()]
    stored = stored[stored["indicator"] == "wmo_clients"]
    # per year every gemeente with a count; they differ by year (Dijk en Waard from 2022)
    per_year = stored.groupby("year")["code"].nunique()
    gemeenten = per_year.max()
    view = trend_view("GM0505", "wijk", 2019, 2024)
    national = view.reference[view.reference["line"] == "nederland"]
    assert set(national["theme"]) == {"wmo"}  # only wmo was stored whole
    count = national[national["indicator"] == "wmo_clients"].set_index("year")
    h1 = whole.rows[(whole.rows["level"] == "gemeente") & (whole.rows["period"] == "2022H1")]
    expected = h1.loc[h1["indicator"] == "wmo_clients", "value"].sum()
    assert count.loc[2022, "value"] == expected
    assert count["n_gemeenten"].to_dict() == per_year.to_dict()
    assert gemeenten > 1
    assert any(
        f"{gemeenten} gemeenten" in n or "gemeenten uit de opgeslagen" in n for n in view.notes
    )


def test_change_since_and_the_year_range(served):
    view = trend_view("GM0505", "wijk", 2016, 2024)
    change = change_since(view, "wmo", 2019)
    rate = view.series[view.series["indicator"] == "wmo_clients_per_1000"]
    code = change.dropna().index[0]
    mine = rate[rate["code"] == code].set_index("year")["value"]
    assert change[code] == mine[2024] - mine[2019]
    assert set(change.index) == set(rate.loc[rate["level"] == "wijk", "code"])
    refused = rate[(rate["year"] == 2019) & ~rate["comparable"] & (rate["level"] == "wijk")]
    assert all(np.isnan(change[c]) for c in refused["code"])
    assert year_range("GM0505", "wijk") == (2016, 2024)
    assert year_range("GM0505", "buurt") == (2019, 2024)  # only the benefits have buurten
    assert year_range("GM0003", "wijk") == (2016, 2021)  # Appingedam merged away in 2021
    assert year_range("GM0505", "land") is None


def test_a_role_without_a_theme_gets_neither_its_series_nor_its_trend(served):
    from dataclasses import replace

    view = trend_view("GM0505", "wijk", 2016, 2024)
    assert for_role(view, LOCAL_ROLE) is view
    no_wmo = replace(LOCAL_ROLE, indicators=frozenset({"youth_care_pct"}))
    seen = for_role(view, no_wmo)
    assert set(seen.series["theme"]) == {"jeugdzorg"}
    assert set(seen.trends["theme"]) == {"jeugdzorg"} and set(seen.reference["theme"]) == {
        "jeugdzorg"
    }
    counts_only = replace(LOCAL_ROLE, indicators=frozenset({"wmo_clients", "persons_bijstand"}))
    assert set(for_role(view, counts_only).series["theme"]) == {"wmo"}  # no youth care: no sd
    nothing = replace(LOCAL_ROLE, export_indicators=frozenset())
    assert for_role(view, nothing, purpose="export").series.empty


def test_no_series_is_none_not_an_error(served, monkeypatch):
    monkeypatch.setenv("STAPELKAART_CBS_URL", OFFLINE)
    assert trend_view("GM0014", "wijk", 2016, 2024) is None  # CBS down, nothing stored
    message = session_trends.no_series_message("GM0014", "wijk", 2016, 2024)
    assert message.startswith("Geen reeksen over de jaren voor GM0014")
    assert "niet getoond" in message  # the reason CBS gave is in it
    assert trend_view("GM0505", "wijk", 2024, 2016) is None
    assert {*THEMES, "stapeling"} == set(session_trends.THEME_INDICATORS)


def test_the_demo_gemeente_has_generated_series_offline(served, monkeypatch):
    monkeypatch.setenv("STAPELKAART_CBS_URL", OFFLINE)
    view = trend_view("GM9999", "wijk", 2016, 2024)
    assert view is not None
    counts = view.trends[view.trends["indicator"] == "wmo_clients"].set_index("name")
    assert counts.loc["Noorderhaven", "slope"] > 0 > counts.loc["Westerkwartier", "slope"]
    # Dijkzicht gave a buurt to Centrum in 2021: both are harmonised onto the 2024
    # boundaries with the demo's generated boundaries (PDOK is not asked), and get a trend
    redrawn = counts.loc[["Dijkzicht", "Centrum"]]
    assert redrawn["comparable"].all() and redrawn["harmonised"].all()
    assert redrawn["slope"].notna().all() and redrawn["reason"].isna().all()
    series = view.series[view.series["name"].isin(["Dijkzicht", "Centrum"])]
    series = series[series["theme"] == "wmo"]
    before = series[series["year"] < 2021]
    assert len(before) and set(before["harmonise_method"]) == {"oppervlakte"}
    assert series.loc[series["year"] >= 2021, "harmonise_method"].isna().all()
    assert not any("niet geharmoniseerd" in n.lower() for n in view.notes)
    # the map layer 'Verandering sinds 2016' has a change for every wijk, the redrawn too
    change = change_since(view, "wmo", 2016)
    assert change.notna().all() and {"WK999905", "WK999900"} <= set(change.index)
    # and the series export says per area and period that (and how) it was harmonised
    from layers.trend_export import series_export

    table = series_export(view.series, view.trends, signal=False)
    exported = table[table["code"].isin(["WK999905", "WK999900"]) & (table["year"] < 2021)]
    exported = exported[exported["theme"] != "stapeling"]
    assert len(exported) and exported["harmonised"].all() and exported["comparable"].all()
    assert set(exported["harmonise_method"]) == {"oppervlakte"}
    # the stacking percentile within the gemeente, per year, and its trend
    assert view.themes[-1] == "stapeling"
    stacking = view.trends[view.trends["theme"] == "stapeling"].set_index("name")
    assert stacking["slope"].notna().all() and stacking["comparable"].all()
    per_year = view.series[view.series["theme"] == "stapeling"]
    assert per_year["value"].between(0, 100).all() and set(per_year["year"]) == set(
        range(2016, 2025)
    )
    # a role that may not see bijstand loses the stacking trend too (it ranks on pooled themes)
    from dataclasses import replace

    blind = replace(LOCAL_ROLE, indicators=frozenset({"wmo_per_1000", "youth_care_pct"}))
    assert set(for_role(view, blind).themes) == {"wmo", "jeugdzorg"}


def test_a_gemeente_with_one_year_gets_series_but_every_trend_refused(served):
    view = trend_view("GM0642", "wijk", 2016, 2024)  # Zwijndrecht: only 2024 in the fixture
    assert view is not None and set(view.series["year"]) == {2024}
    wijken = view.trends[view.trends["level"] == "wijk"]
    assert len(wijken) and not wijken["comparable"].any()
    assert wijken["reason"].str.startswith("te weinig jaren").all()
    assert wijken["slope"].isna().all()


def test_the_series_sheet_has_the_comparability_columns(served, tmp_path):
    import geopandas as gpd
    import pandas as pd
    import pyogrio
    from shapely.geometry import Point

    from layers.export import to_gpkg_bytes, to_xlsx_bytes, write_table
    from layers.trend_export import SERIES_EXPORT_COLUMNS, series_export, series_metadata

    view = trend_view("GM0505", "wijk", 2016, 2024)
    table = series_export(view.series, view.trends, signal=False)
    assert list(table.columns) == list(SERIES_EXPORT_COLUMNS)
    assert table["trend_flag"].isna().all()  # the signal is off
    meta = series_metadata(
        sources=view.sources, rule_nl=view.rule.describe_nl(), signal=False, first=2016, last=2024
    )
    main = gpd.GeoDataFrame({"code": ["WK050501"]}, geometry=[Point(0, 0)], crs=28992)
    path = tmp_path / "export.xlsx"
    path.write_bytes(to_xlsx_bytes(main, extra_tables={"reeksen": table}, **meta))
    sheet = pd.read_excel(path, sheet_name="reeksen")
    assert {"comparable", "harmonised", "reason", "period", "value"} <= set(sheet.columns)
    assert len(sheet) == len(table)
    refused = sheet[~sheet["comparable"]]
    assert len(refused) and refused["reason"].notna().all()
    assert sheet.loc[sheet["comparable"], "reason"].isna().all()
    about = pd.read_excel(path, sheet_name="bronnen en instellingen")
    text = " ".join(str(v) for v in about["waarde"])
    assert view.rule.describe_nl() in text and "85995NED" in text and "uit:" in text
    gpkg = tmp_path / "export.gpkg"
    gpkg.write_bytes(to_gpkg_bytes(main, extra_tables={"reeksen": table}, **meta))
    layer = pyogrio.read_dataframe(gpkg, layer="reeksen")
    assert {"comparable", "harmonised", "reason"} <= set(layer.columns)
    assert len(layer) == len(table)
    with pytest.raises(ValueError, match="one table"):
        write_table(main, tmp_path / "x.csv", extra_tables={"reeksen": table})
    assert not (tmp_path / "x.csv").exists()


def test_the_app_export_adds_the_series_sheet_to_xlsx_and_gpkg_only(served, tmp_path):
    import io

    import pyogrio
    from openpyxl import load_workbook
    from test_app_wiring import _ctx_after_upload

    from geo_app.views.export import export_bytes
    from layers.export import read_csv_table
    from layers.trend_export import SERIES_EXPORT_COLUMNS, series_export, series_metadata

    view = trend_view("GM0505", "wijk", 2016, 2024)
    series = (
        series_export(view.series, view.trends, signal=False),
        series_metadata(
            sources=view.sources,
            rule_nl=view.rule.describe_nl(),
            signal=False,
            first=2016,
            last=2024,
        ),
    )
    ctx, _ = _ctx_after_upload()
    book = load_workbook(io.BytesIO(export_bytes(ctx, "xlsx", series=series)))
    assert book.sheetnames == ["resultaat", "bronnen en instellingen", "reeksen"]
    header = next(book["reeksen"].iter_rows(max_row=1, values_only=True))
    assert list(header) == list(SERIES_EXPORT_COLUMNS)
    meta = dict(book["bronnen en instellingen"].iter_rows(min_row=2, values_only=True))
    assert meta["trendregel"] == view.rule.describe_nl()
    assert meta["bronnen.bron"].startswith("Fictieve voorbeelddata")  # the main export's own
    (tmp_path / "a.gpkg").write_bytes(export_bytes(ctx, "gpkg", series=series))
    assert "reeksen" in {name for name, _ in pyogrio.list_layers(tmp_path / "a.gpkg")}
    (tmp_path / "a.csv").write_bytes(export_bytes(ctx, "csv", series=series))
    plain = read_csv_table(tmp_path / "a.csv")  # one table per CSV: the series are their own file
    assert len(plain) == len(ctx.table) and "period" not in plain.columns


def test_with_cbs_down_stored_themes_still_show_and_missing_ones_say_why(served, monkeypatch):
    load_series("voorzieningen", 2016, 2024, ["GM0505"])  # only this theme is stored
    monkeypatch.setenv("STAPELKAART_CBS_URL", OFFLINE)
    view = trend_view("GM0505", "wijk", 2016, 2024)
    assert view is not None and view.themes == ["voorzieningen"]
    skipped = [n for n in view.notes if "niet getoond" in n]
    assert [n.split(":")[0] for n in skipped] == ["Wmo-cliënten", "Jeugdzorg in natura", "Bijstand"]
    assert sum("CBS niet bereikbaar en niet opgeslagen" in n for n in skipped) == 2  # asked once


def test_the_app_harmonises_a_changed_wijk_as_the_cli_does(tiny_server, monkeypatch):
    """Wijk 02 of the tiny tables lost half its area in 2021: its 2020 count is halved."""
    from fake_pdok import FakePdokServer
    from shapely.geometry import box
    from test_trends_cli import _tiny_layers, _tiny_published

    _tiny_published(tiny_server)
    before = _tiny_layers(box(100_100, 400_000, 100_300, 400_100))
    after = _tiny_layers(box(100_100, 400_000, 100_200, 400_100))
    session_trends.clear()
    with FakePdokServer(after, by_year={2020: before, 2021: after}) as pdok:
        monkeypatch.setenv("STAPELKAART_PDOK_URL", pdok.url)
        view = trend_view("GM9998", "wijk", 2020, 2021)
    session_trends.clear()
    assert view is not None
    series = view.series
    haven = series[(series["code"] == "WK999802") & (series["year"] == 2020)]
    haven = haven.set_index("indicator")
    assert haven["harmonised"].astype(bool).all()
    assert haven.at["wmo_clients", "value"] == pytest.approx(150.0)  # half the area
    assert set(haven["harmonise_method"]) == {"oppervlakte"}
    centrum = series[series["code"] == "WK999801"]
    assert not centrum["harmonised"].astype(bool).any()
    assert centrum["harmonise_method"].isna().all()
    # the export says per area and period which applies
    from layers.trend_export import series_export

    table = series_export(view.series, view.trends, signal=False)
    rows = table[(table["code"] == "WK999802") & (table["year"] == 2020)]
    assert rows["harmonised"].all() and set(rows["harmonise_method"]) == {"oppervlakte"}
