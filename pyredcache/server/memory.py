"""used_memory as pyredcache accounts it, and the breakdown INFO memory / MEMORY STATS / MEMORY DOCTOR show.

What is counted (Redis counts every zmalloc'd byte; we count what the server holds for its users):
- the keyspace: every entry (key bytes inline), TTL entry, bucket array and value, kept incrementally by
  _speedups.keyspace in Context.keyspace_bytes (values size themselves in O(1): see datatypes);
- client query and output buffers, MULTI queues, and the scripts cache (summed over clients once per cron
  tick, as buffers change with every read and write of a socket; a queued command is added at once);
- the request being checked: the eviction check before a command counts its arguments, as Redis counts the
  query buffer holding them.
What is not: the interpreter itself (code, modules, the command table), which Redis has no equivalent of.
It shows in used_memory_rss, so mem_fragmentation_ratio (rss / used) reads high for a small dataset.
`used_memory_startup` is what the empty databases take.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from .._speedups.memsize import alloc_size, bytes_size
from .client import ClientFlag
from .output_limits import pending_output

if TYPE_CHECKING:
    from .instance import Server


def client_buffers(server: Server) -> tuple[int, int]:
    """(normal clients, replica links): query buffers plus pending output, in bytes."""
    normal = replicas = 0
    for c in server.clients.values():
        size = pending_output(c)
        parser = c.parser
        if parser is not None:
            size += parser.pending_bytes()
        size += c.multi_bytes
        if c.flags & ClientFlag.REPLICA:
            replicas += size
        else:
            normal += size
    return normal, replicas


def argv_bytes(argv: list[bytes]) -> int:
    """What one request's arguments take: the argument objects and the list holding them."""
    total = alloc_size(56 + 8 * len(argv))
    for arg in argv:
        total += bytes_size(len(arg))
    return total


def scripts_memory(server: Server) -> int:
    scripting = server.scripting
    return int(scripting.cache.memory) if scripting is not None else 0


def refresh(server: Server) -> None:
    """Re-measure the parts of used_memory that are not kept incrementally (cron, INFO, MEMORY)."""
    normal, replicas = client_buffers(server)
    server.memory_clients_normal = normal
    server.memory_clients_replicas = replicas
    server.memory_extra = normal + replicas + scripts_memory(server)
    track_peak(server)
    server.evictor.refresh_limit()


def used_memory(server: Server) -> int:
    """used_memory in O(1): the keyspace exactly, the rest as of the last refresh()."""
    return server.ctx.keyspace_bytes + server.memory_extra


def not_counted_for_evict(server: Server) -> int:
    """freeMemoryGetNotCountedMemory: replica output buffers (and later the backlog) do not cause evictions."""
    return server.memory_clients_replicas


def track_peak(server: Server) -> int:
    used = used_memory(server)
    if used > server.stats.peak_memory:
        server.stats.peak_memory = used
    return used


class MemoryReport:
    """One consistent reading of the memory figures (getMemoryOverheadData's fields)."""

    __slots__ = ("used", "rss", "peak", "startup", "clients_normal", "clients_replicas", "backlog",
                 "overhead", "dataset", "keys", "functions", "scripts", "dbs")

    def __init__(self, server: Server, rss: int) -> None:
        refresh(server)
        self.rss = rss
        self.used = used_memory(server)
        self.peak = track_peak(server)
        self.startup = server.used_memory_startup
        self.clients_normal = server.memory_clients_normal
        self.clients_replicas = server.memory_clients_replicas
        self.backlog = 0
        self.functions = 200    # Redis's empty functions engine reports 200 bytes
        self.scripts = scripts_memory(server)
        # Per db with keys: (id, main table overhead, TTL table overhead) without the values.
        self.dbs = [(db.id, *db.memory_overhead()) for db in server.dbs if len(db)]
        tables = 0
        for db in server.dbs:
            main, expires = db.memory_overhead()
            tables += main + expires
        self.overhead = (self.clients_normal + self.clients_replicas + self.backlog + self.scripts
                         + max(tables, self.startup))
        self.dataset = max(0, self.used - self.overhead)
        self.keys = sum(len(db) for db in server.dbs)

    @property
    def dataset_perc(self) -> float:
        net = self.used - self.startup
        return self.dataset * 100.0 / (net if net > 0 else 1)

    @property
    def peak_perc(self) -> float:
        return self.used * 100.0 / (self.peak or 1)

    @property
    def bytes_per_key(self) -> int:
        return (self.used - self.startup) // self.keys if self.keys else 0
