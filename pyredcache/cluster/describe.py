"""Text and reply views of the cluster state: CLUSTER NODES / nodes.conf lines, CLUSTER INFO, SLOTS, SHARDS, LINKS.

Formats follow Redis 7.0.15 (cluster.c clusterGenNodeDescription, clusterGenNodesDescription, the CLUSTER INFO
string, clusterReplyMultiBulkSlots, clusterReplyShards, addReplyClusterLinksDescription). Slot ownership is
read from the authoritative map (ClusterState.slots) and printed as maximal runs: "N" for one slot, "A-B" for
a range. Only myself's line carries the open slots, `[slot->-id]` (migrating) and `[slot-<-id]` (importing).
"""
from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .node import SLOTS, Node, NodeFlag, bit_list, bit_runs

if TYPE_CHECKING:
    from ..server.client import Client
    from .manager import Cluster
    from .state import ClusterState

Ranges = list[tuple[int, int]]

# clusterGetMessageTypeString, indexed by message type (CLUSTERMSG_TYPE_*).
MESSAGE_TYPE_NAMES: tuple[str, ...] = (
    "ping", "pong", "meet", "fail", "publish", "auth-req", "auth-ack", "update", "mfstart", "module",
    "publishshard",
)


# ----------------------------------------------------------------------------------------- slot runs

def slot_ranges(state: ClusterState) -> dict[Node, Ranges]:
    """Every owner's maximal runs of consecutive slots (clusterGenNodesSlotsInfo). Read from the owners'
    bitmaps, which ClusterState keeps equal to the slot map (assign_slot / unassign_slot change both)."""
    out: dict[Node, Ranges] = {}
    for node in list(state.nodes.values()):
        if node.numslots:
            out[node] = bitmap_ranges(node)
    return out


def _cached(node: Node) -> tuple[bytes, Ranges, str]:
    """The node's runs and their CLUSTER NODES text, recomputed only when its bitmap changed since (and then,
    when only a few slots changed, as a resharding does one slot at a time, by editing the previous runs)."""
    cache = node.ranges_cache
    bitmap = node.slots
    if cache is not None and cache[0] == bitmap:
        return cache
    out: Ranges | None = None
    if cache is not None and node.numslots:
        changed = int.from_bytes(cache[0], "little") ^ int.from_bytes(bitmap, "little")
        if changed.bit_count() <= _FEW:
            out = list(cache[1])
            for slot in bit_list(changed):
                if bitmap[slot >> 3] & (1 << (slot & 7)):
                    _run_add(out, slot)
                else:
                    _run_remove(out, slot)
    if out is None:
        out = bit_runs(int.from_bytes(bitmap, "little")) if node.numslots else []
    cache = node.ranges_cache = (bytes(bitmap), out, format_ranges(out))
    return cache


_FEW = 8


def _run_add(runs: Ranges, slot: int) -> None:
    """Put `slot` (not in any run) into the sorted maximal runs."""
    i = bisect.bisect_left(runs, (slot, slot))   # runs[i - 1] starts before slot, runs[i] after it
    joins_left = i > 0 and runs[i - 1][1] == slot - 1
    joins_right = i < len(runs) and runs[i][0] == slot + 1
    if joins_left and joins_right:
        runs[i - 1] = (runs[i - 1][0], runs[i][1])
        del runs[i]
    elif joins_left:
        runs[i - 1] = (runs[i - 1][0], slot)
    elif joins_right:
        runs[i] = (slot, runs[i][1])
    else:
        runs.insert(i, (slot, slot))


def _run_remove(runs: Ranges, slot: int) -> None:
    """Take `slot` (in one of the runs) out of the sorted maximal runs."""
    i = bisect.bisect_right(runs, (slot, SLOTS)) - 1   # the run starting at or before slot
    first, last = runs[i]
    pieces = []
    if first < slot:
        pieces.append((first, slot - 1))
    if slot < last:
        pieces.append((slot + 1, last))
    runs[i:i + 1] = pieces


def bitmap_ranges(node: Node) -> Ranges:
    """Runs of set bits in the node's slot bitmap (cached on the node; callers must not change the list)."""
    return _cached(node)[1]


def ranges_text(node: Node) -> str:
    """format_ranges(bitmap_ranges(node)), cached on the node."""
    return _cached(node)[2]


def format_ranges(ranges: Iterable[tuple[int, int]]) -> str:
    """' 0-5460 5462' (each run preceded by a space, as representSlotInfo)."""
    return "".join(f" {a}" if a == b else f" {a}-{b}" for a, b in ranges)


def parse_ranges(text: str) -> Ranges:
    """Inverse of format_ranges (tests and tools)."""
    out: Ranges = []
    for word in text.split():
        a, sep, b = word.partition("-")
        out.append((int(a), int(b) if sep else int(a)))
    return out


# ----------------------------------------------------------------------------------------- CLUSTER NODES

