"""Decodes an atpsim .hlog with HdrHistogram_py (PyPI: hdrhistogram), an
implementation independent of atpsim's, and prints per interval tag the
count, the p50/p90/p99/p99.9 and the max, in nanoseconds, as JSON."""

import json
import sys

from hdrh.histogram import HdrHistogram
from hdrh.log import HistogramLogReader

reader = HistogramLogReader(sys.argv[1], HdrHistogram(1, 3_600_000_000_000, 3))
out = {}
while True:
    h = reader.get_next_interval_histogram()
    if h is None:
        break
    tag = h.get_tag() or ""
    out[tag] = {
        "count": h.get_total_count(),
        "p50": h.get_value_at_percentile(50),
        "p90": h.get_value_at_percentile(90),
        "p99": h.get_value_at_percentile(99),
        "p999": h.get_value_at_percentile(99.9),
        "max": h.get_max_value(),
    }
print(json.dumps(out))
