"""The app's texts: one table per fact, in Dutch and English, keyed by stable ids."""

from __future__ import annotations

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
