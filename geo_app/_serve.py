"""Launcher of the Streamlit server used by ``stapelkaart app``.

``python -m geo_app._serve run geo_app/app.py [streamlit options]`` is the same
as ``python -m streamlit run ...``, except that with ``STAPELKAART_PRELOAD=1``
the app's modules start importing in the background (:mod:`geo_app._preload`).
"""

from __future__ import annotations

import sys

from geo_app import _preload


def main() -> int:
    """Start the preloading, then Streamlit's own command line."""
    _preload.start()
    from streamlit.web.cli import main as streamlit_main

    return streamlit_main(prog_name="streamlit")


if __name__ == "__main__":
    sys.exit(main())
