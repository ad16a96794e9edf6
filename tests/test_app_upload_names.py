"""An 'in Cijfers' export with area names through the app's Eigen data tab (AppTest, demo)."""

from __future__ import annotations

from cbs_ingest.demo import make_demo
from tests.test_app_wiring import (  # _fresh: autouse fixture, fresh caches and no roles file
    KEY,
    _fresh,  # noqa: F401
    confirm,
    layer_options,
    run_app,
    texts,
    upload,
)


def long_export() -> bytes:
    """Wmo clients and inhabitants per demo buurt by name; the first name slightly off."""
    names = list(make_demo()["buurt"]["name"])
    lines = ["Indicator;Eenheid;Periode;gebied;Waarde"]
    for i, name in enumerate(names):
        shown = f"Buurt {name.upper()}" if i else f"{name}straat e.o."
        lines.append(f"wmo;aantal;2024;{shown};{10 + i}")
        lines.append(f"inwoners;aantal;2024;{shown};{400 + i}")
    lines.append("wmo;aantal;2024;Stapeldam totaal;2000")
    return "\n".join(lines).encode()


def test_a_swing_export_with_names_joins_after_choosing_and_confirming():
    at = upload(run_app(tab="data"), "stapeldam_in_cijfers.csv", long_export())
    body = texts(at)
    assert "59 van de 60 namen gekoppeld" in body
    assert "gecontroleerd: 59 gebieden" in body
    assert not [o for o in layer_options(at) if "wmo 2024" in o]  # nothing joined yet
    first = make_demo()["buurt"].iloc[0]
    near = next(s for s in at.selectbox if s.label.startswith(first["name"]))
    near.set_value(first["code"])
    at.run()
    assert "gecontroleerd: 60 gebieden" in texts(at)
    assert not [o for o in layer_options(at) if "wmo 2024" in o]
    confirm(at)
    entry = at.session_state["upload"][(2024, "GM9999", "buurt")]
    frame = entry["frame"].set_index("code")
    assert frame.loc[first["code"], "gem_inwoners_2024"] == 400.0
    assert [o for o in layer_options(at) if "wmo 2024" in o]
    assert f"{KEY}_confirmed" in at.session_state
