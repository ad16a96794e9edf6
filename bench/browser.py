"""Benchmark: time to a usable map in headless Chromium, and an indicator switch.

Run from the repository root: ``python -m bench.browser [--quick]``.

For each data set, ``stapelkaart app`` is started as a subprocess (a fresh
``STAPELKAART_DATA_DIR``, port on 127.0.0.1, headless). The clock starts just
before the process starts. Chromium (already running, as a person's browser
would be) opens the page as soon as the server answers its health check; the
map counts as usable when every area is drawn as ``path.leaflet-interactive``
in the st_folium iframe and the legend is shown. Also printed: when the server
answered, when the page shell (sidebar) and the title (data loaded, stacking
analysed) appeared, and when the layer list offered the hotspots (the app draws
the stacking map first and completes clusters and hotspots afterwards). Then
the map layer is switched in the sidebar three times; a switch is done when the legend shows the
new layer and the areas are drawn again. Every request not for 127.0.0.1 is
aborted (the basemap tiles, so the map is measured without tiles).

Data sets: the built-in demo gemeente (60 buurten), and Capelle aan den
IJssel (GM0502, 79 buurten) ingested into the cache from ``../shared/data``
(``bench/_appdata.py``). ``--baseline CHECKOUT`` adds an older checkout of
the project (e.g. ``git archive <commit>`` unpacked in a temporary folder) as
the "before" figure of the same run. ``--quick`` runs the demo once.

The run starts with the floor: a one-line Streamlit page started and shown the
same way, which is what Streamlit and Chromium cost on this machine at this
moment. Budgets: first map within 5 s, switch within 1.5 s. Needs Playwright (a
test dependency) and Chromium at /usr/bin/chromium; without them it says so and
exits 0.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import _areas  # noqa: E402
from tests._browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    FOLIUM_IFRAME,
    free_port,
    stop,
    wait_complete,
    wait_healthy,
)

IFRAME = FOLIUM_IFRAME
BUDGET_FIRST_S = 5.0
BUDGET_SWITCH_S = 1.5

_COUNT_JS = """([sel]) => {
    const f = document.querySelector(sel);
    const d = f && f.contentDocument;
    if (!d) { return [0, ""]; }
    const legend = d.querySelector('.stapel-legend');
    return [d.querySelectorAll('path.leaflet-interactive').length,
            legend ? legend.innerText : ""];
}"""


def start_app(env: dict[str, str], port: int, log: Path, root: Path) -> subprocess.Popen:
    """Start ``stapelkaart app`` of checkout ``root`` on 127.0.0.1:``port`` (own process group)."""
    command = [
        sys.executable, "-m", "geo_app", "app",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
    ]  # fmt: skip
    full_env = {**os.environ, **env, "PYTHONPATH": str(root)}
    with log.open("wb") as handle:
        return subprocess.Popen(
            command,
            cwd=root,
            env=full_env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stop app and streamlit together
        )


def _state(page) -> tuple[int, str]:
    try:
        count, legend = page.evaluate(_COUNT_JS, [IFRAME])
    except Exception:  # the iframe is being replaced
        return 0, ""
    return int(count), str(legend)


def wait_map(page, n_areas: int, *, changed_from: str | None, timeout: float = 60) -> str:
    """Wait until ``n_areas`` paths and a legend (different from ``changed_from``) are shown."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count, legend = _state(page)
        if count >= n_areas and legend and (changed_from is None or legend != changed_from):
            return legend
        time.sleep(0.02)
    raise RuntimeError(f"map not drawn within {timeout:.0f} s (last state {_state(page)})")


def switch_layer(page, label: str) -> None:
    """Choose ``label`` in the sidebar's *Kaartlaag* select box."""
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').filter(
        has_text="Kaartlaag"
    )
    box.click()
    page.get_by_role("option", name=label, exact=True).click()


_FLOOR_APP = """import streamlit as st
st.sidebar.write("Stapelkaart")
st.html('<h1 class="sk-title">floor</h1>')
"""


