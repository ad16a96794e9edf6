from __future__ import annotations

import tomllib

import pytest
from streamlit.testing.v1 import AppTest

from cbs_ingest.errors import InputError
from geo_app.access.roles import (
    ENV_VAR,
    allowed_datasets,
    filter_indicators,
    load_access_config,
    parse_access_config,
    resolve_role,
)

CONFIG_TOML = """
[access]
default_role = ""
local_role = "gemeente"
groups_claim = "groups"

[access.roles.gemeente]
label = "Gemeente"
levels = ["buurt", "wijk", "gemeente"]
indicators = "*"
export_levels = ["buurt", "wijk", "gemeente"]
export_indicators = "*"
datasets = "*"
upload = true

[access.roles.wijkteam]
levels = ["buurt", "wijk"]
indicators = ["wmo_clients", "youth_care_count", "persons_bijstand"]
export_levels = ["wijk"]
export_indicators = ["wmo_clients"]
datasets = ["wmo_2024"]

[access.roles.corporatie]
label = "Woningcorporatie"
levels = ["wijk", "gemeente"]
indicators = ["pct_corporation_owned", "persons_bijstand"]
datasets = []

[access.users]
"Beleid@Stapeldam.nl" = "gemeente"

[access.domains]
"stapeldam.nl" = "wijkteam"
"@woonbron.example" = "corporatie"

[access.groups]
"sg-stapelkaart-gemeente" = "gemeente"
"sg-stapelkaart-corporatie" = "corporatie"
"""

INDICATORS = [
    "wmo_clients",
    "youth_care_count",
    "persons_bijstand",
    "pct_corporation_owned",
    "population",
]


@pytest.fixture
def config():
    return parse_access_config(tomllib.loads(CONFIG_TOML)["access"], indicators=INDICATORS)


def test_roles_are_parsed_with_their_scopes(config):
    assert list(config.roles) == ["gemeente", "wijkteam", "corporatie"]
    gemeente, wijkteam, corporatie = config.roles.values()
    assert gemeente.indicators is None and gemeente.upload
    assert wijkteam.levels == {"buurt", "wijk"}
    assert wijkteam.export_levels == {"wijk"}
    assert corporatie.label == "Woningcorporatie"
    assert corporatie.export_levels == frozenset() and corporatie.export_indicators == frozenset()
    assert not corporatie.upload and corporatie.datasets == frozenset()
    assert config.local().name == "gemeente"


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ({"email": "beleid@stapeldam.nl"}, "gemeente"),  # exact address, case-insensitive
        ({"email": "a.jansen@stapeldam.nl"}, "wijkteam"),  # domain
        ({"email": "x@woonbron.example"}, "corporatie"),  # domain given with "@"
        # A group outranks the domain; with several groups the first role in config order wins.
        ({"email": "a@stapeldam.nl", "groups": ["sg-stapelkaart-corporatie"]}, "corporatie"),
        (
            {"email": "a@x.nl", "groups": ["sg-stapelkaart-corporatie", "sg-stapelkaart-gemeente"]},
            "gemeente",
        ),
        ({"email": "a@x.nl", "groups": "sg-stapelkaart-corporatie"}, "corporatie"),
        ({"email": "iemand@elders.nl"}, None),  # no default role: no access
        ({"email": "evil@stapeldam.nl.attacker.example"}, None),  # not the domain
        ({}, None),
    ],
)
def test_resolve_role(config, user, expected):
    role = resolve_role(config, user)
    assert (role.name if role else None) == expected


def test_default_role_and_verified_email(config):
    data = tomllib.loads(CONFIG_TOML)["access"]
    data["default_role"] = "corporatie"
    data["require_verified_email"] = True
    strict = parse_access_config(data)
    assert resolve_role(strict, {"email": "iemand@elders.nl"}).name == "corporatie"
    # An unverified address does not count: the default applies instead.
    assert resolve_role(strict, {"email": "beleid@stapeldam.nl"}).name == "corporatie"
    verified = {"email": "beleid@stapeldam.nl", "email_verified": True}
    assert resolve_role(strict, verified).name == "gemeente"
    assert resolve_role(None, verified) is None  # logged in without any configuration


def test_filter_indicators_and_datasets(config):
    wijkteam, corporatie = config.roles["wijkteam"], config.roles["corporatie"]
    assert filter_indicators(INDICATORS, wijkteam) == [
        "wmo_clients",
        "youth_care_count",
        "persons_bijstand",
    ]
    assert filter_indicators(INDICATORS, wijkteam, purpose="export") == ["wmo_clients"]
    assert filter_indicators(INDICATORS, corporatie, purpose="export") == []
    assert filter_indicators(INDICATORS, config.roles["gemeente"]) == INDICATORS
    assert allowed_datasets(["wmo_2024", "jeugd_2024"], wijkteam) == ["wmo_2024"]
    assert allowed_datasets(["wmo_2024"], corporatie) == []
    assert allowed_datasets(["wmo_2024"], config.roles["gemeente"]) == ["wmo_2024"]
    with pytest.raises(ValueError, match="purpose"):
        filter_indicators(INDICATORS, wijkteam, purpose="print")


