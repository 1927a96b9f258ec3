"""Time control for embedded test servers: advance/freeze/unfreeze the TTL clock and let the server catch up.

The clock itself is pyredcache/clock.py. Here the server follows a jump: ctx.now_ms is refreshed, blocked clients'
timeouts are shortened by the same amount, and an expire pass removes what the jump made stale. Only the TTL clock
moves; cron, client timeouts, CLIENT PAUSE and cluster timers keep running on time.monotonic().
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from .instance import Server

DISABLED: Final = "time control is disabled (set pyredcache-time-control yes)"
OPS: Final = ("advance", "freeze", "unfreeze", "get")


def apply(server: Server, op: str, seconds: float = 0.0) -> int:
    """Run one time-control operation on the server's loop thread; returns the TTL clock (unix ms) after it.

    Raises RuntimeError when the server runs without `pyredcache-time-control yes`, ValueError on a negative or
    non-finite advance.
    """
    clock = server.clock
    if not clock.controllable:
        raise RuntimeError(DISABLED)
    if op == "advance":
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("time can only move forward by a finite number of seconds")
        clock.advance(seconds)
        server.ctx.now_ms = clock.now_ms()
        _shorten_block_timeouts(server, seconds)
        expire_pass(server)
    elif op == "freeze":
        clock.freeze()
    elif op == "unfreeze":
        clock.unfreeze()
    elif op != "get":
        raise ValueError(f"unknown time-control operation {op!r}")
    server.ctx.now_ms = clock.now_ms()
    return clock.now_ms()


def expire_pass(server: Server) -> int:
    """Expire every key whose TTL has passed, in every db, now (a full SCAN pass expires stale keys).

    Skipped where active expiry would be: on a replica, during CLIENT PAUSE, or after DEBUG SET-ACTIVE-EXPIRE 0.
    """
    if not server.ctx.active_expire_enabled or server.repl.link is not None or server.pause_end is not None:
        return 0
    expired = 0
    for db in server.dbs:
        if not db.expires_count():
            continue
        before = len(db)
        cursor = 0
        while True:
            cursor, _ = db.scan(cursor, 1000)
            if cursor == 0:
                break
        expired += before - len(db)
    return expired


def _shorten_block_timeouts(server: Server, seconds: float) -> None:
    from .blocking import BlockingRegistry

    reg = getattr(server, "blocking", None)
    if isinstance(reg, BlockingRegistry):
        reg.advance_timeouts(seconds)
