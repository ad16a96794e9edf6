from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import box

from cbs_ingest.errors import InputError
from geo_app import mapview
from geo_app.mapview import build_map, prepare_geometry
from geo_app.mapview.classes import HOTSPOT_COLOURS, OKABE_ITO, classify, format_value
from geo_app.mapview.elements import ChoroplethLayer, Legend, script_json
from geo_app.mapview.encoding import decode_geometry

HOSTILE = "<img src=x onerror=alert(1)>"


def _grid(n: int = 3) -> gpd.GeoDataFrame:
    """An n×n grid of 500 m buurten in EPSG:28992 near Utrecht."""
    cells = [
        box(140_000 + 500 * i, 455_000 + 500 * j, 140_500 + 500 * i, 455_500 + 500 * j)
        for j in range(n)
        for i in range(n)
    ]
    codes = [f"BU0344{k:04d}" for k in range(n * n)]
    return gpd.GeoDataFrame(
        {
            "code": codes,
            "name": [f"Buurt {k}" for k in range(n * n)],
            "value": np.arange(n * n) * 1.5,
        },
        geometry=cells,
        crs=28992,
    )


def _layer(fmap) -> ChoroplethLayer:
    return next(c for c in fmap._children.values() if isinstance(c, ChoroplethLayer))


def _features(fmap) -> list[dict]:
    return json.loads(_layer(fmap).data_json)["features"]


def _legend(fmap) -> str:
    legend = next(c for c in fmap._children.values() if isinstance(c, Legend))
    return json.loads(legend.html_json)


# --- classes and formatting -------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["quantiles", "fisher_jenks", "equal_interval"])
def test_each_scheme_gives_k_ordered_classes(scheme):
    values = np.random.default_rng(1).gamma(2.0, 10.0, size=200)
    classes = classify(values, scheme=scheme, k=5)
    assert classes.k == 5
    assert np.all(np.diff(classes.bins) > 0)
    assert classes.bins[-1] == pytest.approx(values.max())
    assert set(classes.index) == set(range(5))
    # A higher value never lands in a lower class.
    order = np.argsort(values)
    assert np.all(np.diff(classes.index[order]) >= 0)


def test_quantiles_put_about_equal_counts_in_each_class():
    values = np.arange(100, dtype=float)
    counts = np.bincount(classify(values, scheme="quantiles", k=4).index)
    assert counts.tolist() == [25, 25, 25, 25]


def test_few_distinct_values_give_one_class_each():
    classes = classify(np.array([1.0, 1.0, 2.0, np.nan, 3.0]), scheme="fisher_jenks", k=5)
    assert classes.exact
    assert classes.bins.tolist() == [1.0, 2.0, 3.0]
    assert classes.index.tolist() == [0, 0, 1, -1, 2]


def test_all_missing_gives_no_classes():
    classes = classify(np.full(4, np.nan), k=5)
    assert classes.k == 0
    assert classes.index.tolist() == [-1, -1, -1, -1]


@pytest.mark.parametrize("kwargs", [{"scheme": "jenks"}, {"k": 1}, {"k": 12}])
def test_bad_classification_options_raise(kwargs):
    with pytest.raises(InputError):
        classify(np.arange(10.0), **kwargs)


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "expected"),
    [
        (12.5, "percent", 1, "12,5%"),
        (1234567, "count", 0, "1.234.567"),
        (45.0, "per_1000", 0, "45 per 1.000"),
        (33.46, "x1000_euro", 1, "€ 33.500"),
        (1234.56, None, 2, "1.234,56"),
        (7.25, "score", 1, "7,2 score"),
        (-0.75, "index", 2, "-0,75"),
        (np.nan, "percent", 1, ""),
        (None, "count", 0, ""),
    ],
)
def test_dutch_formatting(value, unit, decimals, expected):
    assert format_value(value, unit, decimals=decimals) == expected


# --- the map --------------------------------------------------------------------------


def test_features_carry_code_name_and_formatted_value():
    grid = _grid()
    fmap = build_map(
        grid, grid.set_index("code")["value"], title="Waarde", unit="percent", basemap=None
    )
    features = _features(fmap)
    assert [f["properties"]["code"] for f in features] == grid["code"].tolist()
    assert features[3]["properties"]["name"] == "Buurt 3"
    assert features[3]["properties"]["v"] == "4,5%"
    assert set(features[0]["properties"]) == {"code", "name", "v", "c"}