BAD = [
    ({"roles": {}}, "at least one role"),
    ({"roles": {"x": {"levels": ["buurt"]}}, "colour": 1}, "unknown key"),
    ({"roles": {"x": {"levels": ["provincie"]}}}, "unknown name"),
    ({"roles": {"x": {}}}, "needs 'levels'"),
    ({"roles": {"x": {"levels": "buurt"}}}, "list of names"),
    ({"roles": {"x": {"levels": ["buurt"], "indicators": ["nonsense"]}}}, "unknown name"),
    ({"roles": {"x": {"levels": ["buurt"], "export_levels": ["wijk"]}}}, "may not see"),
    (
        {
            "roles": {
                "x": {"levels": ["buurt"], "indicators": ["wmo_clients"], "export_indicators": "*"}
            }
        },
        "may not see",
    ),
    ({"roles": {"x": {"levels": ["buurt"], "upload": "yes"}}}, "true or false"),
    ({"roles": {"x": {"levels": ["buurt"], "levelz": []}}}, "unknown key"),
    ({"roles": {"x": {"levels": ["buurt"]}}, "users": {"a@b.nl": "y"}}, "unknown role"),
    ({"roles": {"x": {"levels": ["buurt"]}}, "default_role": "y"}, "unknown role"),
    ({"roles": {"x": {"levels": ["buurt"]}}, "domains": ["a.nl"]}, "must be a table"),
    ({"roles": {"x": "everything"}}, "must be a table"),
    ({"roles": {"x": {"levels": ["buurt"]}}, "login_provider": 3}, "login_provider"),
]


@pytest.mark.parametrize(("access", "message"), BAD)
def test_bad_configuration_gives_clear_errors(access, message):
    with pytest.raises(InputError, match=message) as info:
        parse_access_config(access, indicators=INDICATORS)
    assert info.value.nl.startswith("Fout in de rollenconfiguratie")


def test_load_from_environment_file(tmp_path, config):
    path = tmp_path / "roles.toml"
    path.write_text(CONFIG_TOML, encoding="utf-8")
    loaded = load_access_config(environ={ENV_VAR: str(path)}, secrets={"access": {}})
    assert loaded == config
    assert load_access_config(environ={}, secrets={}) is None
    from_secrets = load_access_config(environ={}, secrets=tomllib.loads(CONFIG_TOML))
    assert from_secrets == config


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        ("[access\nroles=", "not valid TOML"),
        ("[other]\n", "no \\[access\\]"),
        ("\udcff", "not valid TOML"),
    ],
)
def test_bad_environment_file(tmp_path, content, message):
    path = tmp_path / "roles.toml"
    if content == "\udcff":
        path.write_bytes(b"\xff\xfe[access]")
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_access_config(environ={ENV_VAR: str(path)})


# -- inside Streamlit ----------------------------------------------------------


def _session_app():
    import streamlit as st

    from geo_app.access.roles import load_access_config, require_role

    config = load_access_config(secrets=st.secrets, environ={})
    role = require_role(config)
    st.text(f"rol={role.name}")


def _run(secrets: dict, user: dict) -> AppTest:
    at = AppTest.from_function(_session_app, default_timeout=30)
    at.secrets = secrets
    at.user = user
    return at.run()


def test_local_mode_without_auth_section():
    at = _run(tomllib.loads(CONFIG_TOML), {})
    assert not at.exception
    assert at.text[0].value == "rol=gemeente"
    assert _run({}, {}).text[0].value == "rol=lokaal"


AUTH = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-only",
        "client_id": "x",
        "client_secret": "y",
        "server_metadata_url": "http://127.0.0.1:9/.well-known/openid-configuration",
    }
}


def test_oidc_mode_asks_to_log_in_and_maps_logged_in_users():
    secrets = {**tomllib.loads(CONFIG_TOML), **AUTH}
    anonymous = _run(secrets, {"is_logged_in": False})
    assert not anonymous.exception
    assert "Log in" in anonymous.info[0].value
    assert anonymous.button[0].label == "Inloggen"
    assert not anonymous.text  # the app itself did not run
    corporatie = _run(secrets, {"is_logged_in": True, "email": "x@woonbron.example"})
    assert corporatie.text[0].value == "rol=corporatie"
    stranger = _run(secrets, {"is_logged_in": True, "email": "iemand@elders.nl"})
    assert "geen rol" in stranger.info[0].value
    assert stranger.button[0].label == "Uitloggen"
    assert not stranger.text
