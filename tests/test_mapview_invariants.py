from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo_app.mapview.encoding import decode_geometry, encode_geometries

coordinate = st.tuples(
    st.floats(-180, 180, allow_nan=False, allow_infinity=False),
    st.floats(-85, 85, allow_nan=False, allow_infinity=False),
)


def _rounded(geom, precision):
    return shapely.transform(geom, lambda xy: np.round(xy, precision))


@settings(max_examples=60, deadline=None)
@given(
    points=st.lists(coordinate, min_size=3, max_size=40),
    precision=st.integers(4, 6),
)
def test_round_trip_gives_the_rounded_vertices(points, precision):
    polygon = shapely.Polygon(points)
    encoded = encode_geometries(np.array([polygon], dtype=object), precision=precision)[0]
    rounded = np.round(shapely.get_coordinates(polygon), precision)
    decoded = decode_geometry(encoded)
    assert decoded["type"] == "Polygon"
    got = np.asarray(decoded["coordinates"][0])
    np.testing.assert_allclose(got, rounded, rtol=0, atol=10.0**-precision / 100)


def test_multipolygons_with_holes_and_missing_geometries():
    shell = [(4.0, 52.0), (4.1, 52.0), (4.1, 52.1), (4.0, 52.1)]
    hole = [(4.02, 52.02), (4.05, 52.02), (4.05, 52.05)]
    multi = shapely.MultiPolygon(
        [shapely.Polygon(shell, [hole]), shapely.box(-4.123456, -3.5, -4.0, -3.4)]
    )
    encoded = encode_geometries(
        np.array([multi, None, shapely.Polygon(), shapely.box(5, 51, 5.5, 51.5)], dtype=object),
        precision=5,
    )
    assert encoded[1] == "" and encoded[2] == ""
    back = shapely.geometry.shape(decode_geometry(encoded[0]))
    assert back.geom_type == "MultiPolygon"
    assert back.equals_exact(_rounded(multi, 5), tolerance=1e-9)
    assert len(back.geoms[0].interiors) == 1
    assert shapely.geometry.shape(decode_geometry(encoded[3])).equals(shapely.box(5, 51, 5.5, 51.5))


def test_encoding_is_much_smaller_than_geojson(demo_frames):
    from geo_app.mapview import prepare_geometry

    prepared = prepare_geometry(demo_frames["buurt"])
    encoded = sum(map(len, prepared["geometry_encoded"]))
    geojson = sum(map(len, shapely.to_geojson(prepared.geometry.to_numpy())))
    assert encoded < geojson / 3


@settings(max_examples=80, deadline=None)
@given(
    values=st.lists(
        st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.just(float("nan"))),
        min_size=1,
        max_size=60,
    ),
    scheme=st.sampled_from(["quantiles", "fisher_jenks", "equal_interval"]),
    k=st.integers(2, 9),
)
def test_classes_are_index_aligned_ordered_and_contain_their_values(values, scheme, k):
    from geo_app.mapview.classes import classify

    y = np.asarray(values, dtype=float)
    classes = classify(y, scheme=scheme, k=k)
    assert classes.index.shape == y.shape
    assert np.array_equal(classes.index == -1, np.isnan(y))
    assert classes.k <= k
    assert np.all(np.diff(classes.bins) > 0)
    for value, i in zip(y, classes.index, strict=True):
        if i >= 0:
            assert value <= classes.bins[i]
            assert i == 0 or value > classes.bins[i - 1]
