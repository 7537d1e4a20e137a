"""Health probe for containers: `python deploy/probe.py /healthz/live` exits 0 when the node answers 200.

Asks 127.0.0.1:8000 (PROBE_PORT) with the first of ALLOWED_HOSTS as the Host, so that Django accepts it.
"""

import os
import sys
import urllib.request

path = sys.argv[1] if len(sys.argv) > 1 else "/healthz/live"
host = os.environ.get("ALLOWED_HOSTS", "127.0.0.1").split(",")[0].strip().lstrip(".")
host = "127.0.0.1" if host in ("", "*") else host
request = urllib.request.Request(  # noqa: S310 - a fixed http:// URL on loopback
    f"http://127.0.0.1:{os.environ.get('PROBE_PORT', '8000')}{path}", headers={"Host": host}
)
try:
    with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310
        sys.exit(0 if response.status == 200 else 1)
except OSError as exc:
    print(f"probe {path}: {exc}", file=sys.stderr)
    sys.exit(1)
