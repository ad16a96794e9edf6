"""Benchmark: server time of the app's rerun when the map layer changes.

Run from the repository root: ``python -m bench.rerender [--quick]``.

Runs the real app script (``geo_app/app.py``) with Streamlit's ``AppTest`` in
this process, on a gemeente from the GeoParquet cache. After a first run (which
loads the data and computes the analysis; timed too) and one warm-up switch,
the map layer in the sidebar is switched to each of the other layers in turn;
each rerun's wall time is the server time of an indicator change: sidebar,
cached analysis, folium map building and ``st_folium``'s HTML. The browser's
drawing is not included (``bench/browser.py`` measures that). Issue budget:
within 1 s for about 90 and about 500 buurten.

Gemeenten: Capelle aan den IJssel (GM0502, 79 buurten, real KWB 2024 through
the real ingest) and Amsterdam (GM0363, 516 approximate buurt polygons with
values derived from its wijken); see ``bench/_appdata.py``. ``--quick`` runs
the demo gemeente with two switches.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import _appdata, _areas  # noqa: E402

APP = str(ROOT / "geo_app" / "app.py")
BUDGET_S = 1.0


def _layer_keys() -> dict[str, str]:
    """Dutch layer label -> layer key, as the sidebar shows them."""
    from geo_app.session.i18n import t
    from layers import INDICATORS

    special = ("stacking_score", "themes_high", "cluster_label", "hotspot")
    out = {t(f"layer_{key}", "nl"): key for key in special}
    out.update({ind.label_nl: key for key, ind in INDICATORS.items()})
    return out


def measure(label: str, env: dict[str, str], code: str, switches: int) -> dict:
    """First run and layer switches of the app on gemeente ``code``."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(APP, default_timeout=120)
        at.query_params["gm"] = code
        at.query_params["year"] = "2024"
        started = time.perf_counter()
        at.run()
        first = time.perf_counter() - started
        if at.exception:
            raise RuntimeError([e.message for e in at.exception])
        box = at.sidebar.selectbox(key="w_layer")
        options = [key for label, key in _layer_keys().items() if label in box.options]
        n_areas = next(m.value for m in at.metric if m.label == "Gebieden")
        current = box.value
        times = []
        order = [o for o in options if o != current] * 3
        for index, target in enumerate(order[: switches + 1]):
            started = time.perf_counter()
            at.sidebar.selectbox(key="w_layer").set_value(target).run()
            elapsed = time.perf_counter() - started
            if at.exception:
                raise RuntimeError([e.message for e in at.exception])
            if at.sidebar.selectbox(key="w_layer").value != target:
                raise RuntimeError(f"the layer did not change to {target!r}")
            if index > 0:  # the first switch warms caches of the map tab
                times.append(elapsed)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return {"label": label, "n": n_areas, "first": first, "times": times}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="demo gemeente, two switches")
    args = parser.parse_args(argv)
    closed = {
        "STAPELKAART_CBS_URL": _appdata.CLOSED_URL,
        "STAPELKAART_PDOK_URL": _appdata.CLOSED_URL,
    }
    cases = []
    if args.quick or not _areas.available():
        if not args.quick:
            print("../shared/data not found: measuring the demo gemeente only")
        data = Path(tempfile.mkdtemp(prefix="stapelkaart-bench-data-"))
        cases.append(("demo gemeente", {"STAPELKAART_DATA_DIR": str(data), **closed}, "GM9999"))
    else:
        for label, make, code in (
            ("Capelle a/d IJssel (real KWB 2024)", _appdata.cbs_cache, "GM0502"),
            ("Amsterdam (georef buurten, derived values)", _appdata.synthetic_cache, "GM0363"),
        ):
            data = Path(tempfile.mkdtemp(prefix="stapelkaart-bench-data-"))
            cases.append((label, make(data), code))
    switches = 2 if args.quick else 8
    print(f"# app rerun on a layer switch (AppTest, this process); load {os.getloadavg()[0]:.1f}")
    for number, (label, env, code) in enumerate(cases):
        row = measure(label, env, code, switches)
        what = "imports, load, analysis" if number == 0 else "load, analysis"
        med = _areas.median(row["times"])
        verdict = "met" if med <= BUDGET_S else "MISSED"
        print(
            f"{row['label']:<44} {row['n']:>4} buurten: first run ({what}) "
            f"{row['first']:.2f} s; layer switch median {med:.2f} s, max "
            f"{max(row['times']):.2f} s of {len(row['times'])} (budget {BUDGET_S:g} s: {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
