"""`python -m pyredcache` runs the server, like `pyredcache-server`."""
from __future__ import annotations

from .cli import server_main

if __name__ == "__main__":
    raise SystemExit(server_main())
