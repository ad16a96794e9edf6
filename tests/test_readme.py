"""The README's examples are real: its roles configuration parses with the app's own parser."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from geo_app.access.resolve import known_keys
from geo_app.access.roles import parse_access_config, resolve_role

README = Path(__file__).resolve().parents[1] / "README.md"


def _toml_blocks() -> list[str]:
    return re.findall(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_readme_roles_example_is_a_valid_configuration():
    blocks = [b for b in _toml_blocks() if "[access" in b]
    assert len(blocks) == 1
    access = tomllib.loads(blocks[0])["access"]
    config = parse_access_config(access, indicators=known_keys())

    corporatie = resolve_role(config, {"email": "medewerker@woonstichting.example"})
    assert corporatie is not None and corporatie.name == "corporatie"
    assert corporatie.may_see(level="wijk", indicator="stacking_score")
    assert not corporatie.may_see(level="wijk", indicator="wmo_age_index")
    assert not corporatie.may_see(level="buurt")
    gemeente = resolve_role(config, {"email": "beleid@gemeente.example"})
    assert gemeente is not None and gemeente.name == "gemeente"
    assert resolve_role(config, {"email": "iemand@elders.example"}) is None


def test_readme_names_the_pinned_leaflet_version():
    from geo_app.mapview.assets import LEAFLET_VERSION

    text = README.read_text(encoding="utf-8")
    assert f"Leaflet **{LEAFLET_VERSION}**" in text
    assert "BSD-2-Clause" in text
    pyproject = (README.parent / "pyproject.toml").read_text(encoding="utf-8")
    assert f"XStatic-Leaflet=={LEAFLET_VERSION}.0" in pyproject
