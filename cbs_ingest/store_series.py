"""Social-domain series in the area store, with a period dimension.

Both store backends hold the series of :mod:`cbs_ingest.series` next to the KWB
areas, in the same database (the embedded store's SQLite catalogue, or PostgreSQL):

- ``series`` (PostgreSQL: ``stapelkaart_series``): one row per CBS table, level
  (``wijk`` or ``buurt``, as requested) and gemeente, with the theme, the
  provenance (CBS host, retrieval time), the periods held and the row count;
- ``series_rows``: the values, one row per area, indicator and period;
- ``series_complete``: the tables and levels a whole-country fetch is held for.

A put replaces its gemeenten of one table and level in one transaction, so a
reader sees a gemeente's series whole or not at all. Any subset (one gemeente, a
set, the whole country once fetched whole) is served without network.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from cbs_ingest.errors import StoreError
from cbs_ingest.series import SERIES_COLUMNS

__all__ = [
    "SeriesRecord",
    "StoredSeries",
    "SeriesTables",
    "LocalSeriesTables",
    "PostgresSeriesTables",
]


@dataclass(frozen=True)
class SeriesRecord:
    """What the store holds of one CBS series table for one gemeente.

    Attributes
    ----------
    table_id, theme, level
        The CBS table, its theme and the level fetched (``wijk`` or ``buurt``; the
        gemeente's own row is always included).
    code
        The gemeente (``GM0363``).
    cbs_url, retrieved_at
        Provenance: the CBS host and the download time (UTC).
    periods
        The periods held, sorted (``2016H1``, ``2016``, ``2019Q2`` …).
    rows
        The number of value rows (0: the table has no rows for this gemeente).
    """

    table_id: str
    theme: str
    level: str
    code: str
    cbs_url: str
    retrieved_at: datetime
    periods: tuple[str, ...]
    rows: int

    @property
    def age(self) -> timedelta:
        """Time since the download."""
        return datetime.now(UTC) - self.retrieved_at


@dataclass
class StoredSeries:
    """A subset of one table's series as read from the store.

    Attributes
    ----------
    rows
        The long frame (the columns of ``cbs_ingest.series.SERIES_COLUMNS``).
    records
        One :class:`SeriesRecord` per gemeente served.
    """

    rows: pd.DataFrame
    records: dict[str, SeriesRecord]


def _absent(table_id: str, level: str, what: str) -> StoreError:
    return StoreError(
        f"The area store does not hold the {level} series of CBS table {table_id} for {what}; "
        f"fetch it first (stapelkaart trends ...).",
        nl=f"De gebiedsopslag bevat de reeks {table_id} ({level}) niet voor {what}; "
        f"haal die eerst op.",
    )


def _float(value: Any) -> float:
    return float("nan") if value is None else float(value)


def _none(value: Any) -> Any:
    """NaN and pandas' missing markers as SQL NULL."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


class SeriesTables:
    """The series methods of a store backend (mixed into both stores).

    A backend provides ``_connect(write=...)`` (a context manager yielding an object
    with ``execute(sql, params)`` inside one transaction, or ``None`` when an
    embedded store does not exist yet) and sets :attr:`_prefix` and :attr:`_mark`.
    """

    _prefix = ""  # table name prefix
    _mark = "?"  # parameter placeholder
    _real = "REAL"  # floating-point column type

    def _connect(self, *, write: bool) -> Any:  # pragma: no cover - provided by the backend
        raise NotImplementedError

    def _t(self, name: str) -> str:
        return f"{self._prefix}{name}"

    def _series_schema(self) -> builtins.list[str]:
        t, real = self._t, self._real
        return [
            f"CREATE TABLE IF NOT EXISTS {t('series')} (table_id TEXT NOT NULL, "
            "level TEXT NOT NULL, code TEXT NOT NULL, theme TEXT NOT NULL, cbs_url TEXT NOT NULL, "
            "retrieved_at TEXT NOT NULL, periods TEXT NOT NULL, nrows INTEGER NOT NULL, "
            "PRIMARY KEY (table_id, level, code))",
            f"CREATE TABLE IF NOT EXISTS {t('series_rows')} (table_id TEXT NOT NULL, "
            "grain TEXT NOT NULL, gemeentecode TEXT NOT NULL, code TEXT NOT NULL, name TEXT, "
            "level TEXT NOT NULL, theme TEXT NOT NULL, indicator TEXT NOT NULL, "
            "period TEXT NOT NULL, year INTEGER NOT NULL, period_kind TEXT NOT NULL, "
            f"value {real}, boundary_change {real})",
            f"CREATE INDEX IF NOT EXISTS {t('series_rows_key')} "
            f"ON {t('series_rows')} (table_id, grain, gemeentecode)",
            f"CREATE TABLE IF NOT EXISTS {t('series_complete')} (table_id TEXT NOT NULL, "
            "level TEXT NOT NULL, PRIMARY KEY (table_id, level))",
        ]

    def _has_series(self, con: Any) -> bool:
        """Whether the series tables exist (a store written before them has none)."""
        raise NotImplementedError  # pragma: no cover - provided by the backend

    def _insert_rows(self, con: Any, rows: builtins.list[tuple]) -> None:
        marks = ", ".join([self._mark] * 13)
        con.executemany(
            f"INSERT INTO {self._t('series_rows')} (table_id, grain, gemeentecode, code, name, "
            "level, theme, indicator, period, year, period_kind, value, boundary_change) "
            f"VALUES ({marks})",
            rows,
        )

    # --- writing -------------------------------------------------------------------

    def put_series(
        self,
        rows: pd.DataFrame,
        *,
        table_id: str,
        theme: str,
        level: str,
        gemeenten: Sequence[str],
        provenance: Mapping[str, Any],
        whole_country: bool = False,
    ) -> None:
        """Store one table's series of ``gemeenten``, replacing them atomically.

        Parameters
        ----------
        rows
            The long frame of this table (rows of other gemeenten are refused).
        table_id, theme, level
            The CBS table, its theme and the level fetched (``wijk`` or ``buurt``).
        gemeenten
            Every gemeente fetched, also those without rows (stored as empty).
        provenance
            ``cbs_url`` and ``retrieved_at`` (ISO 8601, UTC).
        whole_country
            The put holds the whole table: gemeenten it lacks are removed and the
            table and level are served whole from then on.

        Raises
        ------
        StoreError
            The store is not writable or damaged; nothing changed.
        ValueError
            ``rows`` has rows of another table or of a gemeente not in ``gemeenten``.
        """
        codes = sorted(set(gemeenten) | set(rows["gemeentecode"]) if whole_country else gemeenten)
        stray = set(rows["gemeentecode"]) - set(codes)
        if stray or (len(rows) and set(rows["table_id"]) != {table_id}):
            raise ValueError(f"rows of other gemeenten or tables: {sorted(stray)[:3]}")
        retrieved = str(provenance["retrieved_at"])
        cbs_url = str(provenance.get("cbs_url", ""))
        frame = rows[list(SERIES_COLUMNS)]
        values = [
            (table_id, level, gm, code, _none(name), lvl, th, ind, period, int(year), kind)
            + (_none(float(value)), _none(float(change)))
            for code, name, lvl, gm, th, ind, period, year, kind, value, change, _ in (
                frame.itertuples(index=False, name=None)
            )
        ]
        by_gemeente: dict[str, tuple[int, set[str]]] = {code: (0, set()) for code in codes}
        for gm, group in frame.groupby("gemeentecode", sort=False):
            by_gemeente[str(gm)] = (len(group), set(group["period"]))
        t, m = self._t, self._mark
        with self._connect(write=True) as con:
            for statement in self._series_schema():
                con.execute(statement)
            if whole_country:
                con.execute(
                    f"DELETE FROM {t('series_rows')} WHERE table_id = {m} AND grain = {m}",
                    (table_id, level),
                )
                con.execute(
                    f"DELETE FROM {t('series')} WHERE table_id = {m} AND level = {m}",
                    (table_id, level),
                )
            else:
                con.executemany(
                    f"DELETE FROM {t('series_rows')} WHERE table_id = {m} AND grain = {m} "
                    f"AND gemeentecode = {m}",
                    [(table_id, level, code) for code in codes],
                )
                con.executemany(
                    f"DELETE FROM {t('series')} WHERE table_id = {m} AND level = {m} "
                    f"AND code = {m}",
                    [(table_id, level, code) for code in codes],
                )
            if values:
                self._insert_rows(con, values)
            con.executemany(
                f"INSERT INTO {t('series')} (table_id, level, code, theme, cbs_url, retrieved_at, "
                f"periods, nrows) VALUES ({', '.join([m] * 8)})",
                [
                    (table_id, level, code, theme, cbs_url, retrieved, ",".join(sorted(p)), n)
                    for code, (n, p) in by_gemeente.items()
                ],
            )
            if whole_country:
                con.execute(
                    f"DELETE FROM {t('series_complete')} WHERE table_id = {m} AND level = {m}",
                    (table_id, level),
                )
                con.execute(
                    f"INSERT INTO {t('series_complete')} (table_id, level) VALUES ({m}, {m})",
                    (table_id, level),
                )

    def remove_series(
        self, table_ids: Sequence[str] | None = None, gemeenten: Sequence[str] | None = None
    ) -> builtins.list[SeriesRecord]:
        """Remove stored series of some tables and/or gemeenten in one transaction.

        ``None`` means every table (or every gemeente); at least one must be given. A
        table and level held for the whole country stop being served whole once any of
        its gemeenten is removed. Returns the records removed (empty: nothing matched).

        Raises
        ------
        StoreError
            The store is not writable or damaged; nothing changed.
        ValueError
            Neither tables nor gemeenten given.
        """
        if table_ids is None and gemeenten is None:
            raise ValueError("give table ids, gemeenten or both")
        t, m = self._t, self._mark
        with self._connect(write=False) as con:  # never create a store to remove nothing
            if con is None or not self._has_series(con):
                return []
        with self._connect(write=True) as con:
            found = [
                r
                for r in self._select_records(con, None, None, gemeenten)
                if table_ids is None or r.table_id in table_ids
            ]
            if not found:
                return []
            keys = sorted({(r.table_id, r.level, r.code) for r in found})
            con.executemany(
                f"DELETE FROM {t('series_rows')} WHERE table_id = {m} AND grain = {m} "
                f"AND gemeentecode = {m}",
                keys,
            )
            con.executemany(
                f"DELETE FROM {t('series')} WHERE table_id = {m} AND level = {m} AND code = {m}",
                keys,
            )
            con.executemany(
                f"DELETE FROM {t('series_complete')} WHERE table_id = {m} AND level = {m}",
                sorted({(r.table_id, r.level) for r in found}),
            )
        return found

    # --- reading -------------------------------------------------------------------

    @staticmethod
    def _series_record(row: Sequence[Any]) -> SeriesRecord:
        table_id, level, code, theme, cbs_url, retrieved, periods, n = row
        return SeriesRecord(
            table_id=table_id,
            theme=theme,
            level=level,
            code=code,
            cbs_url=cbs_url,
            retrieved_at=datetime.fromisoformat(retrieved),
            periods=tuple(p for p in periods.split(",") if p),
            rows=int(n),
        )

    def _select_records(
        self, con: Any, table_id: str | None, level: str | None, gemeenten: Iterable[str] | None
    ) -> builtins.list[SeriesRecord]:
        if con is None or not self._has_series(con):
            return []
        m = self._mark
        where, params = [], []
        for column, value in (("table_id", table_id), ("level", level)):
            if value is not None:
                where.append(f"{column} = {m}")
                params.append(value)
        query = (
            "SELECT table_id, level, code, theme, cbs_url, retrieved_at, periods, nrows "
            f"FROM {self._t('series')}" + (" WHERE " + " AND ".join(where) if where else "")
        )
        found = [self._series_record(r) for r in con.execute(query, params).fetchall()]
        if gemeenten is not None:
            wanted = set(gemeenten)
            found = [r for r in found if r.code in wanted]
        return sorted(found, key=lambda r: (r.theme, r.table_id, r.level, r.code))

    def series_records(
        self,
        table_id: str | None = None,
        level: str | None = None,
        gemeenten: Sequence[str] | None = None,
    ) -> builtins.list[SeriesRecord]:
        """The stored series records (no value is read), by theme, table, level and gemeente."""
        with self._connect(write=False) as con:
            return self._select_records(con, table_id, level, gemeenten)

    def series_complete(self) -> set[tuple[str, str]]:
        """``(table_id, level)`` pairs held for the whole country."""
        with self._connect(write=False) as con:
            if con is None or not self._has_series(con):
                return set()
            rows = con.execute(f"SELECT table_id, level FROM {self._t('series_complete')}")
            return {(str(a), str(b)) for a, b in rows.fetchall()}

    def get_series(
        self, table_id: str, level: str, gemeenten: Sequence[str] | None
    ) -> StoredSeries:
        """Read one table's series of gemeenten (``None``: the whole country).

        Raises
        ------
        StoreError
            A gemeente is not stored, or (``None``) the table was never stored whole.
        """
        t, m = self._t, self._mark
        with self._connect(write=False) as con:  # one snapshot for records and values
            if con is None or not self._has_series(con):
                raise _absent(table_id, level, ", ".join(gemeenten or ["the whole country"]))
            records = self._select_records(con, table_id, level, gemeenten)
            if gemeenten is None:
                complete = con.execute(
                    f"SELECT 1 FROM {t('series_complete')} WHERE table_id = {m} AND level = {m}",
                    (table_id, level),
                ).fetchall()
                if not complete:
                    raise _absent(table_id, level, "the whole country")
            else:
                absent = sorted(set(gemeenten) - {r.code for r in records})
                if absent:
                    raise _absent(table_id, level, ", ".join(absent))
            query = (
                "SELECT code, name, level, gemeentecode, theme, indicator, period, year, "
                f"period_kind, value, boundary_change, table_id FROM {t('series_rows')} "
                f"WHERE table_id = {m} AND grain = {m}"
            )
            params: builtins.list[Any] = [table_id, level]
            if gemeenten is not None:
                query += f" AND gemeentecode IN ({', '.join([m] * len(gemeenten))})"
                params.extend(gemeenten)
            fetched = con.execute(query + " ORDER BY code, indicator, period", params).fetchall()
        frame = pd.DataFrame.from_records(fetched, columns=list(SERIES_COLUMNS))
        frame["year"] = frame["year"].astype(int)
        for column in ("value", "boundary_change"):
            frame[column] = [_float(v) for v in frame[column]]
            frame[column] = frame[column].astype(float)
        return StoredSeries(frame, {r.code: r for r in records})


class LocalSeriesTables(SeriesTables):
    """The series tables in the embedded store's SQLite catalogue."""

    def _has_series(self, con: Any) -> bool:
        found = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='series'")
        return found.fetchone() is not None


class PostgresSeriesTables(SeriesTables):
    """The series tables in PostgreSQL (``stapelkaart_`` prefix, values by COPY)."""

    _prefix = "stapelkaart_"
    _mark = "%s"
    _real = "double precision"

    def _has_series(self, con: Any) -> bool:
        con.execute("SELECT to_regclass('stapelkaart_series') IS NOT NULL")
        return bool(con.fetchone()[0])

    def _insert_rows(self, con: Any, rows: builtins.list[tuple]) -> None:
        with con.copy(
            "COPY stapelkaart_series_rows (table_id, grain, gemeentecode, code, name, level, "
            "theme, indicator, period, year, period_kind, value, boundary_change) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
