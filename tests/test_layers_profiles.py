from __future__ import annotations

import pytest

from layers import INDICATORS, PROFILES, Threshold, custom_profile, get_profile


def test_builtin_profiles_refer_to_known_indicators():
    assert next(iter(PROFILES)) == "default"
    for profile in PROFILES.values():
        assert profile.name_nl and profile.description_nl
        for theme in profile.themes:
            assert theme.candidates
            assert all(key in INDICATORS for key in theme.candidates)


def test_default_profile_uses_age_standardised_wmo():
    default = get_profile("default")
    keys = {t.key: t.candidates[0] for t in default.themes}
    assert keys["wmo"] == "wmo_age_index"
    assert keys["wonen"] == "pct_corporation_owned"
    assert keys["bijstand"] == "bijstand_per_1000_15_65"


def test_dordrecht_norm_is_expressible_with_absolute_thresholds():
    dordrecht = get_profile("dordrecht")
    thresholds = {t.candidates[0]: t.threshold for t in dordrecht.themes}
    assert thresholds["pct_corporation_owned"] == Threshold("absolute", 90)
    assert thresholds["benefits_per_1000_15_65"] == Threshold("absolute", 400)  # 40%
    assert thresholds["wmo_per_1000"] == Threshold("absolute", 300)  # 30%
    assert thresholds["youth_care_pct"] == Threshold("absolute", 25)
    assert dordrecht.flag_min_themes == 4


def test_thresholds_are_validated():
    with pytest.raises(ValueError):
        Threshold("percentile", 120)
    with pytest.raises(ValueError):
        Threshold("median", 50)
    assert "20%" in Threshold("percentile", 80).describe_nl()


def test_custom_profile_defaults_and_per_indicator_thresholds():
    profile = custom_profile(
        ["pct_corporation_owned", "youth_care_pct", "wmo_per_1000"],
        threshold={"youth_care_pct": Threshold("absolute", 25)},
    )
    assert [t.key for t in profile.themes] == [
        "pct_corporation_owned",
        "youth_care_pct",
        "wmo_per_1000",
    ]
    assert profile.themes[1].threshold.kind == "absolute"
    assert profile.themes[0].threshold == Threshold("percentile", 80)
    assert profile.flag_min_themes == 2 and profile.min_indicators == 2
    with pytest.raises(ValueError):
        custom_profile([])
    with pytest.raises(ValueError):
        custom_profile(["wmo_per_1000", "wmo_per_1000"])


def test_unknown_profile_is_a_key_error():
    with pytest.raises(KeyError, match="default"):
        get_profile("nope")
