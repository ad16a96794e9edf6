"""Benchmark: 1, 5, 10 and 20 simultaneous sessions against one app process, and two.

Run from the repository root: ``python -m bench.load [--quick] [--demo]``.

``stapelkaart app`` is started on 127.0.0.1 (one process, then two processes on
two ports sharing one ``STAPELKAART_DATA_DIR``, so one area store and one
datasets store). Each process first serves one warm-up session (the cold first
map, printed): later sessions find the gemeente's analysis in the process's
cache, as they do on a server that has been running.

For each N, N sessions connect at the same moment (split round-robin over the
processes), each waits for its first map; when all are idle, all switch the map
layer at the same moment, twice. A round is repeated until a level has about
20 first maps. Printed per N: p50 and p95 of the time to the first map and to a
layer switch, the resident memory of each server process, and the CPU the
measuring process itself used.

The sessions are light protocol clients (``bench/_stclient.py``): a websocket
that speaks Streamlit's protocol as a browser tab does, but draws nothing. The
time to the first map runs from opening the websocket to the delta that carries
the map's HTML; a switch from sending the new *Kaartlaag* value to the new
map's delta. So the figures are the server's share, with the client's own cost
kept out. What a browser adds (loading the page and its scripts, drawing the
map in the iframe), which runs on each person's own computer, is measured
apart at the end: one headless Chromium page against the idle one-process
server, next to a protocol session on the same server.

Data: Capelle aan den IJssel (GM0502, 79 buurten) through the real ingest
(``bench/_appdata.py``) when ``../shared/data`` is there, otherwise (and with
``--demo``) the built-in demo gemeente (60 buurten). ``--quick``: two
processes, N=2, one round, no browser (checks that the script works). Bounded:
every loop has a count, every wait a timeout, and the whole run a time limit.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import _areas  # noqa: E402
from bench._stclient import LoadClientError, Session  # noqa: E402
from bench.browser import start_app  # noqa: E402
from tests._browser import free_port, stop, wait_healthy  # noqa: E402

LEVELS = (1, 5, 10, 20)
TARGET_SAMPLES = 20  # first maps per level: rounds = ceil(20 / N), at least 2
SWITCHES = 2  # layer switches per session and round
WAIT_S = 120.0  # the longest any one answer may take
RUN_LIMIT_S = 1200.0  # the whole benchmark; later rounds are skipped, saying so


def _rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (0 where /proc is not available)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


@contextmanager
def servers(count: int, env: dict[str, str]) -> Iterator[list[tuple[str, int]]]:
    """Run ``count`` app processes on 127.0.0.1 with one environment; yield (url, pid) each."""
    logs = Path(tempfile.mkdtemp(prefix="stapelkaart-bench-load-"))
    procs = []
    try:
        for i in range(count):
            port = free_port()
            proc = start_app(env, port, logs / f"{i}.log", ROOT)
            procs.append((f"http://127.0.0.1:{port}", proc))
        for i, (base, proc) in enumerate(procs):
            wait_healthy(proc, base, logs / f"{i}.log", timeout=90, poll=0.1)
        yield [(base, proc.pid) for base, proc in procs]
    finally:
        for _, proc in procs:
            stop(proc, timeout=15)


async def _round(
    servers_: list[tuple[str, int]], n: int, switches: int
) -> tuple[list[float], list[float], float, list[float]]:
    """N sessions open at once; when all are idle they switch the layer at once, ``switches`` x.

    Returns the first-map times, the switch times, the seconds from each switch burst
    to all sessions idle again (summed) and the servers' RSS with the N sessions open.
    """
    sessions = [Session(servers_[i % len(servers_)][0], timeout=WAIT_S) for i in range(n)]
    try:
        firsts = list(await asyncio.gather(*(s.open() for s in sessions)))
        await asyncio.gather(*(s.idle() for s in sessions))
        switched: list[float] = []
        busy = 0.0
        for _ in range(switches):
            t0 = time.perf_counter()
            done = await asyncio.gather(*(s.switch() for s in sessions))
            switched += [seconds for seconds, _ in done]
            await asyncio.gather(*(s.idle() for s in sessions))
            busy += time.perf_counter() - t0
        rss = [_rss_mb(pid) for _, pid in servers_]
    finally:
        await asyncio.gather(*(s.close() for s in sessions), return_exceptions=True)
    errors = [e for s in sessions for e in s.errors]
    if errors:
        raise LoadClientError(f"the app showed an error: {errors[0][:300]}")
    return firsts, switched, busy, rss


async def _warm(base: str) -> tuple[float, list[str]]:
    """One session until the whole analysis is shown; its first map time and the layers."""
    session = Session(base, timeout=WAIT_S)
    try:
        first = await session.open()
        await session.idle()
        return first, list(session.layer.options) if session.layer else []
    finally:
        await session.close()


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def run_level(
    servers_: list[tuple[str, int]], n: int, *, rounds: int, switches: int, deadline: float
) -> dict:
    """``rounds`` rounds of ``n`` simultaneous sessions; the figures of this level."""
    firsts: list[float] = []
    switched: list[float] = []
    busy = 0.0
    rss = [0.0] * len(servers_)
    cpu, wall = time.process_time(), time.perf_counter()
    done = 0
    for _ in range(rounds):
        if time.monotonic() > deadline:
            break
        f, s, b, r = asyncio.run(_round(servers_, n, switches))
        firsts += f
        switched += s
        busy += b
        rss = [max(a, c) for a, c in zip(rss, r, strict=True)]
        done += 1
    return {
        "n": n,
        "rounds": done,
        "first": firsts,
        "switch": switched,
        "client_cpu": time.process_time() - cpu,
        "wall": time.perf_counter() - wall,
        "rss": rss,
        "capacity": len(switched) / busy if busy else float("nan"),
    }


def _print_level(label: str, row: dict) -> None:
    f, s = row["first"], row["switch"]
    rss = " + ".join(f"{r:.0f}" for r in row["rss"])
    print(
        f"{label}, N={row['n']:>2}: first map p50 {_pct(f, 50):.2f} s, p95 {_pct(f, 95):.2f} s "
        f"({len(f)}); layer switch p50 {_pct(s, 50):.2f} s, p95 {_pct(s, 95):.2f} s "
        f"({len(s)}); {row['rounds']} rounds in {row['wall']:.1f} s, client CPU "
        f"{row['client_cpu']:.1f} s; switch throughput {row['capacity']:.1f}/s; "
        f"server RSS {rss} MB with the sessions open",
        flush=True,
    )


def browser_apart(
    base: str, n_areas: int, options: list[str], *, pages: int
) -> tuple[list[float], list[float], list[int]]:
    """First map and one layer switch in headless Chromium, ``pages`` page loads one by one.

    Also returns, per page, how many script reruns the page asked the server for
    (a protocol session asks for two: the first run and the switch).
    """
    from streamlit.proto.BackMsg_pb2 import BackMsg

    from bench.browser import switch_layer, wait_map
    from tests._browser import chromium, offline_context

    firsts: list[float] = []
    switched: list[float] = []
    reruns: list[int] = []

    def count(payload: str | bytes) -> None:
        msg = BackMsg()
        try:
            msg.ParseFromString(payload if isinstance(payload, bytes) else payload.encode())
        except Exception:  # not a BackMsg
            return
        if msg.WhichOneof("type") == "rerun_script" and not msg.rerun_script.fragment_id:
            reruns[-1] += 1

    with chromium() as browser:
        for _ in range(pages):
            context, _blocked = offline_context(browser, {"width": 1400, "height": 1000})
            reruns.append(0)
            try:
                page = context.new_page()
                page.on("websocket", lambda ws: ws.on("framesent", count))
                t0 = time.perf_counter()
                page.goto(base, wait_until="commit")
                legend = wait_map(page, n_areas, changed_from=None, timeout=WAIT_S)
                firsts.append(time.perf_counter() - t0)
                target = next(o for o in options if o not in legend)
                t0 = time.perf_counter()
                switch_layer(page, target)
                wait_map(page, n_areas, changed_from=legend, timeout=WAIT_S)
                switched.append(time.perf_counter() - t0)
                page.wait_for_timeout(1500)  # late component values still count
            finally:
                context.close()
    return firsts, switched, reruns


def _data(demo: bool) -> tuple[str, dict[str, str], int]:
    from bench import _appdata

    data_dir = Path(tempfile.mkdtemp(prefix="stapelkaart-bench-data-"))
    if not demo and _areas.available():
        env = _appdata.cbs_cache(data_dir)
        label, n_areas = "Capelle a/d IJssel (79 buurten)", 79
    else:
        env = {"STAPELKAART_DATA_DIR": str(data_dir)}
        label, n_areas = "demo gemeente (60 buurten)", 60
    env.setdefault("STAPELKAART_CBS_URL", _appdata.CLOSED_URL)
    env.setdefault("STAPELKAART_PDOK_URL", _appdata.CLOSED_URL)
    return label, env, n_areas


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two processes, N=2, one round")
    parser.add_argument("--demo", action="store_true", help="the demo gemeente, not Capelle")
    parser.add_argument(
        "--levels", type=int, nargs="+", default=list(LEVELS), help="numbers of sessions"
    )
    args = parser.parse_args(argv)
    if any(n < 1 or n > 200 for n in args.levels):
        parser.error("every level must be between 1 and 200 sessions")
    levels = [2] if args.quick else args.levels
    configs = [2] if args.quick else [1, 2]
    switches = 1 if args.quick else SWITCHES
    label, env, n_areas = _data(args.demo or args.quick)
    deadline = time.monotonic() + RUN_LIMIT_S
    print(
        f"# {label}; {os.cpu_count()} cores; load average "
        + ", ".join(f"{x:.1f}" for x in os.getloadavg())
        + f" at {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        flush=True,
    )
    options: list[str] = []
    try:
        for count in configs:
            name = f"{count} app process{'es' if count > 1 else ''}"
            with servers(count, env) as running:
                for base, _ in running:
                    cold, options = asyncio.run(_warm(base))
                    print(f"{name}: warm-up session, cold first map {cold:.2f} s", flush=True)
                for n in levels:
                    rounds = 1 if args.quick else max(2, math.ceil(TARGET_SAMPLES / n))
                    row = run_level(running, n, rounds=rounds, switches=switches, deadline=deadline)
                    if not row["rounds"]:
                        print(f"{name}, N={n}: skipped, the run's time limit passed")
                        continue
                    _print_level(name, row)
                if count == 1 and not args.quick:
                    print(_apart(running[0][0], n_areas, options), flush=True)
    except (LoadClientError, RuntimeError) as exc:
        print(f"load benchmark failed: {exc}", file=sys.stderr)
        return 1
    print(
        "# load average after the run " + ", ".join(f"{x:.1f}" for x in os.getloadavg()),
        flush=True,
    )
    return 0


def _apart(base: str, n_areas: int, options: list[str]) -> str:
    """The browser's own share, measured apart on the idle one-process server."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser share: skipped, Playwright is not installed"
    from tests._browser import CHROMIUM

    if not Path(CHROMIUM).exists():
        return f"browser share: skipped, Chromium not found at {CHROMIUM}"
    row = run_level([(base, 0)], 1, rounds=5, switches=1, deadline=time.monotonic() + 300)
    try:
        firsts, switched, reruns = browser_apart(base, n_areas, options, pages=5)
    except Exception as exc:  # Playwright's own errors: the load figures above still stand
        return f"browser share: failed, {type(exc).__name__}: {str(exc)[:300]}"
    pf, ps = np.median(row["first"]), np.median(row["switch"])
    bf, bs = np.median(firsts), np.median(switched)
    return (
        f"browser share (idle server, median of 5 one by one): first map in Chromium {bf:.2f} s "
        f"vs protocol client {pf:.2f} s (browser adds {bf - pf:.2f} s); layer switch "
        f"{bs:.2f} s vs {ps:.2f} s (adds {bs - ps:.2f} s); script reruns asked for by a "
        f"browser page for its first map and one switch: {', '.join(map(str, reruns))} "
        f"(a protocol session: 2)"
    )


if __name__ == "__main__":
    sys.exit(main())
