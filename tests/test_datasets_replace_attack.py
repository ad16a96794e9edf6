"""A replaced dataset: both published versions together give no hidden cell away.

The two versions are read back from the dataset store (what was published)
and attacked with the integer-programming attacker of ``tests/_attack.py``
(model in ``docs/trust.md``): every published cell of both versions, every
wijk = sum of its buurten, a cell unchanged between the versions is one
unknown. The gemeente total is not stored (nor shown), so it is no equation.
Once through the CLI (``datasets add --replace``), once through the app's
confirm of an existing name (AppTest).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from _attack import Version, failures
from streamlit.testing.v1 import AppTest

from cbs_ingest.datasets import StoredDataset, open_store
from cbs_ingest.demo import make_demo
from geo_app.cli import main
from layers.disclosure import DEFAULT_PROTECTION_PCT
from tests.test_app_wiring import (  # _fresh: autouse fixture, fresh caches and no roles file
    APP,
    _fresh,  # noqa: F401
    confirm,
    ok,
    upload,
)

_THRESHOLD = 10
_COLUMNS = ("wmo",)  # inwoners is a base column: joined as no indicator, so never published


def _first() -> dict[str, dict[str, float]]:
    """Version 1: Wmo clients (some below 10) and inhabitants per demo buurt."""
    codes = list(make_demo()["buurt"]["code"])
    return {
        "wmo": {c: float((i * 7) % 40) for i, c in enumerate(codes)},
        "inwoners": {c: float(300 + i) for i, c in enumerate(codes)},
    }


def _csv(figures: dict[str, dict[str, float]]) -> bytes:
    lines = ["buurtcode;wmo;inwoners"]
    lines += [f"{c};{int(v)};{int(figures['inwoners'][c])}" for c, v in figures["wmo"].items()]
    return "\n".join(lines).encode()


def _hidden(stored: StoredDataset, column: str) -> set[tuple[str, str]]:
    log = stored.log
    rows = log.loc[log["column"] == f"gem_{column}"]
    return set(zip(rows["level"], rows["code"], strict=True))


def _second(first: dict[str, dict[str, float]], v1: StoredDataset) -> dict[str, dict[str, float]]:
    """Version 2: every Wmo cell hidden in version 1 at 10 or more grows by 15, and one
    hidden below 10 becomes 25, so on its own each would be published; the rest is unchanged."""
    hidden = sorted(code for level, code in _hidden(v1, "wmo") if level == "buurt")
    wmo = dict(first["wmo"])
    small = [c for c in hidden if wmo[c] < _THRESHOLD]
    large = [c for c in hidden if wmo[c] >= _THRESHOLD]
    assert small and large  # version 1 has primary and secondary buurt cells
    for code in large:
        wmo[code] += 15
    wmo[small[0]] = 25.0
    return {"wmo": wmo, "inwoners": first["inwoners"]}


def _version(stored: StoredDataset, figures: dict[str, dict[str, float]], column: str) -> Version:
    """One published version as the attacker sees it (true values for checking only)."""
    demo = make_demo()
    buurt = demo["buurt"][["code", "wijkcode", "gemeentecode"]].assign(level="buurt")
    buurt["true"] = buurt["code"].map(figures[column])
    wijk = demo["wijk"][["code", "wijkcode", "gemeentecode"]].assign(level="wijk")
    wijk["true"] = wijk["code"].map(buurt.groupby("wijkcode")["true"].sum())
    frame = pd.concat([buurt, wijk], ignore_index=True)
    frame["n"] = frame["true"]
    hidden_cells = _hidden(stored, column)
    hidden = np.array(
        [(lv, c) in hidden_cells for lv, c in zip(frame["level"], frame["code"], strict=True)]
    )
    # What the store holds is exactly what was published: hidden cells missing, the rest true.
    values = stored.values.loc[stored.values["column"] == column]
    published = frame.merge(values, on=["level", "code"], how="left")["value"].to_numpy()
    assert np.array_equal(np.isnan(published), hidden)
    np.testing.assert_array_equal(published[~hidden], frame["true"].to_numpy()[~hidden])
    return Version(frame[["code", "level", "wijkcode", "gemeentecode", "true", "n"]], hidden, 10)


def _check(v1: StoredDataset, v2: StoredDataset, first: dict, second: dict) -> None:
    assert (v1.meta.version, v2.meta.version) == (1, 2)
    assert set(v1.values["column"]) == set(v2.values["column"]) == set(_COLUMNS)
    # Hidden before stays hidden, even where the new value could be published on its own.
    for column in _COLUMNS:
        assert _hidden(v1, column) <= _hidden(v2, column), column
    changed = {c for c in first["wmo"] if first["wmo"][c] != second["wmo"][c]}
    assert {("buurt", c) for c in changed} <= _hidden(v2, "wmo")
    for column in _COLUMNS:
        versions = [_version(v1, first, column), _version(v2, second, column)]
        assert failures(versions, pct=DEFAULT_PROTECTION_PCT) == [], column


def _add(tmp_path, figures: dict, *extra: str) -> int:
    path = tmp_path / "wmo.csv"
    path.write_bytes(_csv(figures))
    return main(["datasets", "add", str(path), "-m", "GM9999", "--level", "buurt",
                 "--year", "2024", "--name", "wmo_2024", "--user", "ds@gemeente.example",
                 *extra])  # fmt: skip


def test_cli_replace_keeps_both_versions_protected_together(tmp_path, capsys):
    first = _first()
    assert _add(tmp_path, first) == 0
    (v1,) = open_store().latest("GM9999", 2024, allowed=None)
    second = _second(first, v1)
    assert _add(tmp_path, second, "--replace") == 0
    assert "version 2" in capsys.readouterr().out
    (v2,) = open_store().latest("GM9999", 2024, allowed=None)
    _check(v1, v2, first, second)


def test_cli_replace_of_a_version_without_hidden_cells_hides_only_what_it_must(tmp_path, capsys):
    first = _first()
    first["wmo"] = {c: v + 10 for c, v in first["wmo"].items()}  # nothing below 10
    assert _add(tmp_path, first) == 0
    (v1,) = open_store().latest("GM9999", 2024, allowed=None)
    assert v1.meta.suppression["cells"] == 0 and v1.values["value"].notna().all()
    code = next(iter(first["wmo"]))
    second = {**first, "wmo": {**first["wmo"], code: 3.0}}
    assert _add(tmp_path, second, "--replace") == 0
    (v2,) = open_store().latest("GM9999", 2024, allowed=None)
    assert ("buurt", code) in _hidden(v2, "wmo")
    # Every cell published unchanged in version 1 is known: none can be its partner, so a
    # cell that changed (here: only its wijk total) is hidden with it.
    assert _hidden(v2, "wmo") == {("buurt", code), ("wijk", "WK" + code[2:8])}
    _check(v1, v2, first, second)


def test_app_confirm_of_an_existing_name_keeps_both_versions_protected_together():
    first = _first()
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["tab"] = "data"
    ok(at.run())
    confirm(upload(at, "wmo_2024.csv", _csv(first)))
    (v1,) = open_store().latest("GM9999", 2024, allowed=None)
    second = _second(first, v1)
    other = AppTest.from_file(APP, default_timeout=60)
    other.query_params["tab"] = "data"
    ok(other.run())
    confirm(upload(other, "wmo_2024.csv", _csv(second)))
    (v2,) = open_store().latest("GM9999", 2024, allowed=None)
    _check(v1, v2, first, second)
