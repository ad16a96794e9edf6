"""Other libraries' internals that Stapelkaart uses, each behind one adapter.

Each test fails with a message naming the internal that changed, so that an
update of the library says at once which adapter to look at.
"""

from __future__ import annotations

import re
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[1]


def _requirement(name: str) -> Requirement:
    import tomllib

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = [Requirement(d) for d in deps["dependencies"] if Requirement(d).name == name]
    assert found, f"{name} is not a dependency in pyproject.toml"
    return found[0]


@pytest.mark.parametrize("name", ["streamlit", "streamlit-folium", "cbsodata", "XStatic-Leaflet"])
def test_installed_version_is_in_the_supported_range(name):
    req = _requirement(name)
    assert any(s.operator in ("<", "<=", "==") for s in req.specifier), (
        f"{name}: no upper bound in pyproject.toml although Stapelkaart uses its internals"
    )
    assert req.specifier.contains(version(name), prereleases=True), (
        f"{name} {version(name)} is outside the supported range {req.specifier}"
    )


def test_cbsodata_still_has_the_session_and_collection_download_we_use():
    import cbsodata.cbsodata3 as cbs3

    from cbs_ingest import _cbsodata_adapter

    for name in ("Session", "_download_metadata"):
        assert callable(getattr(cbs3, name, None)), (
            f"cbsodata.cbsodata3.{name} is gone: update cbs_ingest/_cbsodata_adapter.py"
        )
    _cbsodata_adapter.check()
    assert _requirement("cbsodata").specifier == SpecifierSet(_cbsodata_adapter.SUPPORTED)


def test_cbsodata_adapter_names_what_is_missing(monkeypatch):
    import cbsodata.cbsodata3 as cbs3

    from cbs_ingest import _cbsodata_adapter

    monkeypatch.delattr(cbs3, "_download_metadata")
    with pytest.raises(ImportError, match="_download_metadata"):
        _cbsodata_adapter.check()


def test_cbsodata_adapter_puts_the_session_back():
    import cbsodata
    import cbsodata.cbsodata3 as cbs3

    from cbs_ingest._cbsodata_adapter import use_session

    before = cbs3.Session, cbsodata.options.use_https

    class Mine:
        pass

    with pytest.raises(RuntimeError), use_session(Mine, use_https=not before[1]):
        assert cbs3.Session is Mine
        raise RuntimeError("the download failed")
    assert (cbs3.Session, cbsodata.options.use_https) == before


def test_streamlit_still_has_the_external_ip_lookup_we_switch_off():
    from streamlit import net_util

    assert callable(getattr(net_util, "get_external_ip", None)), (
        "streamlit.net_util.get_external_ip is gone: update geo_app/cli/streamlit_adapter.py"
    )


def test_streamlit_adapter_warns_instead_of_failing_when_the_lookup_is_gone(monkeypatch):
    from streamlit import net_util

    from geo_app.cli import streamlit_adapter

    monkeypatch.delattr(net_util, "get_external_ip")
    assert streamlit_adapter.no_external_ip_lookup() is False


def test_streamlit_folium_component_is_where_the_map_frame_expects_it():
    import streamlit_folium

    from geo_app.mapview import assets, folium_frame

    name = getattr(getattr(streamlit_folium, "_component_func", None), "name", None)
    assert name == folium_frame.COMPONENT, (
        f"streamlit-folium's component is now {name!r}, not {folium_frame.COMPONENT!r}: "
        "update geo_app/mapview/folium_frame.py (and the browser tests' FOLIUM_IFRAME)"
    )
    assert assets.DEFAULT_ASSET_BASE == "../../app/static/vendor/leaflet"


def test_pinned_leaflet_still_has_the_zoom_animation_flag_we_read():
    from geo_app.mapview import assets, leaflet_internals

    source = (assets.leaflet_source_dir() / "leaflet.js").read_text(encoding="utf-8")
    prop = leaflet_internals.ZOOM_ANIMATING.removeprefix("map.")
    assert re.search(rf"\b{prop}\b", source), (
        f"Leaflet {assets.LEAFLET_VERSION} has no {prop}: "
        "update geo_app/mapview/leaflet_internals.py"
    )
    assert f'version="{assets.LEAFLET_VERSION}"' in source
