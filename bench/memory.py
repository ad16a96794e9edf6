"""Benchmark: peak memory (RSS) of the analysis at national buurt scale.

Run from the repository root: ``python -m bench.memory [--quick]``.

Each case runs in a fresh Python process, which reports its peak resident set
size (``resource.getrusage(RUSAGE_SELF).ru_maxrss``) after the imports, after
building the layer, and after the contiguity graph and one full
``run_analysis`` (999 permutations). The difference between the last two is
what the analysis itself adds. ``--quick`` uses 300 areas and 99 permutations.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import _areas  # noqa: E402

_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB -> MB on Linux
from bench import _areas
from models import build_weights, run_analysis
out = {{"imports": peak()}}
wijken = _areas.national_wijken()
layer = {{"wijken": lambda: wijken, "split": lambda: _areas.split_wijken(wijken),
          "georef": lambda: _areas.georef_buurten(wijken)}}[{case!r}]()
layer = _areas.first_areas(layer, {limit})
out["layer"] = peak()
started = time.perf_counter()
graph = build_weights(layer.geometry)
result = run_analysis(layer, scope="gemeente", weights=graph, permutations={permutations})
out["seconds"] = time.perf_counter() - started
out["analysis"] = peak()
out["n"] = len(layer)
print(json.dumps(out))
"""

CASES = (
    ("wijken", "real national wijken"),
    ("split", "split-wijk buurten"),
    ("georef", "georeferenced national buurten"),
)


def run_case(case: str, limit: int, permutations: int) -> dict:
    """Run one case in a child process and return what it reported."""
    code = _CHILD.format(root=str(ROOT), case=case, limit=limit, permutations=permutations)
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"child failed: {done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny run to check the script")
    args = parser.parse_args(argv)
    if not _areas.available():
        print("skipped: ../shared/data/raw not found")
        return 0
    limit = 300 if args.quick else 1_000_000
    permutations = 99 if args.quick else 999
    print(f"# peak RSS per fresh process (MB), {permutations} permutations")
    for case, label in CASES:
        started = time.perf_counter()
        row = run_case(case, limit, permutations)
        print(
            f"{label:<32} n={row['n']:>6}: after imports {row['imports']:.0f} MB, "
            f"with layer {row['layer']:.0f} MB, after graph + analysis {row['analysis']:.0f} MB "
            f"(+{row['analysis'] - row['layer']:.0f} MB for the analysis, "
            f"{row['seconds']:.1f} s; process {time.perf_counter() - started:.1f} s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
