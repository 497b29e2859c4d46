"""Container health check: GET /health/live on the local gunicorn, exit 0 when it answers 200.

Runs with the standard library only (the slim image has no curl). The request
carries a Host header taken from ALLOWED_HOSTS, because Django answers 400 to a
host it does not serve and the probe must pass whatever the deployment allows.
"""

import os
import sys
import urllib.request

PORT = os.environ.get("HEALTHCHECK_PORT", "8000")


def probe_host() -> str:
    for host in os.environ.get("ALLOWED_HOSTS", "localhost").split(","):
        host = host.strip().lstrip(".")  # ".example.com" allows example.com itself
        if host and host != "*":
            return host
    return "localhost"


def main() -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}/health/live", headers={"Host": probe_host()})
    try:
        with urllib.request.urlopen(request, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except Exception as exc:  # any failure means unhealthy; say why in `docker inspect`
        print(f"health check failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
