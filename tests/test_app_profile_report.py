"""Area profile table, comparison table and the printable HTML profile."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo_app.session.data import IndicatorInfo
from geo_app.views.profile_report import (
    area_profile,
    compare_table,
    format_value,
    percentile_ranks,
    profile_html,
)

INFOS = [
    IndicatorInfo("pct_rental", "Huurwoningen", "percent"),
    IndicatorInfo("persons_bijstand", "Personen met bijstand", "count"),
]


@pytest.fixture
def grid():
    """A 3x3 buurt grid in EPSG:28992 with two indicators, one value missing."""
    cells = [
        box(x * 100, y * 100, x * 100 + 100, y * 100 + 100) for y in range(3) for x in range(3)
    ]
    return gpd.GeoDataFrame(
        {
            "code": [f"BU000101{i:02d}" for i in range(9)],
            "name": [f"Buurt {i}" for i in range(9)],
            "pct_rental": [10.0, 20, 30, 40, 50, 60, 70, 80, 90],
            "persons_bijstand": [5.0, 10, np.nan, 20, 25, 30, 35, 40, 1000],
        },
        geometry=cells,
        crs=28992,
    )


def test_percentile_ranks_run_from_low_to_100_and_keep_missing(grid):
    ranks = percentile_ranks(grid, ["pct_rental", "persons_bijstand", "not_a_column"])
    assert list(ranks.columns) == ["pct_rental", "persons_bijstand"]
    assert ranks["pct_rental"].tolist() == [11, 22, 33, 44, 56, 67, 78, 89, 100]
    assert np.isnan(ranks.at[2, "persons_bijstand"])
    assert ranks.at[8, "persons_bijstand"] == 100


def test_area_profile_has_references_percentile_and_high_flag(grid):
    before = grid.copy()
    profile = area_profile(
        grid, "BU00010108", INFOS, gemeente={"pct_rental": 50.0}, national=None, threshold=80
    )
    pd.testing.assert_frame_equal(grid, before)  # input not mutated
    assert profile["indicator"].tolist() == ["Huurwoningen", "Personen met bijstand"]
    assert profile["value"].tolist() == [90.0, 1000.0]
    assert profile["gemeente"].tolist()[0] == 50.0
    assert profile["national"].isna().all()
    assert profile["high"].tolist() == [True, True]
    low = area_profile(grid, "BU00010100", INFOS, threshold=80)
    assert low["high"].tolist() == [False, False]


def test_area_profile_unknown_code_raises(grid):
    with pytest.raises(KeyError):
        area_profile(grid, "BU99999999", INFOS)


def test_compare_table_has_one_column_per_area_in_order(grid):
    wide = compare_table(grid, ["BU00010104", "BU00010101"], INFOS)
    assert list(wide.columns) == ["Buurt 4 (BU00010104)", "Buurt 1 (BU00010101)"]
    assert list(wide.index) == ["Huurwoningen", "Personen met bijstand"]
    assert wide.iloc[0].tolist() == [50.0, 20.0]


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (1234567, "count", "1.234.567"),
        (12.345, "percent", "12,3"),
        (np.nan, "", "–"),
        (None, "", "–"),
    ],
)
def test_format_value_is_dutch(value, unit, text):
    assert format_value(value, unit) == text


def test_profile_html_escapes_everything_and_states_sources(grid):
    evil = '<script>alert("x")</script>'
    grid.loc[0, "name"] = evil
    profile = area_profile(grid, "BU00010100", INFOS)
    profile.loc[0, "indicator"] = "<b>Huur</b>"
    page = profile_html(
        area_name=evil,
        area_code="BU00010100",
        gemeente_name="Gemeente & Co",
        profile=profile,
        summary={"Clustertypologie": "<img src=x onerror=alert(1)>"},
        sources={"tabel": "85984NED", "jaar": "2024", "opgehaald": "2026-11-23"},
        settings={"Drempel": 80},
        suppression="Kleine aantallen < 10 onderdrukt.",
        demo_notice="Fictieve voorbeelddata",
    )
    assert "<script>" not in page and "<img" not in page and "<b>Huur" not in page
    assert "&lt;script&gt;" in page and "Gemeente &amp; Co" in page
    assert "85984NED" in page and "2026-11-23" in page and "Drempel" in page
    assert "Kleine aantallen &lt; 10 onderdrukt." in page
    assert "@media print" in page
    assert "Fictieve voorbeelddata" in page
    assert "landelijke referentie is voor deze gegevens niet beschikbaar" in page


def test_format_value_english_uses_a_decimal_point():
    from geo_app.views.profile_report import format_value as fmt

    assert fmt(1234.56) == "1.234,6" and fmt(1234.56, lang="en") == "1,234.6"
    assert fmt(12345) == "12.345" and fmt(12345, lang="en") == "12,345"
    assert fmt(float("nan"), lang="en") == "–"


def test_cluster_labels_in_english_for_the_app_only():
    from geo_app.session.i18n import cluster_label_en

    assert (
        cluster_label_en("hoge stapeling: bijstand + corporatiebezit")
        == "high stacking: social assistance + corporation housing"
    )
    assert cluster_label_en("verhoogd: jeugdzorg (3)") == "elevated: youth care (3)"
    assert cluster_label_en("gemiddeld, laag: huur + armoede") == "average, low: rental + poverty"
    assert cluster_label_en("hoge stapeling: alle thema's") == "high stacking: all themes"
    assert cluster_label_en("weinig opgaven") == "few problems"
    assert cluster_label_en("onvoldoende gegevens") == "insufficient data"
    assert cluster_label_en("verhoogd: gem_wmo") == "elevated: gem_wmo"  # own data: its own name
    assert cluster_label_en("iets anders") == "iets anders"
