"""Every limit the readers enforce, in one place.

Why explicit limits: ads are written by the people this system screens, and every unbounded
read (a 1,000-deep JSON nest, a 10,000-digit integer, a page of nested tags, /dev/zero behind
a symlink) is a way to stop or stall a scan. Each limit cuts one record, never the run, and the
record is quarantined with a code saying which limit cut it.
"""

from __future__ import annotations

MAX_RECORD_BYTES = 1_000_000  # one JSON line, CSV row, HTML page, WARC payload or Parquet row
MAX_JSON_DEPTH = 64  # nesting of arrays/objects in one JSON record
MAX_INT_DIGITS = 1_000  # digits of one JSON integer (Python refuses over 4,300 anyway)
MAX_HTML_NODES = 100_000  # elements in one HTML page (measured before parsing)
MAX_HTML_DEPTH = 512  # nesting of elements in one HTML page (parse time grows with its square)
MAX_CSV_FIELD_BYTES = 200_000  # one CSV field; a longer one is a quote left open
EARLIEST_YEAR = 1970  # posting dates before the Unix epoch are errors (year 1 breaks date filters)
LATEST_YEAR = 2100  # posting dates after this are errors or attacks