def test_values_aligned_by_index_or_by_code_give_the_same_map():
    grid = _grid()
    by_code = _features(build_map(grid, grid.set_index("code")["value"], basemap=None))
    by_index = _features(build_map(grid, grid["value"], basemap=None))
    shuffled = grid.set_index("code")["value"].sample(frac=1, random_state=3)
    by_shuffled_code = _features(build_map(grid, shuffled, basemap=None))
    assert by_code == by_index == by_shuffled_code


def test_map_links_nothing_but_local_leaflet():
    grid = _grid()
    html = build_map(grid, grid["value"], basemap=None).get_root().render()
    links = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert sorted(links) == [
        "../../app/static/vendor/leaflet/leaflet.css",
        "../../app/static/vendor/leaflet/leaflet.js",
    ]
    unwanted = r"jquery|bootstrap|awesome|fontawesome|d3\.(?:v\d|min)|cdnjs|jsdelivr|unpkg"
    assert re.findall(unwanted, html.lower()) == []
    assert "https://" not in html


def test_pdok_basemap_is_default_and_can_be_switched():
    grid = _grid()
    pdok = build_map(grid, grid["value"]).get_root().render()
    assert (
        "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/grijs/EPSG:3857/{z}/{x}/{y}.png"
        in pdok
    )
    assert "Kadaster" in pdok and "Achtergrondkaart niet beschikbaar" in pdok
    osm = build_map(grid, grid["value"], basemap="osm").get_root().render()
    assert "tile.openstreetmap.org" in osm and "service.pdok.nl" not in osm
    with pytest.raises(InputError):
        build_map(grid, grid["value"], basemap="google")


def test_hostile_names_and_labels_never_reach_the_page_as_markup():
    grid = _grid()
    grid.loc[0, "name"] = HOSTILE
    fmap = build_map(
        grid,
        grid["value"],
        title=HOSTILE,
        note=HOSTILE,
        stacking_label=HOSTILE,
        stacking=["BU03440001"],
    )
    html = fmap.get_root().render()
    assert "<img" not in html
    assert (
        _features(fmap)[0]["properties"]["name"] == HOSTILE
    )  # kept as data, shown with textContent
    assert "&lt;img src=x onerror=alert(1)&gt;" in _legend(fmap)


@pytest.mark.parametrize("name", ["{{ 7*7 }}", "{% if true %}x{% endif %}", "{# x", "a{{{b"])
def test_template_syntax_in_names_is_neither_evaluated_nor_fatal(name):
    grid = _grid()
    grid.loc[0, "name"] = name
    fmap = build_map(grid, grid["value"], title=name, basemap=None)
    html = fmap.get_root().render()  # branca re-parses scripts as Jinja templates
    assert f'"name":{script_json(name)}' in html  # survived the second pass unevaluated
    assert _features(fmap)[0]["properties"]["name"] == name
    assert html.count("{{") == 0 and html.count("{%") == 0


def test_suppressed_and_missing_areas_are_hatched_and_counted():
    grid = _grid()
    values = grid.set_index("code")["value"].copy()
    values.iloc[4] = np.nan
    fmap = build_map(
        grid, values, suppressed=pd.Series(grid.index == 7, index=grid.index), basemap=None
    )
    props = [f["properties"] for f in _features(fmap)]
    assert props[4]["c"] == -1 and "x" not in props[4]
    assert props[7]["c"] == -1 and props[7]["x"] == 1 and props[7]["v"] == ""
    assert sum(p["c"] == -1 for p in props) == 2
    legend = _legend(fmap)
    assert "geen gegevens / onderdrukt" in legend and "(2)" in legend
    assert "url(#stapel-hatch)" in fmap.get_root().render()


def test_stacking_areas_are_flagged_and_explained():
    grid = _grid()
    fmap = build_map(grid, grid["value"], stacking=grid["value"] > 9, basemap=None)
    flagged = [f["properties"]["code"] for f in _features(fmap) if f["properties"].get("s")]
    assert flagged == grid.loc[grid["value"] > 9, "code"].tolist()
    assert "Stapeling van problemen" in _legend(fmap)
    plain = build_map(grid, grid["value"], basemap=None)
    assert "Stapeling" not in _legend(plain)


def test_numeric_legend_shows_classes_with_units_and_counts():
    grid = _grid()
    fmap = build_map(
        grid, grid["value"], title="Huurwoningen", unit="percent", k=3, scheme="equal_interval"
    )
    legend = _legend(fmap)
    assert "Huurwoningen (%)" in legend
    assert "0,0% – 4,0%" in legend and "8,0% – 12,0%" in legend
    assert legend.count('class="stapel-swatch"') == 3


