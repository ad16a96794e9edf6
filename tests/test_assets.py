from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path

import pytest

from cbs_ingest.errors import CacheError
from geo_app.mapview import assets


def _copied(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.name.startswith(".")
    }


def test_copies_leaflet_from_the_xstatic_package(tmp_path):
    target = assets.ensure_assets(tmp_path / "static")
    assert target == tmp_path / "static" / "vendor" / "leaflet"
    source = assets.leaflet_source_dir()
    files = _copied(target)
    assert {"leaflet.js", "leaflet.css", "images/layers.png"} <= set(files)
    assert files["leaflet.js"] == (source / "leaflet.js").read_bytes()
    assert files["leaflet.css"] == (source / "leaflet.css").read_bytes()
    assert b"1.9.3" in files["leaflet.js"][:400]
    marker = json.loads((target / ".stapelkaart-assets.json").read_text())
    assert marker["version"] == assets.LEAFLET_VERSION == "1.9.3"
    assert marker["license"] == "BSD-2-Clause"
    # Nothing half-written is left behind.
    assert [p.name for p in target.parent.iterdir()] == ["leaflet"]


def test_second_call_leaves_files_untouched(tmp_path):
    target = assets.ensure_assets(tmp_path)
    stamp = (target / "leaflet.js").stat().st_mtime_ns
    assert assets.ensure_assets(tmp_path) == target
    assert (target / "leaflet.js").stat().st_mtime_ns == stamp


def test_damaged_copy_is_replaced(tmp_path):
    target = assets.ensure_assets(tmp_path)
    original = (target / "leaflet.js").read_bytes()
    (target / "leaflet.js").write_bytes(original[:100])
    (target / "images" / "layers.png").unlink()
    assets.ensure_assets(tmp_path)
    assert (target / "leaflet.js").read_bytes() == original
    assert (target / "images" / "layers.png").is_file()
    assert [p.name for p in target.parent.iterdir()] == ["leaflet"]


def test_concurrent_starts_both_succeed(tmp_path):
    results: list[Path] = []
    errors: list[BaseException] = []

    def start():
        try:
            results.append(assets.ensure_assets(tmp_path))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(results) == 4
    target = results[0]
    assert (target / "leaflet.js").read_bytes() == (
        assets.leaflet_source_dir() / "leaflet.js"
    ).read_bytes()
    assert [p.name for p in target.parent.iterdir()] == ["leaflet"]


def test_unwritable_place_raises_dutch_error(tmp_path):
    blocker = tmp_path / "static"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(CacheError) as info:
        assets.ensure_assets(blocker)
    assert "Leaflet" in info.value.nl


def test_links_are_local_leaflet_only():
    js, css = assets.asset_links("/app/static/vendor/leaflet/")
    assert js == [("leaflet", "/app/static/vendor/leaflet/leaflet.js")]
    assert css == [("leaflet_css", "/app/static/vendor/leaflet/leaflet.css")]


def test_vendor_folder_is_git_ignored():
    ignore = (Path(__file__).resolve().parents[1] / ".gitignore").read_text().split()
    assert "geo_app/static/vendor/" in ignore


def test_static_folder_is_the_one_streamlit_serves_beside_app_py():
    """Streamlit serves ``static/`` next to the script it runs (``geo_app/app.py``)."""
    from geo_app.cli import app as cmd_app

    assert cmd_app._APP.resolve().parent / "static" == assets.STATIC_DIR
    assert (assets.STATIC_DIR / ".gitkeep").is_file()


def test_the_copy_is_readable_by_others(tmp_path):
    """``mkdtemp`` makes a 700 folder; the copy must be 755 (folders) and 644 (files)."""
    old = os.umask(0o077)  # even under a strict umask
    try:
        target = assets.ensure_assets(tmp_path / "static")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    for path in target.rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o755 if path.is_dir() else 0o644), path


def test_a_copy_left_at_700_by_an_older_version_is_opened_up(tmp_path):
    target = assets.ensure_assets(tmp_path / "static")
    target.chmod(0o700)
    assert assets.ensure_assets(tmp_path / "static") == target
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
