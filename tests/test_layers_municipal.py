from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from layers import compute_indicators, custom_profile
from layers.municipal import MunicipalSpec, join_municipal
from models import run_analysis
from tests._grid import grid_frame


def _figures(frame, *, extra_code: str | None = None) -> pd.DataFrame:
    codes = list(frame["code"].iloc[:-1])  # the last area gets no figure
    rng = np.random.default_rng(0)
    table = pd.DataFrame(
        {
            "code": [c.lower() + " " for c in codes],  # sloppy codes are normalised
            "wmo_eigen": rng.integers(20, 200, len(codes)).astype(float),
            "cliënten jeugd": rng.integers(5, 80, len(codes)).astype(float),
            "jongeren": rng.integers(300, 900, len(codes)).astype(float),
        }
    )
    if extra_code:
        table.loc[len(table)] = [extra_code, 10.0, 1.0, 100.0]
    return table


def test_join_adds_prefixed_columns_and_indicators():
    frame = grid_frame(3, 3)
    figures = _figures(frame, extra_code="BU99999999")
    before_frame, before_figures = frame.copy(), figures.copy()
    joined = join_municipal(
        frame,
        figures,
        {
            "wmo_eigen": "population",
            "cliënten jeugd": MunicipalSpec(
                denominator="jongeren",
                unit="percent",
                label_nl="Jeugdhulp (gemeente)",
                min_denominator=50,
            ),
        },
    )
    assert_geodataframe_equal(frame, before_frame)
    pd.testing.assert_frame_equal(figures, before_figures)
    assert {"gem_wmo_eigen", "gem_cli_nten_jeugd", "gem_jongeren"} <= set(joined.frame.columns)
    assert joined.unmatched_codes == ["BU99999999"]
    assert joined.areas_without_figures == [frame["code"].iloc[-1]]
    assert joined.matched == len(frame) - 1
    own = figures.iloc[:-1]  # without the unmatched code
    keys = [ind.key for ind in joined.indicators]
    assert keys == ["gem_wmo_eigen", "gem_cli_nten_jeugd"]
    values = compute_indicators(joined.frame, keys, extra=joined.indicators)
    np.testing.assert_allclose(
        values["gem_wmo_eigen"].iloc[:-1],
        1000 * own["wmo_eigen"].to_numpy() / frame["population"].iloc[:-1].to_numpy(),
    )
    np.testing.assert_allclose(
        values["gem_cli_nten_jeugd"].iloc[:-1],
        100 * own["cliënten jeugd"] / own["jongeren"],
    )
    assert np.isnan(values["gem_wmo_eigen"].iloc[-1])
    assert joined.indicators[1].label_nl == "Jeugdhulp (gemeente)"
    assert joined.indicators[1].source.startswith("gemeente")


def test_municipal_indicators_take_part_in_the_analysis():
    frame = grid_frame(5, 5)
    joined = join_municipal(frame, _figures(frame), {"wmo_eigen": "population"})
    profile = custom_profile(
        ["pct_corporation_owned", "gem_wmo_eigen"], extra_labels={"gem_wmo_eigen": "Wmo (eigen)"}
    )
    result = run_analysis(
        joined.frame, profile=profile, extra_indicators=joined.indicators, permutations=0
    )
    assert "gem_wmo_eigen" in result.table.columns
    assert result.table["n_indicators"].iloc[-1] == 1  # no municipal figure for the last area
    assert result.profile.themes[1].label_nl == "Wmo (eigen)"


def test_buurt_counts_are_summed_to_wijk_level(demo_frames):
    buurt, wijk = demo_frames["buurt"], demo_frames["wijk"]
    figures = pd.DataFrame({"code": buurt["code"], "schulden": 1.0})
    joined = join_municipal(wijk, figures, {"schulden": "households"})
    counts = buurt.groupby("wijkcode").size()
    np.testing.assert_array_equal(joined.frame["gem_schulden"], counts.loc[wijk["code"]].to_numpy())
    assert joined.unmatched_codes == []


@pytest.mark.parametrize(
    ("figures", "specs", "message"),
    [
        (pd.DataFrame({"x": [1]}), {"x": "population"}, "code"),
        (pd.DataFrame({"code": ["A", "a"], "x": [1, 2]}), {"x": "population"}, "more than once"),
        (pd.DataFrame({"code": ["A"], "x": ["veel"]}), {"x": "population"}, "not numbers"),
        (pd.DataFrame({"code": ["A"], "x": [-1]}), {"x": "population"}, "negative"),
        (pd.DataFrame({"code": ["A"], "x": [1]}), {"x": "noemer"}, "lacks"),
        (pd.DataFrame({"code": ["A"], "x": [1]}), {}, "at least one"),
        (pd.DataFrame({"code": ["A"], "x": [1]}), {"x": MunicipalSpec(unit="promille")}, "unit"),
    ],
)
def test_bad_tables_are_refused(figures, specs, message):
    with pytest.raises(ValueError, match=message):
        join_municipal(grid_frame(2, 2), figures, specs)


def test_name_clash_with_the_frame_is_refused():
    frame = grid_frame(2, 2).assign(gem_x=1.0)
    with pytest.raises(ValueError, match="already has"):
        join_municipal(frame, pd.DataFrame({"code": frame["code"], "x": 1.0}), {"x": "population"})
