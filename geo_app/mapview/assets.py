"""Local copies of the JavaScript and CSS the map needs.

Municipal networks often block public CDNs, and test machines have no internet
at all. The map therefore never loads Leaflet from a CDN: :func:`ensure_assets`
copies the Leaflet dist files from the installed ``XStatic-Leaflet`` package
into ``geo_app/static/vendor/leaflet/`` (git-ignored) when the app starts, and
Streamlit's static file serving (``enableStaticServing``) serves them at
``/app/static/vendor/leaflet/``. Nothing minified is kept in the repository.

The copy is idempotent (a marker file records the version and file sizes) and
atomic (files are written to a temporary sibling folder that is renamed into
place), so two app processes starting at once never see half a copy.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import stat
import tempfile
import time
from functools import lru_cache
from pathlib import Path

from cbs_ingest.errors import CacheError
from geo_app.mapview.folium_frame import from_frame

__all__ = [
    "LEAFLET_VERSION",
    "LEAFLET_LICENSE",
    "STATIC_DIR",
    "DEFAULT_ASSET_BASE",
    "ensure_assets",
    "ensure_assets_once",
    "leaflet_source_dir",
    "asset_links",
]

_LOG = logging.getLogger(__name__)

#: The pinned Leaflet version (the project depends on ``XStatic-Leaflet==1.9.3.0``).
LEAFLET_VERSION = "1.9.3"
#: Leaflet's licence (SPDX identifier).
LEAFLET_LICENSE = "BSD-2-Clause"

#: Streamlit serves this folder (next to ``geo_app/app.py``) at ``/app/static/``.
STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

#: URL of the Leaflet folder as seen from streamlit-folium's map frame (Streamlit
#: serves ``STATIC_DIR`` at ``<base>/app/static/``).
DEFAULT_ASSET_BASE = from_frame("app/static/vendor/leaflet")

_FILES = ("leaflet.js", "leaflet.css")
_IMAGE_DIR = "images"
_MARKER = ".stapelkaart-assets.json"


def leaflet_source_dir() -> Path:
    """Return the folder of Leaflet's dist files inside the installed XStatic package.

    Raises
    ------
    CacheError
        When ``XStatic-Leaflet`` is not installed or is not the pinned version.
    """
    try:
        import xstatic.pkg.leaflet as xleaflet
    except ImportError as exc:  # pragma: no cover - a broken install
        raise CacheError(
            "XStatic-Leaflet is not installed; reinstall Stapelkaart.",
            nl="Het kaartonderdeel Leaflet ontbreekt; installeer Stapelkaart opnieuw.",
        ) from exc
    if xleaflet.VERSION != LEAFLET_VERSION:
        raise CacheError(
            f"XStatic-Leaflet {xleaflet.VERSION} found, {LEAFLET_VERSION} expected.",
            nl=f"Verkeerde versie van Leaflet ({xleaflet.VERSION}); verwacht {LEAFLET_VERSION}.",
        )
    return Path(xleaflet.BASE_DIR)


def _wanted(source: Path) -> dict[str, int]:
    """Relative path → size of every file to copy."""
    files = {name: (source / name).stat().st_size for name in _FILES}
    for image in sorted((source / _IMAGE_DIR).glob("*.png")):
        files[f"{_IMAGE_DIR}/{image.name}"] = image.stat().st_size
    return files


def _is_complete(target: Path, wanted: dict[str, int]) -> bool:
    try:
        marker = json.loads((target / _MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if marker.get("version") != LEAFLET_VERSION or marker.get("files") != wanted:
        return False
    return all(
        (target / name).is_file() and (target / name).stat().st_size == size
        for name, size in wanted.items()
    )


def ensure_assets(static_dir: str | os.PathLike[str] | None = None) -> Path:
    """Copy Leaflet's dist files into ``<static_dir>/vendor/leaflet/`` if needed.

    Parameters
    ----------
    static_dir
        The ``static/`` folder next to the Streamlit script that is run.
        Defaults to :data:`STATIC_DIR` (next to ``geo_app/app.py``).

    Returns
    -------
    Path
        The folder holding ``leaflet.js``, ``leaflet.css`` and ``images/``.

    Raises
    ------
    CacheError
        When the files cannot be copied (read-only install, full disk).
    """
    static = Path(static_dir) if static_dir is not None else STATIC_DIR
    target = static / "vendor" / "leaflet"
    source = leaflet_source_dir()
    wanted = _wanted(source)
    if _is_complete(target, wanted):
        if stat.S_IMODE(target.stat().st_mode) != 0o755:  # a copy made before the fix
            with contextlib.suppress(OSError):
                _make_readable(target)
        return target
    vendor = target.parent
    try:
        vendor.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".leaflet-", dir=vendor))
    except OSError as exc:
        raise _copy_error(target, exc) from exc
    try:
        for name in wanted:
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source / name, staging / name)
        marker = {"version": LEAFLET_VERSION, "license": LEAFLET_LICENSE, "files": wanted}
        (staging / _MARKER).write_text(json.dumps(marker, indent=1), encoding="utf-8")
        _make_readable(staging)
        if _is_complete(target, wanted):  # another process finished meanwhile: keep its copy
            return target
        _swap_in(staging, target)
    except OSError as exc:
        # Another process may have won the race and be between its two renames.
        for _ in range(20):
            if _is_complete(target, wanted):
                return target
            time.sleep(0.05)
        raise _copy_error(target, exc) from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    _LOG.info("Leaflet %s copied to %s", LEAFLET_VERSION, target)
    return target


def _make_readable(folder: Path) -> None:
    """Make the copy 755 (folders) and 644 (files), whatever the umask.

    ``mkdtemp`` makes the staging folder 700; a web server running as another user
    must still read the copy (public code, nothing secret).
    """
    folder.chmod(0o755)
    for path in folder.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)


def _swap_in(staging: Path, target: Path) -> None:
    """Rename ``staging`` to ``target``, moving an outdated ``target`` aside first."""
    if target.exists():
        trash = Path(tempfile.mkdtemp(prefix=".leaflet-old-", dir=target.parent))
        os.replace(target, trash / "leaflet")
        try:
            os.replace(staging, target)
        finally:
            shutil.rmtree(trash, ignore_errors=True)
    else:
        os.replace(staging, target)


def _copy_error(target: Path, exc: OSError) -> CacheError:
    return CacheError(
        f"Could not copy Leaflet to {target}: {exc}",
        nl=(
            "De kaartbestanden (Leaflet) konden niet worden klaargezet; "
            "controleer de schrijfrechten."
        ),
    )


@lru_cache(maxsize=8)
def ensure_assets_once(static_dir: str | None = None) -> Path:
    """:func:`ensure_assets`, done at most once per process and folder."""
    return ensure_assets(static_dir)


def asset_links(
    base: str = DEFAULT_ASSET_BASE,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Return folium ``default_js`` and ``default_css`` lists for the local Leaflet.

    Parameters
    ----------
    base
        URL of the folder holding ``leaflet.js`` as the browser sees it.

    Returns
    -------
    tuple
        ``(default_js, default_css)``: only Leaflet itself, no jQuery, Bootstrap
        or icon fonts.
    """
    base = base.rstrip("/")
    return [("leaflet", f"{base}/leaflet.js")], [("leaflet_css", f"{base}/leaflet.css")]
