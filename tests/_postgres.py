"""A throw-away PostgreSQL cluster with PostGIS for the store tests (unix socket only).

``cluster()`` starts one with the Debian binaries (``initdb``, ``pg_ctl``) in a
temporary folder, listening on a unix socket and no TCP port, and stops and
deletes it afterwards. It runs as the ``postgres`` user when the tests run as
root (PostgreSQL refuses to run as root). ``missing()`` says why it cannot
start, for ``pytest.skip``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

__all__ = ["missing", "cluster", "database"]


def _bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    candidates = []
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        candidates.append(Path(done.stdout.strip()))
    candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True))
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _postgis(bindir: Path) -> bool:
    version = bindir.parent.name  # Debian: /usr/lib/postgresql/<major>/bin
    shares = [Path("/usr/share/postgresql") / version / "extension"]
    pg_config = bindir / "pg_config"
    if pg_config.is_file():
        done = subprocess.run(
            [str(pg_config), "--sharedir"], capture_output=True, text=True, check=False
        )
        shares.insert(0, Path(done.stdout.strip()) / "extension")
    return any((share / "postgis.control").is_file() for share in shares)


def missing() -> str | None:
    """Why no cluster can be started here, or None."""
    bindir = _bindir()
    if bindir is None:
        return "PostgreSQL binaries (initdb, pg_ctl) not found; install postgresql-15"
    if not _postgis(bindir):
        return "PostGIS not installed; install postgresql-15-postgis-3"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg not installed (pip install 'psycopg[binary]')"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser to start PostgreSQL as another user"
    return None


def _as_postgres(args: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextlib.contextmanager
def cluster() -> Iterator[str]:
    """Start a cluster; yields the libpq URL of its ``postgres`` database."""
    bindir = _bindir()
    assert bindir is not None, missing()
    root = Path(tempfile.mkdtemp(prefix="stapelkaart-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sockets, "postgres")
    run = {"check": True, "capture_output": True, "timeout": 120}
    try:
        subprocess.run(
            _as_postgres(
                [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                 "-E", "UTF8", "--no-sync"]
            ),
            **run,
        )  # fmt: skip
        options = f"-c listen_addresses='' -k {sockets} -c fsync=off -c full_page_writes=off"
        subprocess.run(
            _as_postgres(
                [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                 str(root / "log"), "-w", "start"]
            ),
            **run,
        )  # fmt: skip
        yield f"postgresql://postgres@/postgres?host={sockets}"
    finally:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(
                _as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                **run,
            )
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def database(url: str) -> Iterator[str]:
    """A new, empty database in the cluster; yields its URL and drops it afterwards."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(f"CREATE DATABASE {name}")
    try:
        yield url.replace("/postgres?", f"/{name}?")
    finally:
        with psycopg.connect(url, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
