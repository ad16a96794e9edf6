"""``stapelkaart app``: start the map app (``streamlit run`` of the installed app)."""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

__all__ = ["SETTINGS", "add_parser", "env_defaults", "run", "streamlit_command"]

_APP = Path(__file__).parents[1] / "app.py"
#: The app's Streamlit settings (one home; ``.streamlit/config.toml`` is a copy of it).
SETTINGS = Path(__file__).parents[1] / "streamlit.toml"


def _env_name(option: str) -> str:
    """Streamlit's environment variable of ``section.optionName``."""
    return "STREAMLIT_" + re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", option.replace(".", "_")).upper()


def env_defaults() -> dict[str, str]:
    """The settings of :data:`SETTINGS` as ``STREAMLIT_*`` environment variables."""
    with SETTINGS.open("rb") as file:
        settings = tomllib.load(file)
    return {
        _env_name(f"{section}.{key}"): str(value).lower() if isinstance(value, bool) else str(value)
        for section, options in settings.items()
        for key, value in options.items()
    }


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``app`` subcommand."""
    parser = subparsers.add_parser(
        "app",
        help="open the map app in the browser (demo data when offline)",
        description=(
            "Start the Stapelkaart map app with Streamlit. Extra arguments are passed to "
            "`streamlit run`, e.g. --server.port 8502 or --server.headless true "
            "(`stapelkaart app --help` shows Streamlit's own options)."
        ),
        # Every argument, including --options, belongs to Streamlit: no option is parsed here.
        prefix_chars="+",
        add_help=False,
    )
    parser.add_argument(
        "streamlit_args", nargs=argparse.REMAINDER, help="arguments passed on to `streamlit run`"
    )
    return parser


def streamlit_command(extra: list[str]) -> list[str]:
    """The command line that starts the app, with ``extra`` passed to Streamlit.

    ``geo_app.cli.serve`` is ``streamlit run`` without the external IP lookup.
    """
    args = [a for a in extra if a != "--"]
    return [sys.executable, "-m", "geo_app.cli.serve", "run", str(_APP), *args]


def run(args: argparse.Namespace) -> int:
    """Run Streamlit in the foreground until it exits."""
    env = dict(os.environ)
    root = str(_APP.parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    for key, value in env_defaults().items():
        env.setdefault(key, value)
    command = streamlit_command(list(args.streamlit_args))
    if os.name == "posix":
        # Become the server: a SIGTERM from a service manager or a test then stops
        # Streamlit itself instead of leaving it running without its parent.
        os.execve(command[0], command, env)
    try:  # pragma: no cover - other platforms
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:
        return 0
