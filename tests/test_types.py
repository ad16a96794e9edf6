"""The string options are Literal types, and each Literal names exactly its table's keys."""

from __future__ import annotations

from typing import get_args

from cbs_ingest.columns import LEVELS, Level
from geo_app.access.roles import LOCAL_ROLE, Purpose
from geo_app.mapview.classes import SCHEMES, Scheme
from models.analysis import SCOPES, Scope
from models.typology import METHODS, Method


def test_each_literal_matches_its_table():
    assert get_args(Level) == LEVELS == ("buurt", "wijk", "gemeente")
    assert get_args(Scope) == tuple(SCOPES)
    assert get_args(Method) == tuple(METHODS)
    assert get_args(Scheme) == tuple(SCHEMES)
    assert get_args(Purpose) == ("view", "export")


def test_an_unknown_purpose_is_still_refused_at_run_time():
    import pytest

    with pytest.raises(ValueError, match="purpose"):
        LOCAL_ROLE.may_see(level="buurt", purpose="print")  # type: ignore[arg-type]
