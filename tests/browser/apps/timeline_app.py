"""The planners' app (viz/app.py) opened on early_reform.toml, whose timeline moves levers on day 3.

Run it by hand with: solara run tests/browser/apps/timeline_app.py
"""

import os
from pathlib import Path

from reformsim.viz.controls import SCENARIO_ENV

# before importing the app: compare mode reads the default scenario at import time
os.environ[SCENARIO_ENV] = str(Path(__file__).with_name("early_reform.toml"))

from reformsim.viz.app import Page  # noqa: E402

__all__ = ["Page"]
