"""PostgreSQL connections shared by the backends chosen by ``STAPELKAART_DATABASE_URL``.

The area store (:mod:`cbs_ingest.store_postgres`) and the store of municipal
datasets (:mod:`cbs_ingest.datasets_postgres`) connect the same way: one
connection per call, one transaction per connection (a read is a repeatable-read
snapshot, a writer holds a transaction-scoped advisory lock), and every failure
(a URL that does not parse, a server that does not answer, a refused login, a
broken query) becomes one error of the caller's kind that never shows the
password.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from cbs_ingest.errors import StapelkaartError

__all__ = ["redacted", "reason", "transaction"]


def _parts(url: str) -> dict[str, Any] | None:
    from psycopg.conninfo import conninfo_to_dict

    try:
        return dict(conninfo_to_dict(url))
    except Exception:  # noqa: BLE001 - any parse failure: the URL is unreadable
        return None


def redacted(url: str) -> str:
    """The URL without user name or password, for messages and ``location``."""
    parts = _parts(url)
    if parts is None:
        return "postgresql://(unreadable URL)"
    host = parts.get("host") or "localhost"
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{host}{port}/{parts.get('dbname', '')}"


def reason(url: str, exc: BaseException | str) -> str:
    """The first line of ``exc`` for a message, with the URL's password blanked out.

    When the URL does not parse, the parser's own words may quote any part of it
    (the password too), so only "unreadable URL" is said.
    """
    parts = _parts(url)
    if parts is None:
        return "unreadable URL"
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    password = str(parts.get("password") or "")
    return line.replace(password, "***") if password else line


@contextlib.contextmanager
def transaction(
    url: str,
    *,
    write: bool,
    lock: int,
    unusable: Callable[[BaseException | str], Exception],
) -> Iterator[Any]:
    """A cursor inside one transaction: committed when the block ends, else rolled back.

    Parameters
    ----------
    url
        The libpq URL or connection string.
    write
        A writer takes the advisory lock ``lock`` for the transaction; a reader
        gets a read-only repeatable-read snapshot.
    lock
        The advisory lock id of this store's writers.
    unusable
        Makes the error raised for any connection or database failure from the
        exception (or a reason); it must not show the password (use :func:`reason`).
        Errors Stapelkaart raises on purpose inside the block pass unchanged.
    """
    try:
        import psycopg
    except ImportError as exc:
        missing = f"psycopg is not installed ({exc}); install 'stapelkaart[postgres]'"
        raise unusable(missing) from None
    try:
        con = psycopg.connect(url, connect_timeout=10, autocommit=False)
    except Exception as exc:  # noqa: BLE001 - bad URL, refused, auth: all one message
        raise unusable(exc) from None
    try:
        with con:
            if not write:
                con.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            cur = con.cursor()
            if write:
                cur.execute("SELECT pg_advisory_xact_lock(%s)", (lock,))
            yield cur
    except StapelkaartError:
        raise
    except psycopg.Error as exc:
        raise unusable(exc) from None
    finally:
        con.close()
