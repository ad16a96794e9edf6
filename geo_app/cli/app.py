"""``stapelkaart app``: start the map app (``streamlit run`` of the installed app)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

__all__ = ["add_parser", "run", "streamlit_command"]

_APP = Path(__file__).parents[1] / "app.py"
#: Settings of the project's .streamlit/config.toml, applied wherever the command runs.
_ENV_DEFAULTS = {
    "STREAMLIT_CLIENT_SHOW_ERROR_DETAILS": "none",
    "STREAMLIT_CLIENT_TOOLBAR_MODE": "minimal",
    "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
    "STREAMLIT_SERVER_ENABLE_STATIC_SERVING": "true",
    "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
    "STREAMLIT_THEME_BASE": "light",
    "STREAMLIT_THEME_PRIMARY_COLOR": "#01689B",
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

    ``geo_app.cli.serve`` is ``streamlit run``, optionally importing the app's
    modules in the background first (``geo_app._preload``).
    """
    args = [a for a in extra if a != "--"]
    return [sys.executable, "-m", "geo_app.cli.serve", "run", str(_APP), *args]


def run(args: argparse.Namespace) -> int:
    """Run Streamlit in the foreground until it exits."""
    env = dict(os.environ)
    root = str(_APP.parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    for key, value in _ENV_DEFAULTS.items():
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
