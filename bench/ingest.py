"""Ingestion figures: fresh ingest from the local OData server, area store loads and sizes.

Run from the repository root: ``python -m bench.ingest [--quick]``.

Runs the real cbsodata client against the test suite's fake CBS server (served
from ``../shared/data``) with a CBS-layout GeoPackage built on the fly, then
loads the same requests from the area store (checksum check included), and
single gemeenten and sets out of the whole-country ingest.
Budget: a gemeente loads from the store in under 0.5 s. ``--postgres`` measures
the PostgreSQL/PostGIS store in a throw-away cluster (store size not shown). Prints medians; nothing
here is asserted. ``--quick`` measures one gemeente with fewer repeats.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT.parent / "shared" / "data" / "raw"
sys.path.insert(0, str(ROOT / "tests"))


def _median(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


BUDGET_GEMEENTE_S = 0.5


def main(argv: list[str] | None = None) -> int:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one gemeente, fewer repeats")
    parser.add_argument(
        "--postgres",
        action="store_true",
        help="the PostgreSQL/PostGIS store in a throw-away cluster instead of the embedded one",
    )
    args = parser.parse_args(argv)
    if args.postgres:
        import _postgres

        reason = _postgres.missing()
        if reason:
            print(f"skipped: {reason}")
            return 0
        with _postgres.cluster() as url, _postgres.database(url) as database:
            os.environ["STAPELKAART_DATABASE_URL"] = database
            print("backend: PostgreSQL/PostGIS (throw-away cluster on a unix socket)")
            return _measure(args)
    return _measure(args)


def _measure(args: argparse.Namespace) -> int:
    fresh_repeat, cached_repeat = (1, 3) if args.quick else (3, 10)
    if not RAW.is_dir():
        print("skipped: ../shared/data/raw not found")
        return 0
    from fake_cbs import FakeCbs, FakeCbsServer, Fault
    from fake_cbs_tables import kwb_2024_table
    from fake_pdok import FakePdokServer, cbs_layers, write_geopackage

    import cbs_ingest

    tmp = Path(tempfile.mkdtemp(prefix="stapelkaart-bench-"))
    start = time.perf_counter()
    table = kwb_2024_table(RAW)
    layers = cbs_layers(RAW)
    gpkg = write_geopackage(layers, tmp / "wijkenbuurten_2024_v1.gpkg")
    size_mb = gpkg.stat().st_size / 1e6
    print(
        f"setup (fake table {len(table.rows)} rows, GeoPackage {size_mb:.1f} MB): "
        f"{time.perf_counter() - start:.1f} s"
    )
    os.environ["STAPELKAART_DATA_DIR"] = str(tmp / "data")
    os.environ["STAPELKAART_HTTP_BACKOFF"] = "0.05"
    state = FakeCbs(tables={"85984NED": table}, page_size=10_000)
    with FakeCbsServer(state) as cbs, FakePdokServer(layers) as pdok:
        os.environ["STAPELKAART_CBS_URL"] = cbs.url
        os.environ["STAPELKAART_PDOK_URL"] = pdok.url
        cases = [
            ("one gemeente (GM0502, 79 buurten)", ["GM0502"]),
            (
                "eleven gemeenten (452 buurten)",
                sorted(
                    {
                        r["Codering_3"][:6].replace("BU", "GM")
                        for r in table.rows
                        if r["Codering_3"].startswith("BU")
                    }
                ),
            ),
            ("whole country (342 gemeenten, 3393 wijken)", None),
        ]
        if args.quick:
            cases = cases[:1]
        for label, codes in cases:
            fresh = _median(
                lambda c=codes: cbs_ingest.load(2024, c, geometry_file=gpkg, refresh=True),
                fresh_repeat,
            )
            cached = _median(
                lambda c=codes: cbs_ingest.load(2024, c, geometry_file=gpkg), cached_repeat
            )
            result = cbs_ingest.load(2024, codes, geometry_file=gpkg)
            size = "in the database"
            if result.cache_path is not None:  # the embedded store's folder
                total = sum(p.stat().st_size for p in result.cache_path.rglob("*") if p.is_file())
                size = f"{total / 1e6:.2f} MB"
            rows = {k: len(v) for k, v in result.frames.items()}
            rates = {k: f"{100 * result.report[k].match_rate:.0f}%" for k in rows}
            print(
                f"{label}: fresh {fresh:.2f} s (median of {fresh_repeat}), from store "
                f"{1000 * cached:.0f} ms (median of {cached_repeat}), x{fresh / cached:.0f} "
                f"faster; store {size}, rows {rows}, join {rates}"
            )
            if codes is not None and len(codes) == 1:
                verdict = "met" if cached < BUDGET_GEMEENTE_S else "MISSED"
                print(f"    budget < {BUDGET_GEMEENTE_S} s per gemeente from store: {verdict}")
        if args.quick:
            print(f"requests served by the fake CBS server: {len(state.log)}")
            return 0
        # Out of the whole-country ingest just stored (the network is not asked).
        served = len(state.log)
        for label, codes in (
            ("one gemeente (GM0502) out of the whole country", ["GM0502"]),
            ("three gemeenten out of the whole country", ["GM0502", "GM0606", "GM0505"]),
        ):
            took = _median(lambda c=codes: cbs_ingest.load(2024, c), cached_repeat)
            print(f"{label}: from store {1000 * took:.0f} ms (median of {cached_repeat})")
        print(f"    requests to the fake CBS server meanwhile: {len(state.log) - served}")
        pdok_fresh = _median(lambda: cbs_ingest.load(2024, ["GM0502"], refresh=True), 3)
        print(f"one gemeente with PDOK geometry (GM0502): fresh {pdok_fresh:.2f} s")
        state.faults.append(Fault("TypedDataSet", "503", times=1))
        retried = _median(
            lambda: cbs_ingest.load(2024, ["GM0502"], geometry_file=gpkg, refresh=True), 1
        )
        print(f"one gemeente with one 503 on the data page (retried): {retried:.2f} s")
    print(f"requests served by the fake CBS server: {len(state.log)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
