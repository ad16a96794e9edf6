"""The app's texts: one table per fact, in Dutch and English, keyed by stable ids."""

from __future__ import annotations

import re

import pandas as pd

from geo_app.cli.analyse import build_metadata
from geo_app.mapview.classes import HOTSPOT_COLOURS
from geo_app.session.i18n import HOTSPOT_LABELS, hotspot_label
from geo_app.views.profile_report import compare_table
from models.hotspots import HOTSPOT_LABELS as MORAN_CLASSES
from models.hotspots import NO_DATA, NO_NEIGHBOURS, NOT_SIGNIFICANT


def test_every_hotspot_outcome_has_one_label_in_each_language():
    outcomes = {*MORAN_CLASSES.values(), NOT_SIGNIFICANT, NO_NEIGHBOURS, NO_DATA, "not computed"}
    assert outcomes == set(HOTSPOT_LABELS)
    for code, labels in HOTSPOT_LABELS.items():
        assert set(labels) == {"nl", "en"}, code
        assert labels["nl"] and labels["en"] and labels["nl"] != labels["en"], code
    assert hotspot_label("not computed", "nl") == "Niet berekend"
    assert hotspot_label("not computed", "en") == "Not computed"
    assert hotspot_label("something else", "en") == "something else"


def test_the_map_colours_every_hotspot_class_and_labels_it_from_the_table():
    assert set(HOTSPOT_COLOURS) <= set(HOTSPOT_LABELS)
    assert list(HOTSPOT_COLOURS) == list(HOTSPOT_LABELS)[: len(HOTSPOT_COLOURS)]


def test_compare_table_and_export_metadata_use_the_same_labels():
    table = pd.DataFrame(
        {"code": ["BU1", "BU2"], "name": ["A", "B"], "hotspot": ["High-High", "not computed"]}
    )
    wide = compare_table(table, ["BU1", "BU2"], [])
    assert list(wide.iloc[0]) == [HOTSPOT_LABELS["High-High"]["nl"], "Niet berekend"]

    class Result:
        indicators: dict = {}
        settings: dict = {}
        notes: tuple = ()

    meta = build_metadata(Result(), year=2024, codes=["GM9999"], level="buurt")
    for code, labels in HOTSPOT_LABELS.items():
        assert f"{code} = {labels['nl']}" in meta["kolommen"]["hotspot"]


def test_every_text_has_dutch_and_english_and_the_same_placeholders():
    from string import Formatter

    from geo_app.session.i18n import TEXTS

    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in Formatter().parse(text) if name}

    for key, texts in TEXTS.items():
        assert set(texts) == {"nl", "en"}, key
        assert fields(texts["nl"]) == fields(texts["en"]), key


def test_the_map_and_upload_texts_come_from_the_one_table():
    from geo_app.mapview.legend import MAP_TEXT_KEYS, map_texts
    from geo_app.session.i18n import TEXTS

    assert all(f"map_{key}" in TEXTS for key in MAP_TEXT_KEYS)
    assert map_texts("en")["legend_hide"] == TEXTS["map_legend_hide"]["en"]
    assert map_texts("nl")["no_data"] == "geen gegevens / onderdrukt"
    assert {k for k in TEXTS if k.startswith("upload_form_")} >= {
        "upload_form_title",
        "upload_form_confirm",
    }


def test_no_other_app_module_keeps_a_table_of_translations():
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "geo_app"
    for path in root.rglob("*.py"):
        if path.name == "i18n.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert not re.search(r'[{,]\s*"(nl|en)":\s*["(]', text), path


def test_every_theme_of_the_built_in_profiles_has_an_english_name():
    from geo_app.session.i18n import theme_label
    from layers.profiles import PROFILES

    for profile in PROFILES.values():
        names = [theme_label(profile.key, t.key, t.label_nl, "en") for t in profile.themes]
        assert all(
            n != t.label_nl or n == "Wmo" for n, t in zip(names, profile.themes, strict=True)
        ), names
        assert len(set(names)) == len(names), names
        assert [theme_label(profile.key, t.key, t.label_nl) for t in profile.themes] == [
            t.label_nl for t in profile.themes
        ]
    assert theme_label("ongecorrigeerd", "wmo", "Wmo (ruw)", "en") == "Wmo (crude)"
    assert theme_label("default", "wmo", "Wmo (leeftijdgecorrigeerd)", "en") == (
        "Wmo (age-adjusted)"
    )
    assert theme_label("eigen", "gem_x", "Mijn cijfer", "en") == "Mijn cijfer"
