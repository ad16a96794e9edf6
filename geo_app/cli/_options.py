"""Options every ``stapelkaart`` subcommand spells the same way.

One letter means one thing across all commands: ``-y/--year``,
``-m/--municipality``, ``-w/--whole-country``, ``-l/--level``, ``-o/--out``,
``-q/--quiet``, ``-g/--geometry-file``. Usage mistakes end as one line on
stderr with exit code 2, like every other bad input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn

__all__ = ["add_year", "add_scope", "add_municipality", "one_line_errors"]


def add_year(
    parser: argparse.ArgumentParser,
    *,
    required: bool = False,
    default: int | None = None,
    help: str,
) -> None:
    """``-y/--year``."""
    parser.add_argument(
        "--year", "-y", type=int, required=required, default=default, metavar="YYYY", help=help
    )


def add_municipality(
    parser: argparse.ArgumentParser | argparse._ActionsContainer,
    *,
    help: str,
    required: bool = False,
) -> None:
    """``-m/--municipality``, repeatable."""
    parser.add_argument(
        "--municipality", "-m", action="append", metavar="GMxxxx", required=required, help=help
    )


def add_scope(parser: argparse.ArgumentParser) -> None:
    """``-m/--municipality`` (repeatable) or ``-w/--whole-country``: exactly one."""
    scope = parser.add_mutually_exclusive_group(required=True)
    add_municipality(
        scope, help="gemeente code, e.g. GM0505; repeat (or separate with commas) for more"
    )
    scope.add_argument(
        "--whole-country", "-w", action="store_true", help="all gemeenten of the Netherlands"
    )


def one_line_errors(parser: argparse.ArgumentParser, name: str) -> None:
    """Make the parser's usage errors one line naming the command's help."""
    parser.error = _one_line_error(name)  # type: ignore[method-assign,assignment]


def _one_line_error(name: str) -> Callable[[str], NoReturn]:
    def error(message: str) -> NoReturn:
        print(
            f"stapelkaart: error: {name}: {message} (see stapelkaart {name} --help)",
            file=sys.stderr,
        )
        raise SystemExit(2)

    return error
