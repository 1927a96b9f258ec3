"""One cluster node as this server knows it (Redis's clusterNode): identity, flags, epochs, slots, timers.

Plain data plus small methods; decisions live in gossip.py / failover.py, sockets in bus.py.

Times are wall-clock milliseconds (`mstime()`), not the TTL clock and not monotonic: Redis puts them on the
wire (gossip ping_sent/pong_received, in seconds) and in CLUSTER NODES, and compares a peer's gossiped pong
time with its own clock, so they must be the same kind of clock on every node of a mixed cluster.
"""
from __future__ import annotations

import os
import time
from typing import Any

SLOTS = 16384
BITMAP_BYTES = SLOTS // 8
NULL_NAME = "0" * 40   # never a real name; REDIS_NODE_NULL_NAME travels as 40 NUL bytes instead


class NodeFlag:
    """CLUSTER_NODE_* bits, the same on the wire (clusterMsg.flags, gossip flags)."""

    MASTER = 1
    SLAVE = 2
    PFAIL = 4
    FAIL = 8
    MYSELF = 16
    HANDSHAKE = 32
    NOADDR = 64
    MEET = 128
    MIGRATE_TO = 256
    NOFAILOVER = 512


# CLUSTER NODES flag words, in the order Redis prints them (representClusterNodeFlags).
FLAG_WORDS: tuple[tuple[int, str], ...] = (
    (NodeFlag.MYSELF, "myself"), (NodeFlag.MASTER, "master"), (NodeFlag.SLAVE, "slave"),
    (NodeFlag.PFAIL, "fail?"), (NodeFlag.FAIL, "fail"), (NodeFlag.HANDSHAKE, "handshake"),
    (NodeFlag.NOADDR, "noaddr"), (NodeFlag.NOFAILOVER, "nofailover"),
)


def bit_runs(bits: int) -> list[tuple[int, int]]:
    """The maximal runs (first, last) of set bits of `bits`, bit 0 first. A slot bitmap is such an int read
    little-endian (slot s is bit s & 7 of byte s >> 3): its binary digits reversed are the slots in order,
    and str.find walks the runs in C instead of 16384 steps in Python."""
    if not bits:
        return []
    text = f"{bits:b}"[::-1]     # ends at the highest set bit
    out = []
    start = text.find("1")
    while start >= 0:
        end = text.find("0", start)
        if end < 0:
            out.append((start, len(text) - 1))
            break
        out.append((start, end - 1))
        start = text.find("1", end)
    return out


def bit_list(bits: int) -> list[int]:
    """The set bits of `bits`, ascending."""
    if bits.bit_count() <= 8:
        out = []
        while bits:
            low = bits & -bits
            out.append(low.bit_length() - 1)
            bits ^= low
        return out
    slots: list[int] = []
    for first, last in bit_runs(bits):
        slots.extend(range(first, last + 1))
    return slots


def mstime() -> int:
    """Wall-clock milliseconds (Redis's mstime())."""
    return int(time.time() * 1000)


def random_name() -> str:
    """A fresh 40-hex-character node name (getRandomHexChars)."""
    return os.urandom(20).hex()