def test_legend_shows_enough_decimals_to_tell_class_bounds_apart():
    """Scores close together: one decimal would give a row like "-0,8 – -0,8"."""
    grid = _grid()
    scores = pd.Series([-0.84, -0.81, -0.78, -0.2, 0.1, 0.4, 0.9, 1.3, 2.1], index=grid.index)
    legend = _legend(build_map(grid, scores, title="Stapelingsscore", k=5, basemap=None))
    rows = re.findall(r"(-?[\d,]+) – (-?[\d,]+)", legend)
    assert len(rows) == 5
    assert all(low != high for low, high in rows), rows
    assert rows[0] == ("-0,84", "-0,79")  # two decimals where one would merge the bounds


def test_categories_use_okabe_ito_in_given_order():
    grid = _grid()
    labels = pd.Series(["Jong gezin", "Ouderen", "Studenten"] * 3, index=grid.index)
    labels.iloc[0] = None
    fmap = build_map(grid, labels, categories=["Ouderen", "Jong gezin", "Studenten"], basemap=None)
    props = [f["properties"] for f in _features(fmap)]
    assert props[0]["c"] == -1
    assert props[1]["c"] == 0 and props[1]["v"] == "Ouderen"
    assert _layer(fmap).config_json.count("#") >= 3
    config = json.loads(_layer(fmap).config_json)
    assert config["colours"] == list(OKABE_ITO[:3])


def test_yes_no_values_are_categories_in_dutch():
    grid = _grid()
    flags = pd.Series([True, False, None] * 3, index=grid.index, dtype=object)
    fmap = build_map(grid, flags, basemap=None)
    props = [f["properties"] for f in _features(fmap)]
    assert [p["v"] for p in props[:3]] == ["ja", "nee", ""]
    assert props[2]["c"] == -1
    assert "ja" in _legend(fmap) and "True" not in _legend(fmap)


def test_hotspot_classes_are_recognised_and_labelled_in_dutch():
    grid = _grid()
    classes = ["High-High", "Low-Low", "not significant"] * 3
    fmap = build_map(grid, pd.Series(classes, index=grid.index), basemap=None)
    config = json.loads(_layer(fmap).config_json)
    assert config["colours"] == list(HOTSPOT_COLOURS.values())
    legend = _legend(fmap)
    assert "Hotspot: hoog, omringd door hoog" in legend
    assert "Niet significant" in legend
    assert _features(fmap)[1]["properties"]["v"] == "Coldspot: laag, omringd door laag"


def test_all_missing_values_still_draw_every_area():
    grid = _grid()
    fmap = build_map(grid, pd.Series(np.nan, index=grid.index), title="Wmo", basemap=None)
    props = [f["properties"] for f in _features(fmap)]
    assert len(props) == 9 and all(p["c"] == -1 for p in props)
    assert "(9)" in _legend(fmap)


def test_wijk_outlines_are_added_over_buurten():
    grid = _grid()
    wijk = gpd.GeoDataFrame(
        {"code": ["WK034400"], "name": ["Wijk"]}, geometry=[grid.union_all()], crs=28992
    )
    fmap = build_map(grid, grid["value"], wijken=prepare_geometry(wijk), basemap=None)
    html = fmap.get_root().render()
    assert "interactive: false" in html
    assert "Wijkgrens" in _legend(fmap)


def test_build_map_does_not_change_its_inputs(demo_frames):
    buurten = demo_frames["buurt"]
    before = buurten.copy()
    prepared = prepare_geometry(buurten)
    prepared_before = prepared.copy()
    build_map(prepared, buurten["youth_care_pct"], stacking=buurten["population"] > 3000)
    assert_geodataframe_equal(buurten, before)
    assert_geodataframe_equal(prepared, prepared_before)


def test_demo_map_has_every_buurt(demo_frames):
    buurten = demo_frames["buurt"]
    fmap = build_map(buurten, buurten.set_index("code")["wmo_clients_per_1000"], unit="per_1000")
    features = _features(fmap)
    assert len(features) == len(buurten)
    missing = buurten["wmo_clients_per_1000"].isna().sum()
    assert missing > 0
    assert sum(f["properties"]["c"] == -1 for f in features) == missing


# --- geometry preparation ---------------------------------------------------------------