def floor(browser) -> float:
    """Seconds from starting ``streamlit run`` of a one-line page to that page shown.

    What Streamlit and Chromium need on this machine right now, whatever the
    app does: the figures above it are the app's own share.
    """
    folder = Path(tempfile.mkdtemp(prefix="stapelkaart-bench-floor-"))
    (folder / "floor.py").write_text(_FLOOR_APP, encoding="utf-8")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [
        sys.executable, "-m", "streamlit", "run", str(folder / "floor.py"),
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    page = browser.new_page()
    log = folder / "floor.log"
    started = time.perf_counter()
    with log.open("wb") as handle:
        proc = subprocess.Popen(
            command, cwd=folder, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_healthy(proc, base, log, timeout=90, poll=0.05)
        page.goto(base, wait_until="commit")
        page.locator("h1.sk-title").first.wait_for(timeout=60_000)
        return time.perf_counter() - started
    finally:
        page.close()
        stop(proc, timeout=15)


def run_case(
    browser, label: str, env: dict[str, str], n_areas: int, switches: int, root: Path = ROOT
) -> dict:
    """Start the app in checkout ``root``, time the first map and ``switches`` layer switches."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = Path(tempfile.mkdtemp(prefix="stapelkaart-bench-log-")) / "app.log"
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    blocked: list[str] = []

    def route(route):
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", route)
    page = context.new_page()
    started = time.perf_counter()
    proc = start_app(env, port, log, root)
    try:
        wait_healthy(proc, base, log, timeout=90, poll=0.05)
        healthy = time.perf_counter() - started
        page.goto(base, wait_until="commit")
        page.locator('[data-testid="stSidebar"]').first.wait_for(timeout=60_000)
        sidebar = time.perf_counter() - started
        page.locator("h1.sk-title").first.wait_for(timeout=60_000)
        title = time.perf_counter() - started
        legend = wait_map(page, n_areas, changed_from=None)
        first = time.perf_counter() - started
        options = wait_complete(page)
        complete = time.perf_counter() - started
        times = []
        targets = [o for o in options if o not in legend][:switches]
        for target in targets:
            before = legend
            t0 = time.perf_counter()
            switch_layer(page, target)
            legend = wait_map(page, n_areas, changed_from=before)
            times.append(time.perf_counter() - t0)
    finally:
        context.close()
        stop(proc, timeout=15)
    return {
        "label": label,
        "healthy": healthy,
        "sidebar": sidebar,
        "title": title,
        "first": first,
        "complete": complete,
        "switches": times,
        "blocked": len(blocked),
    }


def _print(row: dict) -> None:
    first_ok = "met" if row["first"] <= BUDGET_FIRST_S else "MISSED"
    text = (
        f"{row['label']:<46} server healthy {row['healthy']:.1f} s, page shell "
        f"{row['sidebar']:.1f} s, title (data analysed) {row['title']:.1f} s, "
        f"first map {row['first']:.1f} s (budget {BUDGET_FIRST_S:g} s: {first_ok}); "
        f"clusters and hotspots offered {row['complete']:.1f} s"
    )
    if row["switches"]:
        med = _areas.median(row["switches"])
        ok = "met" if med <= BUDGET_SWITCH_S else "MISSED"
        each = ", ".join(f"{s:.2f}" for s in row["switches"])
        text += (
            f"\n{'':<46} layer switch median {med:.2f} s of {len(row['switches'])} "
            f"({each}; budget {BUDGET_SWITCH_S:g} s: {ok})"
        )
    text += f"; {row['blocked']} non-loopback requests aborted"
    print(text, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the demo once")
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="CHECKOUT",
        help="also measure the app of another checkout (e.g. a git worktree of an older "
        "commit) first, as the 'before' figure of this run",
    )
    args = parser.parse_args(argv)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("skipped: Playwright is not installed (pip install -e '.[test]')")
        return 0
    if not Path(CHROMIUM).exists():
        print(f"skipped: Chromium not found at {CHROMIUM}")
        return 0
    from bench import _appdata

    sets = [("demo gemeente (60 buurten)", lambda d: {"STAPELKAART_DATA_DIR": str(d)}, 60)]
    if not args.quick and _areas.available():
        sets.append(("Capelle a/d IJssel (79 buurten, cache)", _appdata.cbs_cache, 79))
    modes = [("now", ROOT)]
    if not args.quick and args.baseline is not None:
        modes.insert(0, (f"baseline {args.baseline.name}", args.baseline.resolve()))
    print(f"# load average {os.getloadavg()[0]:.1f}; Chromium headless, tiles blocked")
    rows = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            if not args.quick:
                print(f"floor: a one-line Streamlit page shown after {floor(browser):.1f} s")
            for label, make, n_areas in sets:
                for mode, root in modes:
                    data_dir = Path(tempfile.mkdtemp(prefix="stapelkaart-bench-data-"))
                    env = make(data_dir)
                    env.setdefault("STAPELKAART_CBS_URL", _appdata.CLOSED_URL)
                    env.setdefault("STAPELKAART_PDOK_URL", _appdata.CLOSED_URL)
                    switches = 1 if args.quick else 3
                    row = run_case(browser, f"{label}, {mode}", env, n_areas, switches, root)
                    rows.append((label, mode, row))
                    _print(row)
        finally:
            browser.close()
    if len(modes) > 1:
        print(f"\nfirst map, ratio to '{modes[0][0]}' (same run):")
        for label, _, _ in sets:
            mine = [(mode, row) for set_label, mode, row in rows if set_label == label]
            base = mine[0][1]["first"]
            ratios = ", ".join(f"{mode} x{row['first'] / base:.2f}" for mode, row in mine[1:])
            print(f"  {label}: {ratios}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
