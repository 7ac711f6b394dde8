"""Settings for the whole suite.

Hypothesis fails an example that runs longer than its deadline (200 ms by default). On a
loaded machine (CI, or several suites on two cores) a plain example can take that long, so a
deadline measures the machine, not the code: the suite runs without one. Speed is measured in
`bench/`, never asserted here.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("amberline", deadline=None)
settings.load_profile("amberline")