def test_prepare_geometry_keeps_shared_borders(demo_frames):
    buurten = demo_frames["buurt"]
    prepared = prepare_geometry(buurten, tolerance=60.0)
    assert prepared.crs.to_epsg() == 4326
    assert prepared.index.equals(buurten.index)
    assert list(prepared.columns) == ["code", "name", "geometry_encoded", "geometry"]
    rd = prepared.to_crs(28992).geometry
    before = shapely.get_num_coordinates(buurten.geometry.to_numpy()).sum()
    after = shapely.get_num_coordinates(rd.to_numpy()).sum()
    assert after < before
    union = shapely.union_all(rd.to_numpy())
    overlap = rd.area.sum() - union.area
    gaps = sum(shapely.Polygon(ring).area for ring in getattr(union, "interiors", []))
    assert overlap < 1.0  # m², from rounding to 5 decimals only
    assert gaps < 1.0


def test_prepare_geometry_rounds_coordinates():
    prepared = prepare_geometry(_grid(), precision=5)
    coords = shapely.get_coordinates(prepared.geometry.to_numpy())
    assert np.allclose(coords, np.round(coords, 5), rtol=0, atol=1e-12)
    decoded = shapely.geometry.shape(decode_geometry(prepared["geometry_encoded"].iloc[0]))
    assert decoded.equals_exact(prepared.geometry.iloc[0], tolerance=1e-9)


@pytest.mark.parametrize(
    ("change", "kwargs"),
    [
        (lambda f: f.drop(columns="name"), {}),
        (lambda f: f.set_crs(None, allow_override=True), {}),
        (lambda f: f, {"tolerance": -1.0}),
    ],
)
def test_prepare_geometry_rejects_bad_input(change, kwargs):
    with pytest.raises(InputError):
        prepare_geometry(change(_grid()), **kwargs)


def test_missing_geometry_is_skipped_not_fatal():
    grid = _grid()
    grid.loc[2, "geometry"] = None
    prepared = prepare_geometry(grid)
    assert prepared["geometry_encoded"].iloc[2] == ""
    fmap = build_map(prepared, grid["value"], basemap=None)
    assert len(_features(fmap)) == 8


def test_fixed_texts_can_be_replaced_for_another_language():
    grid = _grid()
    values = grid["value"].copy()
    values.iloc[0] = np.nan
    english = {"no_data": "no data / suppressed", "basemap_unavailable": "Basemap unavailable"}
    fmap = build_map(grid, values, texts=english, wijken=prepare_geometry(grid))
    assert "no data / suppressed" in _legend(fmap) and "geen gegevens" not in _legend(fmap)
    assert "Wijkgrens" in _legend(fmap)  # keys not given keep their Dutch text
    html = fmap.get_root().render()
    assert "Basemap unavailable" in html and "Achtergrondkaart niet beschikbaar" not in html
    with pytest.raises(InputError):
        build_map(grid, values, texts={"nodata": "typo"})


def test_collections_keep_only_their_polygons():
    grid = _grid()
    cell = grid.geometry.iloc[0]
    grid.loc[0, "geometry"] = shapely.GeometryCollection(
        [cell, shapely.LineString([(140_000, 455_000), (139_000, 454_000)])]
    )
    prepared = prepare_geometry(grid)
    back = shapely.geometry.shape(decode_geometry(prepared["geometry_encoded"].iloc[0]))
    assert back.geom_type == "Polygon"
    assert gpd.GeoSeries([back], crs=4326).to_crs(28992).area.iloc[0] == pytest.approx(
        cell.area, rel=1e-2
    )


def test_overlapping_areas_are_cleaned_into_a_coverage():
    grid = _grid()
    grid.loc[0, "geometry"] = grid.geometry.iloc[0].buffer(3.0)  # overlaps its neighbours
    prepared = prepare_geometry(grid, tolerance=0.0, precision=7)
    rd = prepared.to_crs(28992).geometry.to_numpy()
    assert shapely.area(rd).sum() - shapely.union_all(rd).area < 1.0
    raw = prepare_geometry(grid, tolerance=0.0, precision=7, clean=False).to_crs(28992).geometry
    assert shapely.area(raw.to_numpy()).sum() - raw.union_all().area > 1_000


def test_english_texts_cover_every_key():
    assert set(mapview.map_texts("en")) == set(mapview.map_texts("nl"))
    grid = _grid()
    legend = _legend(build_map(grid, grid["value"], texts=mapview.map_texts("en"), basemap=None))
    assert "no data / suppressed" in legend


def test_public_names_exist():
    for name in mapview.__all__:
        assert hasattr(mapview, name)


