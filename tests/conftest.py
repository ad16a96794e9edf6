from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests explore new random examples on a developer's machine; in CI they replay a
# fixed set, so that a submission lands or fails on its own merits. Found failures are
# fixed and kept as explicit tests.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``../shared/data/raw``, for tests that need national scale.

    Skips the test, saying why, when it is absent (or ``STAPELKAART_TEST_DATA=fixture``).
    """
    from tests._real import SHARED_RAW, shared_raw

    raw = shared_raw()
    if raw is None:
        pytest.skip(
            "needs the national CBS data in ../shared/data/raw "
            f"(not found at {SHARED_RAW.parent}, or STAPELKAART_TEST_DATA=fixture)"
        )
    return raw


@pytest.fixture(scope="session")
def real_data() -> Path:
    """Real CBS files: ``../shared/data/raw`` when present, else ``tests/fixtures/real``."""
    from tests._real import real_raw

    return real_raw()


@pytest.fixture(scope="session")
def national_data() -> Path:
    """Every wijk of the country (and every Rijnmond buurt): few columns, wijk polygons.

    ``../shared/data/raw`` when present, else the fixture's extracts of the whole files
    (``tests/fixtures/real/whole``); read them with ``tests._real.stats_frame``,
    ``attribute_frame``, or ``area_frame`` at wijk level.
    """
    from tests._real import whole_raw

    return whole_raw()


@pytest.fixture(scope="session")
def demo_frames():
    """The demo gemeente at its default seed, generated once per session."""
    from cbs_ingest.demo import make_demo

    return make_demo()


# --- ingestion: isolation, a fake CBS OData server, a CBS-layout GeoPackage, fake PDOK ---


@pytest.fixture(scope="session", autouse=True)
def _isolated_sources(tmp_path_factory):
    """No test writes into the real data directory or reaches CBS/PDOK on the internet.

    The data directory points at a session temp folder and both endpoints at a
    closed local port, unless a test sets them itself (e.g. via ``cbs_server``).
    """
    import os

    saved = {k: os.environ.get(k) for k in _SOURCE_ENV}
    os.environ["STAPELKAART_DATA_DIR"] = str(tmp_path_factory.mktemp("stapelkaart-data"))
    os.environ["STAPELKAART_CBS_URL"] = "http://127.0.0.1:9"
    os.environ["STAPELKAART_PDOK_URL"] = "http://127.0.0.1:9"
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


_SOURCE_ENV = ("STAPELKAART_DATA_DIR", "STAPELKAART_CBS_URL", "STAPELKAART_PDOK_URL")


@pytest.fixture(scope="session")
def cbs_tables(real_data):
    """KWB 2024 (85984NED) from the real data, and the same figures renumbered as 85618NED."""
    from fake_cbs_tables import kwb_2024_table

    return {
        "85984NED": kwb_2024_table(real_data),
        "85618NED": kwb_2024_table(real_data, table_id="85618NED", renumber=7),
    }


@pytest.fixture(scope="session")
def _cbs_server_session(cbs_tables):
    from fake_cbs import FakeCbs, FakeCbsServer

    with FakeCbsServer(FakeCbs(tables=dict(cbs_tables), page_size=10_000)) as server:
        yield server


@pytest.fixture
def cbs_server(_cbs_server_session, cbs_tables, monkeypatch, tmp_path):
    """The fake CBS OData server (state reset), with the environment pointing at it.

    Also gives the test its own data directory and fast, short retries.
    """
    state = _cbs_server_session.state
    state.reset()
    state.tables.clear()
    state.tables.update(cbs_tables)
    state.page_size = 10_000  # as CBS's bulk feed; tests that need paging lower it
    monkeypatch.setenv("STAPELKAART_CBS_URL", state.url)
    monkeypatch.setenv("STAPELKAART_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("STAPELKAART_HTTP_RETRIES", "3")
    monkeypatch.setenv("STAPELKAART_HTTP_BACKOFF", "0.01")
    monkeypatch.setenv("STAPELKAART_HTTP_TIMEOUT", "2")
    yield state
    state.reset()


@pytest.fixture(scope="session")
def cbs_layers_2024(real_data):
    """The real 2024 geometry as CBS's GeoPackage layers (EPSG:28992)."""
    from fake_pdok import cbs_layers

    return cbs_layers(real_data)