def node_line(state: ClusterState, node: Node, ranges: Ranges | None = None) -> str:
    """One CLUSTER NODES line without its newline (clusterGenNodeDescription). `ranges` None: from the
    node's own bitmap."""
    parts = [node.name, " ", node.ip, ":", str(node.port), "@", str(node.cport)]
    if node.hostname:
        parts += [",", node.hostname]
    parts += [" ", node.flags_text(), " ", node.primary.name if node.primary is not None else "-"]
    # A replica shows its primary's configEpoch.
    epoch = node.config_epoch
    if node.is_replica and node.primary is not None:
        epoch = node.primary.config_epoch
    linked = node.link is not None or node.flags & NodeFlag.MYSELF
    parts.append(f" {node.ping_sent} {node.pong_received} {epoch} {'connected' if linked else 'disconnected'}")
    parts.append(ranges_text(node) if ranges is None else format_ranges(ranges))
    if node.flags & NodeFlag.MYSELF:
        for slot in sorted(set(state.migrating) | set(state.importing)):
            target = state.migrating.get(slot)
            if target is not None:
                parts.append(f" [{slot}->-{target.name}]")
            else:
                parts.append(f" [{slot}-<-{state.importing[slot].name}]")
    return "".join(parts)


def nodes_text(cluster: Cluster, for_config: bool = False,
               filter_fn: Callable[[Node], bool] | None = None) -> str:
    """CLUSTER NODES (every node) or the node lines of nodes.conf (handshake nodes left out); `filter_fn`
    returns True for nodes to leave out."""
    state = cluster.state
    lines = []
    for node in list(state.nodes.values()):
        if for_config and node.flags & NodeFlag.HANDSHAKE:
            continue
        if filter_fn is not None and filter_fn(node):
            continue
        lines.append(node_line(state, node) + "\n")
    return "".join(lines)


# ----------------------------------------------------------------------------------------- CLUSTER INFO

def info_text(cluster: Cluster) -> str:
    state = cluster.state
    # Owners' slot counts equal the slot map's (ClusterState changes both together).
    assigned = pfail = fail = 0
    for node in list(state.nodes.values()):
        if node.numslots:
            assigned += node.numslots
            if node.flags & NodeFlag.FAIL:
                fail += node.numslots
            elif node.flags & NodeFlag.PFAIL:
                pfail += node.numslots
    ok = assigned - fail - pfail
    me = state.myself
    my_epoch = me.primary.config_epoch if me.is_replica and me.primary is not None else me.config_epoch
    lines = [
        f"cluster_state:{'ok' if state.ok else 'fail'}",
        f"cluster_slots_assigned:{assigned}",
        f"cluster_slots_ok:{ok}",
        f"cluster_slots_pfail:{pfail}",
        f"cluster_slots_fail:{fail}",
        f"cluster_known_nodes:{len(state.nodes)}",
        f"cluster_size:{state.size}",
        f"cluster_current_epoch:{state.current_epoch}",
        f"cluster_my_epoch:{my_epoch}",
    ]
    for direction, counts in (("sent", state.stats_sent), ("received", state.stats_received)):
        total = 0
        for kind, count in enumerate(counts):
            if count:
                total += count
                name = MESSAGE_TYPE_NAMES[kind] if kind < len(MESSAGE_TYPE_NAMES) else "unknown"
                lines.append(f"cluster_stats_messages_{name}_{direction}:{count}")
        lines.append(f"cluster_stats_messages_{direction}:{total}")
    lines.append(f"total_cluster_links_buffer_limit_exceeded:{links_buffer_limit_exceeded(cluster)}")
    return "\r\n".join(lines) + "\r\n"


def links_buffer_limit_exceeded(cluster: Cluster) -> int:
    """stat_cluster_links_buffer_limit_exceeded, wherever the bus keeps it."""
    for holder in (cluster.state, cluster.bus):
        for name in ("stats_links_buffer_limit_exceeded", "stat_links_buffer_limit_exceeded"):
            value = getattr(holder, name, None)
            if isinstance(value, int):
                return value
    return 0


# ----------------------------------------------------------------------------------------- offsets

def my_repl_offset(cluster: Cluster) -> int:
    """replicationGetSlaveOffset for a replica, master_repl_offset for a primary."""
    try:
        from . import failover

        fn = getattr(failover, "my_repl_offset", None)
    except ImportError:
        fn = None
    if fn is not None:
        return int(fn(cluster))
    server = cluster.server
    repl = server.repl
    if cluster.myself.is_replica:
        link = repl.link
        return int(repl.offset) if link is not None and (link.client is not None or link.psync) else 0
    return int(repl.offset)


def node_offset(cluster: Cluster, node: Node) -> int:
    return my_repl_offset(cluster) if node.flags & NodeFlag.MYSELF else node.repl_offset


# ----------------------------------------------------------------------------------------- CLUSTER SLOTS

def _endpoint_type(cluster: Cluster) -> str:
    return str(cluster.config["cluster-preferred-endpoint-type"])


