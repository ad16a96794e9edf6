from __future__ import annotations

from pathlib import Path

import pytest

#: The real CBS data shared beside the project root (never copied into the repository).
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "raw"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path of ``../shared/data/raw``; skips the test, saying why, when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real CBS data not found at ../shared/data/raw (looked in {SHARED_DATA.parent})")
    return SHARED_DATA


@pytest.fixture(scope="session")
def demo_frames():
    """The demo gemeente at its default seed, generated once per session."""
    from cbs_ingest.demo import make_demo

    return make_demo()
