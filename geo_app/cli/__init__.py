"""The ``stapelkaart`` command line: one module per subcommand.

Each subcommand lives in its own ``geo_app.cli.<name>`` module with two
functions: ``add_parser(subparsers)`` and ``run(args) -> int``. Errors that
Stapelkaart raises on purpose end as one clear line on stderr and a non-zero
exit code, never as a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

__all__ = ["main", "build_parser"]

_COMMANDS: tuple[str, ...] = ("demo", "ingest", "analyse", "trends", "validate", "app")


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="stapelkaart",
        description="Where social problems stack up, per buurt and wijk.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in _COMMANDS:
        module = importlib.import_module(f"geo_app.cli.{name}")
        sub = module.add_parser(subparsers)
        sub.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code."""
    args_in = list(sys.argv[1:] if argv is None else argv)
    if args_in[:1] == ["app"]:
        # Fast path: building every subcommand's parser imports the analysis
        # stack (seconds); `app` passes all its arguments on to Streamlit.
        from geo_app.cli import app as _cmd_app

        return int(_cmd_app.run(argparse.Namespace(streamlit_args=args_in[1:])) or 0)
    # Imported here, not at the top: cbs_ingest pulls in geopandas (over a
    # second), which `stapelkaart app` does not need before Streamlit starts.
    from cbs_ingest.errors import StapelkaartError

    parser = build_parser()
    args = parser.parse_args(args_in)
    try:
        return int(args._run(args) or 0)
    except StapelkaartError as exc:
        print(f"stapelkaart: error: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("stapelkaart: interrupted; nothing was written.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
