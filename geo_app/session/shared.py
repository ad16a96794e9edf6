"""The shared store of municipal datasets inside the app (Streamlit session glue).

Every rerun calls :func:`sync`: it reads the store's catalogue generation (one
small query) and, only when it changed, loads the current datasets of the
gemeente-year that the role may see and puts them where the pages read own data
(``st.session_state["upload"]``, see :mod:`geo_app.session.own_data`). So a
dataset confirmed or removed in another session or app process shows on the
next rerun of this one, without a restart.

Confirming stores a new dataset or a new version (:func:`save`), carrying the
version the person saw; removing (:func:`remove`) does the same. A clash is a
:class:`~cbs_ingest.errors.DatasetConflictError` with a Dutch message, and
nothing is written. Every change and download goes to the audit log with the
logged-in person's e-mail address (``lokaal`` in local mode) and role.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st

from cbs_ingest.datasets import DatasetVersion, open_store
from cbs_ingest.errors import DatasetError
from geo_app.access.roles import Role
from geo_app.session import own_data as _own_data
from geo_app.session.stored import entries_from_stored, previous_version, to_new_dataset
from layers.disclosure import PreviousVersion
from layers.upload import UploadResult

__all__ = [
    "POLL_ENV",
    "audited",
    "published",
    "remove",
    "save",
    "state",
    "sync",
    "watch",
    "who",
]

#: Seconds between background checks of the store for changes by others (0: only on reruns).
POLL_ENV = "STAPELKAART_DATASETS_POLL"

_LOG = logging.getLogger("stapelkaart.datasets")

_STATE = "datasets_shared"  # (year, gemeente) → {"token", "versions", "skipped", "error"}
LOCAL_USER = "lokaal"


def who() -> str:
    """The logged-in person's e-mail address, or ``lokaal`` without login."""
    try:
        user = st.user.to_dict() if hasattr(st.user, "to_dict") else dict(st.user)
    except Exception:  # no user information outside a login session
        return LOCAL_USER
    if user.get("is_logged_in") and user.get("email"):
        return str(user["email"])
    return LOCAL_USER


def state(year: int, code: str) -> dict[str, Any]:
    """What :func:`sync` last loaded for a gemeente-year (``versions``, ``skipped``, ``error``)."""
    return st.session_state.setdefault(_STATE, {}).get(
        (int(year), code), {"token": None, "versions": {}, "skipped": [], "error": None}
    )


def sync(year: int, code: str, frames: Mapping[str, Any], role: Role) -> dict[str, Any]:
    """Load the current allowed datasets of a gemeente-year when the store changed."""
    states = st.session_state.setdefault(_STATE, {})
    key = (int(year), code)
    allowed = None if role.datasets is None else tuple(sorted(role.datasets))
    store = open_store()
    try:
        token = (store.generation(), role.name, allowed)
        if states.get(key, {}).get("token") == token:
            return states[key]
        stored = store.latest(code, int(year), allowed=allowed)
    except DatasetError as exc:
        _own_data.remove(year, code)
        states[key] = {"token": None, "versions": {}, "skipped": [], "error": exc.nl}
        return states[key]
    built, skipped = entries_from_stored(frames, stored)
    _own_data.store(year, code, built)
    states[key] = {
        "token": token,
        "versions": {d.meta.name: d.meta for d in stored},
        "skipped": skipped,
        "error": None,
    }
    return states[key]


def _poll_seconds() -> float:
    try:
        return max(float(os.environ.get(POLL_ENV, "30")), 0.0)
    except ValueError:
        return 30.0


def _changed(year: int, code: str) -> None:
    """Rerun the page when the store changed since this session last loaded it."""
    token = state(year, code)["token"]
    try:
        changed = token is not None and open_store().generation() != token[0]
    except DatasetError:
        return  # shown by the next sync
    if changed:
        st.rerun()


def watch(year: int, code: str) -> None:
    """Check the store every ``$STAPELKAART_DATASETS_POLL`` seconds (default 30) in the background.

    A change by anyone (another session or app process) reruns this page, so a
    new or removed dataset shows within that time even when the person does not
    click anything. The check is one small query; between checks nothing runs.
    """
    seconds = _poll_seconds()
    if seconds > 0:
        if seconds not in _WATCHERS:
            _WATCHERS[seconds] = st.fragment(run_every=seconds)(_changed)
        _WATCHERS[seconds](year, code)


_WATCHERS: dict[float, Callable[..., None]] = {}


def _forget(year: int, code: str) -> None:
    st.session_state.setdefault(_STATE, {}).pop((int(year), code), None)


def published(year: int, code: str, name: str) -> PreviousVersion | None:
    """The current published version of ``name``, for protecting its replacement against it.

    Raises
    ------
    DatasetError
        The store is unreadable.
    """
    current = open_store().latest(code, int(year), allowed=[name])
    return previous_version(current[0]) if current else None


def save(
    year: int,
    code: str,
    built: Mapping[str, Mapping[str, Any]],
    result: UploadResult,
    *,
    name: str,
    file_name: str,
    data: bytes,
    role: Role,
    replaces: int | None,
) -> DatasetVersion:
    """Store a confirmed, protected upload (a new dataset, or a version replacing ``replaces``).

    Raises
    ------
    DatasetError
        The store is unreadable, or (``DatasetConflictError``) the dataset
        exists already or changed since ``replaces``; nothing is written.
    """
    new = to_new_dataset(
        built, result, gemeente=code, year=year, name=name, file_name=file_name, data=data
    )
    try:
        return open_store().add(new, replaces=replaces, who=who(), role=role.name)
    finally:
        _forget(year, code)  # the next sync reloads whatever is current now


def remove(year: int, code: str, name: str, *, role: Role, expected: int) -> DatasetVersion:
    """Remove a dataset for everyone (refused when it changed since version ``expected``)."""
    try:
        return open_store().remove(
            name, gemeente=code, year=int(year), who=who(), role=role.name, expected=expected
        )
    finally:
        _forget(year, code)


def audited(
    data: bytes,
    *,
    role: Role,
    year: int,
    code: str,
    what: str,
    action: str = "download",
) -> Callable[[], bytes]:
    """``data`` for ``st.download_button``, recorded in the audit log when it is downloaded.

    Streamlit calls the returned function when the person clicks the button, in
    another thread and without a rerun, so who and which role are taken now. When
    the log cannot be written the download still goes ahead, and the server log
    says so (a broken store is shown in the Eigen data tab).
    """
    user = who()

    def _data() -> bytes:
        try:
            open_store().audit(
                action, who=user, role=role.name, gemeente=code, year=int(year), detail=what
            )
        except DatasetError as exc:
            _LOG.warning("download of %s not recorded in the audit log: %s", what, exc.message)
        return data

    return _data
