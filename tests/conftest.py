"""Settings for the whole suite.

Hypothesis fails an example that runs longer than its deadline (200 ms by default). On a
loaded machine (CI, or several suites on two cores) a plain example can take that long, so a
deadline measures the machine, not the code: the suite runs without one. Speed is measured in
`bench/`, never asserted here.

In CI (`CI` set, as `.ci/run` sets it) the examples are derandomized: a clean clone's run then
tries the same examples every time, so a merge is never turned back by a rare example found
that day; runs elsewhere keep exploring new examples.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("amberline", deadline=None)
settings.register_profile("amberline-ci", deadline=None, derandomize=True, database=None)
settings.load_profile("amberline-ci" if os.environ.get("CI") else "amberline")