def _node_entry(c: Client, node: Node, kind: str) -> None:
    """addNodeToNodeReply: [endpoint, port, id, {other endpoints}]."""
    out = c.out
    out.array_header(4)
    if kind == "ip":
        out.bulk(node.ip.encode())
    elif kind == "hostname":
        out.bulk((node.hostname or "?").encode())
    else:
        out.null()
    out.integer(node.port)
    out.bulk(node.name.encode())
    extra: list[tuple[bytes, str]] = []
    if kind != "ip":
        extra.append((b"ip", node.ip))
    if kind != "hostname" and node.hostname:
        extra.append((b"hostname", node.hostname))
    out.map_header(len(extra))
    for key, value in extra:
        out.bulk(key)
        out.bulk(value.encode())


def _replica_available(cluster: Cluster, node: Node) -> bool:
    """isReplicaAvailable: not failed and it has replicated something."""
    if node.flags & NodeFlag.FAIL:
        return False
    return node_offset(cluster, node) != 0


def slots_reply(cluster: Cluster, c: Client) -> None:
    """CLUSTER SLOTS: one entry per run of slots with the same owner, in slot order."""
    state = cluster.state
    kind = _endpoint_type(cluster)
    runs = sorted((start, end, owner) for owner, ranges in slot_ranges(state).items() for start, end in ranges)
    out = c.out
    out.array_header(len(runs))
    for start, end, owner in runs:
        replicas = [r for r in owner.replicas if _replica_available(cluster, r)]
        out.array_header(3 + len(replicas))
        out.integer(start)
        out.integer(end)
        _node_entry(c, owner, kind)
        for replica in replicas:
            _node_entry(c, replica, kind)


# ----------------------------------------------------------------------------------------- CLUSTER SHARDS

def _preferred_endpoint(node: Node, kind: str) -> str:
    if kind == "ip":
        return node.ip
    if kind == "hostname":
        return node.hostname or "?"
    return ""


def _shard_node(cluster: Cluster, c: Client, node: Node, kind: str) -> None:
    """addNodeDetailsToShardReply."""
    fields: list[tuple[bytes, Any]] = [(b"id", node.name)]
    if node.port:
        fields.append((b"port", node.port))
    fields.append((b"ip", node.ip))
    fields.append((b"endpoint", _preferred_endpoint(node, kind)))
    if node.hostname:
        fields.append((b"hostname", node.hostname))
    offset = node_offset(cluster, node)
    fields.append((b"role", "replica" if node.is_replica else "master"))
    fields.append((b"replication-offset", offset))
    if node.flags & NodeFlag.FAIL:
        health = "fail"
    elif node.is_replica and offset == 0:
        health = "loading"
    else:
        health = "online"
    fields.append((b"health", health))
    out = c.out
    out.map_header(len(fields))
    for key, value in fields:
        out.bulk(key)
        if isinstance(value, int):
            out.integer(value)
        else:
            out.bulk(value.encode())


def shards_reply(cluster: Cluster, c: Client) -> None:
    """CLUSTER SHARDS: one entry per primary (with or without slots): its slot runs and its nodes."""
    state = cluster.state
    kind = _endpoint_type(cluster)
    ranges = slot_ranges(state)
    primaries = [n for n in list(state.nodes.values()) if not n.is_replica]
    out = c.out
    out.array_header(len(primaries))
    for primary in primaries:
        out.map_header(2)
        out.bulk(b"slots")
        runs = ranges.get(primary, [])
        out.array_header(2 * len(runs))
        for start, end in runs:
            out.integer(start)
            out.integer(end)
        out.bulk(b"nodes")
        members = [primary, *primary.replicas]
        out.array_header(len(members))
        for member in members:
            _shard_node(cluster, c, member, kind)


# ----------------------------------------------------------------------------------------- CLUSTER LINKS

def _link_events(link: Any) -> str:
    events = getattr(link, "events", "")
    if callable(events):
        events = events()
    return str(events)


def _link_int(link: Any, name: str) -> int:
    value = getattr(link, name, 0)
    if callable(value):
        value = value()
    return int(value or 0)


def links_reply(cluster: Cluster, c: Client) -> None:
    """CLUSTER LINKS: every node's outbound then inbound link, as maps of six fields."""
    links: list[tuple[Node, Any]] = []
    for node in list(cluster.state.nodes.values()):
        if node.link is not None:
            links.append((node, node.link))
        if node.inbound_link is not None:
            links.append((node, node.inbound_link))
    out = c.out
    out.array_header(len(links))
    for node, link in links:
        out.map_header(6)
        out.bulk(b"direction")
        out.bulk(b"from" if getattr(link, "inbound", False) else b"to")
        out.bulk(b"node")
        owner = getattr(link, "node", None) or node
        out.bulk(owner.name.encode())
        out.bulk(b"create-time")
        out.integer(_link_int(link, "ctime"))
        out.bulk(b"events")
        out.bulk(_link_events(link).encode())
        out.bulk(b"send-buffer-allocated")
        out.integer(_link_int(link, "send_buffer_allocated"))
        out.bulk(b"send-buffer-used")
        out.integer(_link_int(link, "send_buffer_used"))