@pytest.fixture(scope="session")
def cbs_gpkg(cbs_layers_2024, tmp_path_factory):
    """A GeoPackage in CBS's Wijk- en buurtkaart layout, built at test time."""
    from fake_pdok import write_geopackage

    target = tmp_path_factory.mktemp("wbk") / "wijkenbuurten_2024_v1.gpkg"
    return write_geopackage(cbs_layers_2024, target)


@pytest.fixture
def pdok_server(cbs_layers_2024, monkeypatch):
    """A fake PDOK OGC API Features server with the 2024 layers; the environment points at it."""
    from fake_pdok import FakePdokServer

    with FakePdokServer(cbs_layers_2024) as server:
        monkeypatch.setenv("STAPELKAART_PDOK_URL", server.url)
        yield server


@pytest.fixture(autouse=True)
def _isolated_datasets(tmp_path, monkeypatch):
    """Each test has its own store of municipal datasets (no dataset leaks between tests).

    A ``STAPELKAART_DATABASE_URL`` of the environment is ignored: tests that use a
    database set it to a throw-away one themselves (``pg_cluster``).
    """
    monkeypatch.setenv("STAPELKAART_DATASETS_FILE", str(tmp_path / "datasets.sqlite"))
    monkeypatch.delenv("STAPELKAART_DATABASE_URL", raising=False)


@pytest.fixture(scope="session")
def pg_cluster():
    """A throw-away PostgreSQL cluster (with PostGIS) for this test session; its libpq URL.

    Skips, saying why, when the Debian binaries are absent (``tests/_postgres.py``).
    """
    import _postgres

    reason = _postgres.missing()
    if reason:
        pytest.skip(reason)
    with _postgres.cluster() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def datasets_backend(request, monkeypatch):
    """Where a fresh, empty store of each backend is: ``sqlite`` or ``postgres``.

    For PostgreSQL a new database in the session's cluster, named by
    ``STAPELKAART_DATABASE_URL``; for SQLite the file ``STAPELKAART_DATASETS_FILE``.
    """
    if request.param == "sqlite":
        yield "sqlite"
        return
    import _postgres

    with _postgres.database(request.getfixturevalue("pg_cluster")) as url:
        monkeypatch.setenv("STAPELKAART_DATABASE_URL", url)
        yield "postgres"


@pytest.fixture
def tiny_server(monkeypatch, tmp_path):
    """The tiny two-year social-domain tables (GM9998) served by a fake CBS; data in tmp_path."""
    from fake_cbs import FakeCbs, FakeCbsServer
    from fake_cbs_series import tiny_series_tables

    with FakeCbsServer(FakeCbs(tables=tiny_series_tables(), page_size=10_000)) as server:
        monkeypatch.setenv("STAPELKAART_CBS_URL", server.url)
        monkeypatch.setenv("STAPELKAART_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("STAPELKAART_HTTP_RETRIES", "1")
        yield server.state


@pytest.fixture
def stored_dordrecht(cbs_server, cbs_gpkg, tmp_path):
    """Dordrecht's KWB 2024 and real series in the test's area store; its data directory."""
    from _dordrecht_app import store_dordrecht

    return store_dordrecht(cbs_server, cbs_gpkg, tmp_path / "data")  # cbs_server's directory


@pytest.fixture(params=["local", "postgres"])
def area_store(request, monkeypatch, tmp_path):
    """A fresh area store of each backend, chosen through the environment as a user would."""
    from cbs_ingest.store import open_store

    monkeypatch.setenv("STAPELKAART_DATA_DIR", str(tmp_path / "data"))
    if request.param == "local":
        yield open_store()
        return
    import _postgres

    with _postgres.database(request.getfixturevalue("pg_cluster")) as url:
        monkeypatch.setenv("STAPELKAART_DATABASE_URL", url)
        yield open_store()
