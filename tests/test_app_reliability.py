"""How sure a score is, as the app shows it: profile, table, map outlines, exports, roles."""

from __future__ import annotations

import io
import json
import re

import pandas as pd
import pytest
import streamlit as st
from openpyxl import load_workbook
from test_app_pages import run_app, texts
from test_app_wiring import _ctx_after_upload, _roles_dict
from test_app_wiring import run_app as run_app_as
from test_mapview import _features, _grid, _legend

from cbs_ingest import load
from geo_app.mapview import build_map
from geo_app.views.map import _doubtful
from models import run_analysis


@pytest.fixture(autouse=True)
def _fresh_caches():
    st.cache_data.clear()
    st.cache_resource.clear()
    yield


@pytest.fixture(scope="module")
def demo_result():
    """The analysis the app runs on the demo buurten (default settings, 200 resamples)."""
    return run_analysis(load(2024, ["GM9999"]).frames["buurt"], scope="gemeente").table


def _area(table: pd.DataFrame, kind: str) -> pd.Series:
    return table[table["stability_class"] == kind].iloc[0]


def test_profile_says_how_sure_the_rank_is_in_plain_dutch(demo_result):
    row = _area(demo_result, "stable")
    at = run_app(tab="profiel", area=row["code"])
    body = texts(at)
    share = round(100 * row["stacking_stability"])
    assert f"In {share} % van de redelijke varianten een stapelgebied" in body
    lo, hi = round(row["stacking_percentile_lo"]), round(row["stacking_percentile_hi"])
    assert f"percentiel {round(row['stacking_percentile'])}, in 90 % van de redelijke " in body
    assert f"tussen {lo} en {hi}" in body
    assert "drempel P75-P85" in body  # what "reasonable variants" means
    assert "**Betrouwbaarheid:**" in body
    themes = at.dataframe[0].value
    assert {"waarde", "gladgestreken"} <= set(themes.columns)
    # Raw and smoothed side by side, formatted, for every theme with a value.
    with_value = themes[themes["waarde"] != "–"]
    assert len(with_value) >= 3 and (with_value["gladgestreken"] != "–").all()


def test_map_side_panel_names_the_stability_of_the_selected_area(demo_result):
    row = _area(demo_result, "borderline")
    at = run_app(area=row["code"])
    share = round(100 * row["stacking_stability"])
    assert f"In {share} % van de redelijke varianten een stapelgebied (twijfelgeval)" in texts(at)


def test_profile_in_english_and_a_borderline_area(demo_result):
    row = _area(demo_result, "borderline")
    at = run_app(tab="profiel", area=row["code"], lang="en")
    body = texts(at)
    assert f"A stacking area in {round(100 * row['stacking_stability'])} % of the" in body
    assert "(borderline)" in body


def test_low_reliability_is_named_in_the_profile(demo_result):
    from geo_app.session.context import Context
    from geo_app.views.profile import certainty_lines

    ctx = Context.__new__(Context)
    object.__setattr__(ctx, "lang", "nl")
    row = demo_result.iloc[0].copy()
    row["reliability_class"] = "low"
    lines = certainty_lines(ctx, row)
    assert any("rust op weinig inwoners" in line for line in lines)
    row["stacking_stability"] = float("nan")
    assert any("nog berekend" in line for line in certainty_lines(ctx, row))


def test_table_carries_interval_stability_reliability_and_smoothed_values():
    at = run_app(tab="tabel")
    table = at.dataframe[0].value
    for column in (
        "stacking_percentile_lo",
        "stacking_percentile_hi",
        "stacking_stability",
        "reliability_class",
        "bijstand_per_1000_15_65",
        "bijstand_per_1000_15_65_smoothed",
    ):
        assert column in table.columns, column
    scored = table["stacking_score"].notna()
    assert table.loc[scored, "stacking_stability"].between(0, 100).all()
    assert set(table["reliability_class"].dropna()) <= {
        "betrouwbaar",
        "redelijk betrouwbaar",
        "rust op weinig inwoners",
        "onbekend",
    }


