"""Smoothing and rank uncertainty on the real gemeenten (the figures in docs/analysis.md).

``python -m tests._reliability_figures`` prints every figure; these tests check what the
docs conclude from them.
"""

from __future__ import annotations

import pytest

from tests._reliability_figures import figures


@pytest.fixture(scope="module")
def real(national_data):
    return figures(national_data)


@pytest.mark.real_data
@pytest.mark.parametrize("level", ["buurt", "wijk"])
def test_smoothing_keeps_the_core_and_moves_small_areas(real, level):
    per, areas = real[level]
    both = (areas["flag_raw"] & areas["flag_smooth"]).sum()
    either = (areas["flag_raw"] | areas["flag_smooth"]).sum()
    assert both / either >= 0.85
    assert per["spearman"].median() >= 0.95
    changed = areas[areas["decile_change"]]
    scored = areas["score_raw"].notna()
    # Areas that change decile are smaller than the typical area.
    assert changed["population"].median() < areas.loc[scored, "population"].median()


@pytest.mark.real_data
def test_flags_that_differ_are_the_doubtful_ones(real):
    _, areas = real["wijk"]
    differ = areas[areas["flag_raw"] != areas["flag_smooth"]]
    agree = areas[areas["flag_raw"] & areas["flag_smooth"]]
    assert differ["stability_raw"].median() < 0.6 < agree["stability_raw"].median()
    only_raw = areas[areas["flag_raw"] & ~areas["flag_smooth"]]
    only_smooth = areas[~areas["flag_raw"] & areas["flag_smooth"]]
    assert only_raw["population"].median() < only_smooth["population"].median()


@pytest.mark.real_data
def test_designated_areas_under_both_profiles(real):
    _, wijken = real["wijk"]
    dordrecht = wijken[wijken["gemeentecode"] == "GM0505"].set_index("name")
    for name in ("Wijk 07 Wielwijk", "Wijk 08 Crabbehof/Zuidhoven"):
        assert dordrecht.loc[name, "flag_raw"] and dordrecht.loc[name, "flag_smooth"]
        # 0.8 is "stable"; 200 draws carry a Monte Carlo error of a few points.
        assert dordrecht.loc[name, "stability_raw"] >= 0.7
    _, buurten = real["buurt"]
    schiedam = buurten[buurten["gemeentecode"] == "GM0606"].set_index("name")
    assert schiedam.loc["De Meesterbuurt", "class_raw"] == "stable"
    assert any("Nieuwland" in line for line in real["lines"])
