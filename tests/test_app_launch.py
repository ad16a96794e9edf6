"""``stapelkaart app`` starts fast (no heavy imports before Streamlit) and asks no third party."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from geo_app.cli import app as _cmd_app

ROOT = Path(__file__).resolve().parents[1]


def _modules_after(code: str, **env: str) -> set[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **env},
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_cli_imports_no_data_stack_before_dispatching():
    loaded = _modules_after("import geo_app.cli, geo_app.cli.app, geo_app.cli.serve")
    assert not {"geopandas", "pandas", "sklearn", "esda", "cbs_ingest"} & loaded


def test_app_command_goes_through_the_launcher():
    command = _cmd_app.streamlit_command(["--server.port", "8599"])
    assert command[1:5] == ["-m", "geo_app.cli.serve", "run", str(ROOT / "geo_app" / "app.py")]
    assert command[-2:] == ["--server.port", "8599"]


def test_the_server_asks_no_public_service_for_its_address(monkeypatch):
    from streamlit import net_util

    from geo_app.cli import streamlit_adapter

    asked: list[str] = []
    monkeypatch.setattr(net_util, "_make_blocking_http_get", lambda url, timeout: asked.append(url))
    monkeypatch.setattr(net_util, "get_external_ip", net_util.get_external_ip)
    assert streamlit_adapter.no_external_ip_lookup()
    assert net_util.get_external_ip() is None
    assert asked == []


def test_streamlit_settings_have_one_home():
    """``.streamlit/config.toml`` is a copy of the packaged ``geo_app/streamlit.toml``."""
    copy = ROOT / ".streamlit" / "config.toml"
    assert tomllib.loads(copy.read_text(encoding="utf-8")) == tomllib.loads(
        _cmd_app.SETTINGS.read_text(encoding="utf-8")
    ), "copy geo_app/streamlit.toml to .streamlit/config.toml"


def test_every_setting_is_a_streamlit_option_under_its_own_variable():
    """``streamlit run`` reads each option from ``ConfigOption.env_var``; ours must match."""
    from streamlit import config

    settings = tomllib.loads(_cmd_app.SETTINGS.read_text(encoding="utf-8"))
    wanted = {f"{s}.{k}": v for s, options in settings.items() for k, v in options.items()}
    options = config.get_config_options()
    assert set(wanted) <= set(options), f"not Streamlit options: {set(wanted) - set(options)}"
    env = _cmd_app.env_defaults()
    assert sorted(env) == sorted(options[name].env_var for name in wanted)
    assert env["STREAMLIT_THEME_PRIMARY_COLOR"] == wanted["theme.primaryColor"]
    assert env["STREAMLIT_SERVER_ENABLE_STATIC_SERVING"] == "true"


def test_grids_offer_no_download_of_their_own():
    """A grid's toolbar CSV download would bypass the role's export rules (issue 13).

    Every run of the app (``stapelkaart app`` and ``streamlit run`` from the repository)
    hides it; downloads go through the app's own buttons. The browser test
    ``test_app_wiring_browser`` checks the toolbar itself.
    """
    settings = tomllib.loads(_cmd_app.SETTINGS.read_text(encoding="utf-8"))
    assert settings["client"]["disableDataExport"] is True
    assert _cmd_app.env_defaults()["STREAMLIT_CLIENT_DISABLE_DATA_EXPORT"] == "true"
