"""Server-side query time from Spruce's own ``/metrics`` histogram, to split a client-side latency into
"the engine and HTTP server" and "the SDK, JSON and the socket" without instrumenting either side."""

from __future__ import annotations

import re
import urllib.request

_LINE = re.compile(r'^spruce_request_duration_seconds_(sum|count)\{operation="query"\}\s+(\S+)$', re.M)


def query_totals(base_url: str) -> tuple[float, float]:
    """(seconds, count) of every query the server has answered so far."""
    with urllib.request.urlopen(base_url + "/metrics", timeout=10) as resp:
        text = resp.read().decode()
    found = {kind: float(value) for kind, value in _LINE.findall(text)}
    return found.get("sum", 0.0), found.get("count", 0.0)