def test_compare_tab_puts_interval_and_stability_side_by_side(demo_result):
    a, b = _area(demo_result, "stable"), _area(demo_result, "borderline")
    at = run_app(tab="vergelijken", cmp=f"{a['code']},{b['code']}")
    wide = at.dataframe[0].value
    row = wide.loc["Stapelgebied in (aandeel redelijke varianten)"]
    assert list(row) == [f"{round(100 * x['stacking_stability'])} %" for x in (a, b)]
    interval = wide.loc["Percentiel in 90 % van de redelijke varianten"].iloc[0]
    assert interval == (
        f"{round(a['stacking_percentile_lo'])} tot {round(a['stacking_percentile_hi'])}"
    )
    assert "Betrouwbaarheid" in wide.index


def test_exports_carry_both_figures_and_say_how_they_were_made():
    from geo_app.views.export import export_bytes

    ctx, _ = _ctx_after_upload()
    text = export_bytes(ctx, "csv").decode("utf-8")
    header = [line for line in text.split("\r\n") if line.startswith('"#')]
    assert any(
        "Zekerheid van de rangorde" in line and "200 redelijke varianten" in line for line in header
    )
    table_head = next(line for line in text.split("\r\n") if line.startswith("code,"))
    for column in (
        "stacking_percentile_lo",
        "stacking_stability",
        "reliability",
        "wmo_age_index",
        "wmo_age_index_smoothed",
    ):
        assert re.search(rf"(^|,){column}(,|$)", table_head), column
    book = load_workbook(io.BytesIO(export_bytes(ctx, "xlsx")))
    heads = [c.value for c in next(book["resultaat"].iter_rows(max_row=1))]
    assert "stacking_stability" in heads and "pct_corporation_owned_smoothed" in heads
    props = json.loads(export_bytes(ctx, "geojson"))["features"][0]["properties"]
    assert "stacking_percentile_hi" in props and "reliability_class" in props


def test_a_role_never_sees_the_smoothed_twin_of_a_hidden_indicator(tmp_path, monkeypatch):
    at = run_app_as(tmp_path, monkeypatch, local="corporatie", tab="tabel")
    columns = set(at.dataframe[0].value.columns)
    smoothed = {c for c in columns if c.endswith("_smoothed")}
    assert smoothed == {"pct_corporation_owned_smoothed", "bijstand_per_1000_15_65_smoothed"}
    assert "stacking_stability" in columns  # the corporatie may see the stacking score

    from geo_app.access.resolve import filter_table
    from geo_app.access.roles import load_access_config

    ctx, _ = _ctx_after_upload()
    roles = load_access_config(
        environ={}, secrets={"access": _roles_dict("smal")}, indicators=None
    ).roles
    seen = filter_table(ctx.table, roles["smal"])
    assert "wmo_age_index_smoothed" not in seen and "stacking_stability" in seen
    assert seen["stacking_stability"].isna().all()  # blanked with the stacking score
    out = filter_table(seen, roles["smal"], purpose="export")
    assert not {"stacking_stability", "reliability", "wmo_age_index_smoothed"} & set(out)


def test_map_outlines_doubtful_areas_dotted_and_names_them_in_the_legend():
    grid = _grid()
    values = grid.set_index("code")["value"]
    codes = list(grid["code"])
    fmap = build_map(
        grid,
        values,
        basemap=None,
        stacking=codes[:3],
        doubtful=codes[2:4],
        doubtful_label="Twijfelgeval (stapeling)",
    )
    features = {f["properties"]["code"]: f["properties"] for f in _features(fmap)}
    assert features[codes[0]].get("s") == 1 and "d" not in features[codes[0]]  # stable
    assert features[codes[2]].get("d") == 1 and features[codes[2]].get("s") == 1
    assert features[codes[3]].get("d") == 1 and "s" not in features[codes[3]]
    assert "Twijfelgeval" in _legend(fmap)
    plain = build_map(grid, values, basemap=None, stacking=codes[:3], doubtful_label="Twijfelgeval")
    assert "Twijfelgeval" not in _legend(plain)  # no row without doubtful areas


def test_doubtful_means_borderline_or_flagged_but_rarely(demo_result):
    flagged = demo_result["stacking_flag"].astype(bool)
    doubtful = _doubtful(demo_result, flagged)
    kind = demo_result["stability_class"]
    assert doubtful[kind == "borderline"].all()
    assert not doubtful[(kind == "stable")].any()
    assert not doubtful[~flagged & (kind == "rarely")].any()
    first = demo_result.assign(stability_class="not computed")
    assert not _doubtful(first, flagged).any()  # nothing dotted on the first map
