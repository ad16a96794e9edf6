from __future__ import annotations

import sys

from geo_app.cli import main

sys.exit(main())