@pytest.mark.real_data
def test_real_full_resolution_buurten_simplify_without_gaps(real_data):
    import gzip

    path = real_data / "voorzieningenmonitor-drechtsteden" / "buurten_2023_drechtsteden.geojson.gz"
    with gzip.open(path) as handle:
        raw = gpd.read_file(handle.read())
    dordrecht = raw[(raw["gemeentecode"] == "GM0505") & (raw["water"] != "JA")]
    frame = dordrecht.rename(columns={"buurtcode": "code", "buurtnaam": "name"})
    prepared = prepare_geometry(frame, tolerance=10.0)
    assert len(prepared) == 132
    original = frame.geometry.to_crs(28992).to_numpy()
    simplified = prepared.geometry.to_crs(28992).to_numpy()
    assert (
        shapely.get_num_coordinates(simplified).sum()
        < 0.6 * shapely.get_num_coordinates(original).sum()
    )
    union = shapely.union_all(simplified)
    assert shapely.area(simplified).sum() - union.area < 1.0  # m²: no overlaps
    # Area covered before but not after, away from the outline that simplification moves.
    lost = shapely.difference(shapely.union_all(original), union)
    inner = shapely.difference(
        lost, shapely.buffer(shapely.boundary(shapely.union_all(original)), 12.0)
    )
    assert inner.area < 1.0  # m²: no gaps between neighbours
    # Each area stays where it was: at most a few percent of area moves.
    moved = shapely.area(shapely.symmetric_difference(original, simplified)) / shapely.area(
        original
    )
    assert np.median(moved) < 0.01 and moved.max() < 0.15
    fmap = build_map(prepared, pd.Series(np.arange(132.0), index=prepared.index), basemap=None)
    assert len(_features(fmap)) == 132


def test_legend_folds_keeps_clear_and_shows_the_selection_row_only_when_selected():
    grid = _grid()
    fmap = build_map(grid, grid["value"], selected_label="Geselecteerd gebied", basemap=None)
    legend = next(c for c in fmap._children.values() if isinstance(c, Legend))
    config = json.loads(legend.config_json)
    # The script refits to these bounds so the areas stay clear of the legend.
    (south, west), (north, east) = config["bounds"]
    assert south < north and west < east
    assert config["hideText"] == "Legenda verbergen" and config["showText"] == "Legenda tonen"
    assert config["selectedColour"] == mapview.SELECTED_COLOUR
    # The row is marked so that the map's script can hide it while nothing is outlined.
    assert 'class="stapel-row stapel-selected-row"' in _legend(fmap)
    html = fmap.get_root().render()
    assert "stapel-legend-toggle" in html and "paddingBottomRight" in html
    english = build_map(grid, grid["value"], texts=mapview.map_texts("en"), basemap=None)
    legend = next(c for c in english._children.values() if isinstance(c, Legend))
    assert json.loads(legend.config_json)["hideText"] == "Hide legend"


def test_english_map_texts_give_english_numbers_in_legend_and_tooltip():
    grid = _grid()
    values = pd.Series(np.linspace(1234.5, 2345.5, len(grid)), index=grid["code"])
    dutch = build_map(grid, values, unit="per_1000", k=3, basemap=None, decimals=1)
    english = build_map(
        grid, values, unit="per_1000", k=3, basemap=None, decimals=1, texts=mapview.map_texts("en")
    )
    assert "1.234,5 per 1.000" in _legend(dutch)
    assert "1,234.5 per 1,000" in _legend(english) and "1.234,5" not in _legend(english)
    shown = [f["properties"]["v"] for f in _features(english)]
    assert "1,234.5 per 1,000" in shown
    assert format_value(33.5, "x1000_euro", english=True) == "€ 33,500"


def test_no_negative_zero_in_legend_tooltip_or_profile():
    from geo_app.views.profile_report import format_value as profile_value

    assert format_value(-0.04, decimals=1) == "0,0"
    assert format_value(-0.0, "percent", decimals=1) == "0,0%"
    assert format_value(-0.04, decimals=1, english=True) == "0.0"
    assert format_value(-0.06, decimals=1) == "-0,1"
    assert profile_value(-0.04) == "0,0" and profile_value(-1.26) == "-1,3"
    grid = _grid()
    values = pd.Series([-0.04, -0.03, -0.02, 0.01, 0.02, 0.3, 0.5, 0.9, 1.4], index=grid.index)
    fmap = build_map(grid, values, k=3, decimals=1, basemap=None)
    assert "-0,0" not in _legend(fmap)
    assert all(f["properties"]["v"] != "-0,0" for f in _features(fmap))


def test_the_map_zooms_in_quarter_steps_so_a_gemeente_fills_its_frame():
    html = build_map(_grid(), None, basemap=None).get_root().render()
    assert '"zoomSnap": 0.25' in html
    assert '"maxCost":0.5' in html  # the legend may cost at most half a zoom level
