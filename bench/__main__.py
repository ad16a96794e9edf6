"""Run every benchmark script in ``bench/``, each in its own Python process.

Usage: ``python -m bench [--quick] [NAME ...]``; ``--quick`` runs every script in
its tiny mode (checks that the scripts work; the figures mean nothing). Each
script prints its own figures and ratios; separate processes keep one script's
memory and caches out of the next one's figures. The real CBS data is read from
``../shared/data``; a script that needs it and does not find it prints one
``skipped: ...`` line and exits 0, so ``--quick`` passes in a clone without it.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _scripts(names: list[str]) -> list[Path]:
    found = sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))
    if names:
        wanted = set(names)
        found = [p for p in found if p.stem in wanted]
        missing = wanted - {p.stem for p in found}
        if missing:
            raise SystemExit(f"unknown benchmark(s): {', '.join(sorted(missing))}")
    return found


def main(argv: list[str]) -> int:
    """Run the named benchmarks (all when none are named) and return an exit code."""
    try:
        import os

        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = 0
    print(
        f"# Stapelkaart benchmarks: Python {platform.python_version()}, "
        f"{platform.machine()}, {cores} cores"
    )
    extra = [a for a in argv if a == "--quick"]
    names = [a for a in argv if a != "--quick"]
    failed = 0
    for script in _scripts(names):
        print(f"\n## {script.stem}", flush=True)
        start = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-m", f"bench.{script.stem}", *extra], cwd=HERE.parent
        )
        print(
            f"# {script.stem}: exit {result.returncode}, {time.perf_counter() - start:.1f} s wall",
            flush=True,
        )
        failed += result.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
