"""The app's one role filter (geo_app.access.resolve.filter_table)."""

from __future__ import annotations

import tomllib
from dataclasses import replace

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point
from test_roles import CONFIG_TOML, INDICATORS

from geo_app.access import roles
from geo_app.access.resolve import filter_table, known_keys
from geo_app.access.roles import LOCAL_ROLE, parse_access_config


def _config():
    return parse_access_config(tomllib.loads(CONFIG_TOML)["access"], indicators=known_keys())


def test_there_is_one_role_filter():
    from geo_app.access import resolve

    assert not hasattr(roles, "filter_frame")
    assert not hasattr(resolve, "view_table") and not hasattr(resolve, "export_table")


def test_view_and_export_drop_what_the_role_may_not_see_without_mutating(demo_frames):
    config = _config()
    frame = demo_frames["wijk"]
    before = frame.copy()
    corporatie = filter_table(frame, config.roles["corporatie"])
    assert "pct_corporation_owned" in corporatie and "wmo_clients" not in corporatie
    assert {"code", "name", "geometry"} <= set(corporatie.columns)
    wijkteam = filter_table(frame, config.roles["wijkteam"])
    kept = [
        c
        for c in filter_table(wijkteam, config.roles["wijkteam"], purpose="export").columns
        if c in INDICATORS
    ]
    assert kept == ["wmo_clients"]
    pd.testing.assert_frame_equal(frame, before)
    assert filter_table(frame, LOCAL_ROLE).shape == frame.shape


def _analysis_table() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "code": ["BU1", "BU2", "BU3"],
            "wmo_clients": [10.0, 20.0, 30.0],
            "pct_corporation_owned": [50.0, 10.0, 70.0],
            "persons_bijstand": [5.0, 6.0, 7.0],
            "stacking_score": [1.2, 0.1, 2.0],
            "themes_high": [2, 0, 3],
            "high_themes": ["wmo, corporatiebezit", "", "wmo, corporatiebezit, bijstand"],
            "cluster": pd.array([1, 2, 1], dtype="Int64"),
            "cluster_label": ["hoog: wmo", "laag", "hoog: wmo"],
        },
        geometry=[Point(0, 0), Point(1, 0), Point(2, 0)],
        crs=28992,
    )


NAMES = {
    "wmo_clients": "wmo",
    "pct_corporation_owned": "corporatiebezit",
    "persons_bijstand": "bijstand",
}


def test_high_themes_and_cluster_labels_leave_out_themes_the_role_may_not_see():
    config = _config()
    # The corporatie sees corporatiebezit and bijstand, not wmo (nor the analysis layers
    # in CONFIG_TOML): give it the analysis layers to see what the themes say.
    role = config.roles["corporatie"]
    role = replace(
        role, indicators=role.indicators | {"stacking_score", "themes_high", "cluster_label"}
    )
    shown = filter_table(_analysis_table(), role, theme_names=NAMES)
    assert shown["high_themes"].tolist() == ["corporatiebezit", "", "corporatiebezit, bijstand"]
    assert shown["themes_high"].tolist() == [1, 0, 2]
    assert shown["cluster_label"].tolist() == ["Cluster 1", "Cluster 2", "Cluster 1"]
    assert "wmo" not in " ".join(shown["high_themes"]) + " ".join(shown["cluster_label"])
    # A role that sees every theme gets the analysis' own words.
    full = filter_table(_analysis_table(), config.roles["gemeente"], theme_names=NAMES)
    pd.testing.assert_frame_equal(full, _analysis_table())
    # Without the theme names, a role that may not see everything gets no theme names.
    blind = filter_table(_analysis_table(), role)
    assert set(blind["high_themes"]) == {""} and set(blind["themes_high"]) == {0}