class Node:
    """clusterNode. `slots` is the node's own bitmap (what it claims, as in its PING header); the cluster's
    authoritative slot → owner map is ClusterState.slots."""

    __slots__ = (
        "name", "flags", "ctime", "config_epoch", "slots", "numslots", "replicas", "primary",
        "last_in_ping_gossip", "ping_sent", "pong_received", "data_received", "fail_time", "voted_time",
        "repl_offset_time", "orphaned_time", "repl_offset", "ip", "hostname", "port", "pport", "cport",
        "link", "inbound_link", "fail_reports", "ranges_cache",
    )

    def __init__(self, name: str | None = None, flags: int = 0) -> None:
        self.name = name or random_name()
        self.flags = flags
        self.ctime = mstime()
        self.config_epoch = 0
        self.slots = bytearray(BITMAP_BYTES)
        self.numslots = 0
        self.replicas: list[Node] = []
        self.primary: Node | None = None
        self.last_in_ping_gossip = 0
        self.ping_sent = 0          # ms; 0 = no PING waiting for its PONG
        self.pong_received = 0      # ms
        self.data_received = 0      # ms
        self.fail_time = 0          # ms
        self.voted_time = 0         # ms: when we last voted for a replica of this primary
        self.repl_offset_time = 0   # ms
        self.orphaned_time = 0      # ms
        self.repl_offset = 0
        self.ip = ""
        self.hostname = ""
        self.port = 0
        self.pport = 0
        self.cport = 0
        self.link: Any = None           # bus.Link we opened to it (outbound)
        self.inbound_link: Any = None   # bus.Link it opened to us
        self.fail_reports: dict[str, int] = {}   # reporter name → ms of its latest report
        # describe.py: (bitmap it was computed from, slot runs, their CLUSTER NODES text).
        self.ranges_cache: tuple[bytes, list[tuple[int, int]], str] | None = None

    # ------------------------------------------------------------------ flags

    @property
    def is_primary(self) -> bool:
        return bool(self.flags & NodeFlag.MASTER)

    @property
    def is_replica(self) -> bool:
        return bool(self.flags & NodeFlag.SLAVE)

    @property
    def is_myself(self) -> bool:
        return bool(self.flags & NodeFlag.MYSELF)

    @property
    def timed_out(self) -> bool:
        """PFAIL: we think it is down."""
        return bool(self.flags & NodeFlag.PFAIL)

    @property
    def failed(self) -> bool:
        """FAIL: the cluster agreed it is down."""
        return bool(self.flags & NodeFlag.FAIL)

    @property
    def in_handshake(self) -> bool:
        return bool(self.flags & NodeFlag.HANDSHAKE)

    @property
    def has_addr(self) -> bool:
        return not self.flags & NodeFlag.NOADDR

    def flags_text(self) -> str:
        """The CLUSTER NODES flags column ("noflags" when none)."""
        words = [word for bit, word in FLAG_WORDS if self.flags & bit]
        return ",".join(words) if words else "noflags"

    # ------------------------------------------------------------------ slots (this node's own bitmap)

    def has_slot(self, slot: int) -> bool:
        return bool(self.slots[slot >> 3] & (1 << (slot & 7)))

    def set_slot_bit(self, slot: int) -> bool:
        """Set the bit; False when it was already set. Callers go through ClusterState.assign_slot."""
        mask = 1 << (slot & 7)
        if self.slots[slot >> 3] & mask:
            return False
        self.slots[slot >> 3] |= mask
        self.numslots += 1
        return True

    def clear_slot_bit(self, slot: int) -> bool:
        mask = 1 << (slot & 7)
        if not self.slots[slot >> 3] & mask:
            return False
        self.slots[slot >> 3] &= ~mask & 0xFF
        self.numslots -= 1
        return True

    def slot_list(self) -> list[int]:
        """The slots whose bit is set, ascending."""
        return bit_list(int.from_bytes(self.slots, "little")) if self.numslots else []

    # ------------------------------------------------------------------ replicas

    def add_replica(self, replica: Node) -> bool:
        if replica in self.replicas:
            return False
        self.replicas.append(replica)
        # clusterNodeAddSlave keeps them sorted by name, so CLUSTER REPLICAS and SHARDS are stable.
        self.replicas.sort(key=lambda n: n.name)
        # A primary with replicas is a migration target again (CLUSTER_NODE_MIGRATE_TO).
        self.flags |= NodeFlag.MIGRATE_TO
        return True

    def remove_replica(self, replica: Node) -> bool:
        if replica not in self.replicas:
            return False
        self.replicas.remove(replica)
        if not self.replicas:
            self.flags &= ~NodeFlag.MIGRATE_TO
        return True

    def healthy_replica_count(self) -> int:
        """clusterCountNonFailingSlaves."""
        return sum(1 for r in self.replicas if not r.failed)

    # ------------------------------------------------------------------ failure reports

    def add_failure_report(self, reporter: Node, now: int) -> bool:
        """clusterNodeAddFailureReport: True when the reporter is new, False when its report was refreshed."""
        new = reporter.name not in self.fail_reports
        self.fail_reports[reporter.name] = now
        return new

    def remove_failure_report(self, reporter: Node) -> bool:
        return self.fail_reports.pop(reporter.name, None) is not None

    def clean_failure_reports(self, now: int, node_timeout: int) -> None:
        """clusterNodeCleanupFailureReports: reports older than node-timeout * 2 (CLUSTER_FAIL_REPORT_VALIDITY_MULT)
        no longer count."""
        horizon = now - node_timeout * 2
        for name in [n for n, when in self.fail_reports.items() if when < horizon]:
            del self.fail_reports[name]

    def failure_report_count(self, now: int, node_timeout: int) -> int:
        self.clean_failure_reports(now, node_timeout)
        return len(self.fail_reports)

    # ------------------------------------------------------------------ addresses

    def addr_text(self) -> str:
        """ip:port@cport[,hostname] as CLUSTER NODES prints it."""
        text = f"{self.ip}:{self.port}@{self.cport}"
        if self.hostname:
            text += f",{self.hostname}"
        return text

    def __repr__(self) -> str:
        return f"<Node {self.name[:8]} {self.ip}:{self.port} {self.flags_text()}>"
