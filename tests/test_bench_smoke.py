"""Every benchmark script runs in its quick mode, so the scripts cannot rot.

Timings are printed by the scripts, never asserted here (``bench/`` is the place
for speed figures). Each script is started like ``python -m bench`` starts it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p.stem for p in (ROOT / "bench").glob("*.py") if not p.name.startswith("_"))

#: What each script prints when it measured something (or why it skipped).
EXPECTED = {
    "analysis": ("split-wijk buurten", "skipped"),
    "browser": ("first map", "skipped"),
    "disclosure": ("suppress", "shared data absent"),
    "harmonise": ("big gemeente wijken",),
    "ingest": ("from store", "skipped"),
    "load": ("first map p50",),
    "memory": ("peak RSS", "skipped"),
    "payload": ("payload ratio", "skipped"),
    "rerender": ("layer switch median",),
    "trends": ("national wijk trends",),
    "uncertainty": ("resampling", "skipped"),
}


def test_every_script_has_an_expectation():
    assert set(SCRIPTS) == set(EXPECTED)


@pytest.mark.parametrize(
    "name",
    [pytest.param(n, marks=pytest.mark.browser) if n == "browser" else n for n in SCRIPTS],
)
def test_script_runs_in_quick_mode(name):
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{name}", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert any(marker in output for marker in EXPECTED[name]), output[-3000:]
    assert "Traceback" not in output, output[-3000:]


def test_runner_rejects_an_unknown_benchmark():
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "no_such_bench"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode != 0
    assert "unknown benchmark(s): no_such_bench" in done.stderr
