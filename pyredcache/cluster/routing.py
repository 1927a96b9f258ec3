"""Cluster routing (Redis's getNodeByQuery / clusterRedirectClient): which node serves a request.

dispatch.process_command calls route() for every request with key arguments (and for EXEC, over the queued
commands) in cluster mode; it answers MOVED / ASK / TRYAGAIN / CROSSSLOT / CLUSTERDOWN or lets the command
run. The fast path (_speedups/fastpath.pyx) serves single-key plain commands itself only for the slots
refresh_fast_slots() marks as served locally; every other request comes here.

Also here: clients blocked on keys of a slot that went away (clusterRedirectBlockedClientIfNeeded), and the
shard-channel subscribers of a slot this shard lost (removeChannelsInSlot).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import errors
from .._speedups.slots import key_hash_slot
from ..commands.table import CommandSpec, Flag, KeyFlag
from ..scripting.cache import ALLOW_CROSS_SLOT, EVAL_COMPAT_MODE
from ..server.client import ClientFlag
from .node import BITMAP_BYTES, Node, bit_list

if TYPE_CHECKING:
    from ..server.client import Client
    from .manager import Cluster

CROSSSLOT = errors.CROSSSLOT.encode()
TRYAGAIN = errors.TRYAGAIN.encode()
DOWN_STATE = errors.CLUSTERDOWN_STATE.encode()
DOWN_RO_STATE = errors.CLUSTERDOWN_READONLY.encode()
DOWN_UNBOUND = errors.CLUSTERDOWN_UNBOUND.encode()

# Sharded pub/sub commands route by their channels (NOT_KEY key specs), as getNodeByQuery's is_pubsubshard.
_SHARD_COMMANDS = frozenset({b"ssubscribe", b"sunsubscribe", b"spublish"})
_MULTI = ClientFlag.MULTI
_ASKING = ClientFlag.ASKING | ClientFlag.ASKING_NOW
_READONLY = ClientFlag.READONLY
_WRITE = Flag.WRITE
# Scripts without a shebang (EVAL compatibility mode) may touch several slots, as allow-cross-slot-keys.
_CROSS_SLOT_OK = EVAL_COMPAT_MODE | ALLOW_CROSS_SLOT


def _positions(spec: CommandSpec, argv: list[bytes], shard: bool) -> list[int]:
    """Key positions as getNodeByQuery sees them: the keys, or for sharded pub/sub the channels."""
    if shard:
        out: list[int] = []
        for ks in spec.key_specs:
            if ks.flags & KeyFlag.NOT_KEY:
                found = ks.find(argv)
                if found:
                    out.extend(found)
        return out
    if not spec.has_keys:
        return []
    return spec.get_keys(argv)


def endpoint(cluster: Cluster, node: Node) -> str:
    """getPreferredEndpoint: what MOVED/ASK name the node by (cluster-preferred-endpoint-type)."""
    kind = cluster.config["cluster-preferred-endpoint-type"]
    if kind == "hostname":
        return node.hostname or "?"
    if kind == "unknown-endpoint":
        return ""
    return node.ip


def redirect_text(cluster: Cluster, kind: str, slot: int, node: Node) -> bytes:
    return f"{kind} {slot} {endpoint(cluster, node)}:{node.port}".encode()


def _flags(c: Client, spec: CommandSpec, argv: list[bytes]) -> int:
    from ..server.dispatch import command_flags

    return command_flags(c, spec, argv)


def query(cluster: Cluster, c: Client, spec: CommandSpec, argv: list[bytes]) -> bytes | None:
    """getNodeByQuery: None when this node serves the request, else the error line to answer with."""
    state = cluster.state
    myself = state.myself
    c.slot = -1
    is_exec = spec.parent is None and spec.name == b"exec"
    commands: Any
    if is_exec:
        if not c.flags & _MULTI:
            return None    # EXEC without MULTI only errors
        commands = c.multi_queue or ()
    else:
        commands = ((spec, argv),)
    shard = spec.parent is None and spec.name in _SHARD_COMMANDS
    first: bytes | None = None
    slot = 0
    owner: Node | None = None
    migrating = importing = multiple = False
    missing = existing = 0
    db0 = None
    for qspec, qargv in commands:
        for pos in _positions(qspec, qargv, shard):
            key = qargv[pos]
            this = key_hash_slot(key)
            if first is None:
                first = key
                slot = this
                owner = state.slots[slot]
                if owner is None:
                    return DOWN_UNBOUND
                if owner is myself and slot in state.migrating:
                    migrating = True
                elif slot in state.importing:
                    importing = True
            elif key != first:
                if this != slot:
                    return CROSSSLOT
                multiple = True
            if (migrating or importing) and not shard:
                if db0 is None:
                    db0 = c.server.dbs[0]
                if db0.exists(key):
                    existing += 1
                else:
                    missing += 1
    if owner is None:
        return None     # no keys at all
    cmd_flags = -1
    if not state.ok:
        if shard:
            if not cluster.config["cluster-allow-pubsubshard-when-down"]:
                return DOWN_STATE
        elif not cluster.config["cluster-allow-reads-when-down"]:
            return DOWN_STATE
        else:
            cmd_flags = _flags(c, spec, argv)
            if cmd_flags & _WRITE:
                return DOWN_RO_STATE
    c.slot = slot
    if (migrating or importing) and spec.parent is None and spec.name == b"migrate":
        return None
    if migrating and missing:
        if existing:
            return TRYAGAIN
        target = state.migrating[slot]
        if target is myself:
            return None
        return redirect_text(cluster, "ASK", slot, target)
    if importing:
        if cmd_flags < 0:
            cmd_flags = _flags(c, spec, argv)
        if c.flags & _ASKING or cmd_flags & Flag.ASKING:
            if multiple and missing:
                return TRYAGAIN
            return None
    if owner is myself:
        return None
    if (c.flags & _READONLY or shard) and myself.is_replica and myself.primary is owner:
        if cmd_flags < 0:
            cmd_flags = _flags(c, spec, argv)
        write = bool(cmd_flags & _WRITE)
        if is_exec and not write:
            write = any(_flags(c, q, qa) & _WRITE for q, qa in commands)
        if not write:
            return None
    return redirect_text(cluster, "MOVED", slot, owner)


def route(cluster: Cluster, c: Client, spec: CommandSpec, argv: list[bytes]) -> bool:
    """processCommand's cluster block: True when the client was answered with a redirect or error (the
    command must not run). A redirected EXEC discards the transaction; a command being queued in MULTI
    makes the transaction fail at EXEC (EXECABORT)."""
    error = query(cluster, c, spec, argv)
    if error is None:
        return False
    server = c.server
    if spec.parent is None and spec.name == b"exec":
        from ..commands.transactions import discard_transaction

        discard_transaction(c)
    elif c.flags & _MULTI:
        c.flags |= ClientFlag.DIRTY_EXEC
    c.out.error(error)
    server.stats.commands[spec.index].rejected_calls += 1
    server.stats.count_error(error)
    return True


SCRIPT_DOWN_RO = b"ERR Script attempted to execute a write command while the cluster is down and readonly"
SCRIPT_DOWN = b"ERR Script attempted to execute a command while the cluster is down"
SCRIPT_NON_LOCAL = b"ERR Script attempted to access a non local key in a cluster node"
SCRIPT_CROSS_SLOT = b"ERR Script attempted to access keys that do not hash to the same slot"
_SCRIPT_FLAGS = ClientFlag.READONLY | ClientFlag.ASKING


def script_check(cluster: Cluster, lc: Client, spec: CommandSpec, argv: list[bytes]) -> bytes | None:
    """scriptVerifyClusterState for one redis.call() of the running script: the error, or None to run it.
    `lc` is the lua client; the caller is the client that ran EVAL/FCALL."""
    scripting = lc.server.scripting
    run = scripting.running if scripting is not None else None
    if run is None:
        return None
    caller = run.caller
    if caller.flags & ClientFlag.PRIMARY:
        return None
    lc.flags = (lc.flags & ~_SCRIPT_FLAGS) | (caller.flags & _SCRIPT_FLAGS)
    if caller.flags & ClientFlag.ASKING_NOW:
        lc.flags |= ClientFlag.ASKING
    error = query(cluster, lc, spec, argv)
    if error is not None:
        if error == DOWN_RO_STATE:
            return SCRIPT_DOWN_RO
        if error == DOWN_STATE:
            return SCRIPT_DOWN
        return SCRIPT_NON_LOCAL
    slot = lc.slot
    if slot != -1 and not run.script.flags & _CROSS_SLOT_OK:
        if caller.slot == -1:
            caller.slot = slot
        elif caller.slot != slot:
            return SCRIPT_CROSS_SLOT
    return None


# ---------------------------------------------------------------------------------------- fast path table


def _my_shard_owns(node: Node | None, myself: Node) -> bool:
    """clusterGetNodesServingMySlots(node) holds myself: node is myself, my primary or a sibling's primary."""
    if node is None:
        return False
    if node is myself:
        return True
    primary = myself.primary if myself.is_replica else None
    return primary is not None and (node is primary or node.primary is primary)


def _bits(node: Node) -> int:
    """A node's slot bitmap as an int (bit s = slot s)."""
    return int.from_bytes(node.slots, "little")


def refresh_fast_slots(cluster: Cluster) -> None:
    """Recompute what the fast path may serve: slots myself owns and neither migrates nor imports, plus the
    cluster's ok bit. Also the side effects of slot-map changes: shard channels of slots my shard lost are
    unsubscribed, and blocked clients whose slot went away are redirected.

    Runs every loop turn the cluster state changed in, so it works on the owners' slot bitmaps (equal to the
    slot map: ClusterState.assign_slot / unassign_slot change both) as ints, never slot by slot."""
    server = cluster.server
    state = cluster.state
    myself = state.myself
    mine = _bits(myself) if myself.numslots else 0
    served = mine
    primary = myself.primary if myself.is_replica else None
    if primary is not None:
        # _my_shard_owns: my primary and its replicas (a replica owns slots only in transient states).
        for n in state.nodes.values():
            if n.numslots and n is not myself and (n is primary or n.primary is primary):
                served |= _bits(n)
    table = mine
    if table and (state.migrating or state.importing):
        for s in state.migrating:
            table &= ~(1 << s)
        for s in state.importing:
            table &= ~(1 << s)
    rt = _runtime(cluster)
    fast = server.fastpath
    if rt.table != table or rt.cleared:
        fast.set_cluster_bitmap(table.to_bytes(BITMAP_BYTES, "little"), bool(state.ok))
        rt.table = table
        rt.cleared = False
    else:
        fast.cluster_ok = bool(state.ok)
    state.on_unassign = rt.on_unassign
    lost = rt.lost
    rt.lost = set()
    previous = rt.served
    rt.served = served
    if previous is not None and previous & ~served:
        lost.update(bit_list(previous & ~served))
    if lost:
        slots_lost(cluster, lost)
    redirect_blocked_clients(cluster)


class _Runtime:
    """Routing's memory between refreshes: the slots my shard served (a bitmap int), and those it lost
    meanwhile."""

    __slots__ = ("cluster", "served", "lost", "table", "cleared")

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.served: int | None = None
        self.lost: set[int] = set()
        # The bitmap int last given to the fast path, and whether on_unassign cleared an entry since.
        self.table: int | None = None
        self.cleared = False

    def on_unassign(self, slot: int, owner: Node) -> None:
        """ClusterState.unassign_slot's hook (clusterDelSlot): the fast path stops serving the slot at once;
        if my shard served it, its shard channels go at the next refresh (removeChannelsInSlot)."""
        cluster = self.cluster
        cluster.server.fastpath.clear_cluster_slot(slot)
        self.cleared = True
        if _my_shard_owns(owner, cluster.state.myself):
            self.lost.add(slot)


def _runtime(cluster: Cluster) -> _Runtime:
    rt: _Runtime | None = getattr(cluster, "routing", None)
    if rt is None:
        rt = _Runtime(cluster)
        cluster.routing = rt  # type: ignore[attr-defined]
    return rt


# ---------------------------------------------------------------------------------------- sharded pub/sub


def slot_lost(cluster: Cluster, slot: int) -> None:
    """removeChannelsInSlot: my shard no longer serves `slot`; its shard-channel subscribers are
    unsubscribed (each gets an sunsubscribe message)."""
    slots_lost(cluster, {slot})


def slots_lost(cluster: Cluster, slots: set[int]) -> None:
    from ..server.pubsub import registry

    server = cluster.server
    if getattr(server, "pubsub", None) is None:
        return
    ps = registry(server)
    for channel in [ch for ch in ps.shard_channels if key_hash_slot(ch) in slots]:
        for c in list(ps.shard_channels.get(channel, ())):
            ps.sunsubscribe(c, channel)
            out = c.out
            out.push_header(3)
            out.bulk(b"sunsubscribe")
            out.bulk(channel)
            out.integer(len(c.sub_shard_channels))
            c.update_pubsub_flag()
            server.mark_pending_write(c)


def publish(cluster: Cluster, channel: bytes, message: bytes, shard: bool) -> None:
    """clusterPropagatePublish: PUBLISH goes to every node, SPUBLISH to the nodes of my shard."""
    from . import gossip

    try:
        gossip.broadcast_publish(cluster, channel, message, shard=shard)
    except Exception as exc:    # the bus is someone else's: never fail the client's command for it
        cluster.log.warning(f"cluster publish failed: {exc!r}")


# ---------------------------------------------------------------------------------------- blocked clients


def redirect_blocked_clients(cluster: Cluster) -> None:
    """clusterRedirectBlockedClientIfNeeded for every client blocked on keys."""
    from ..server.blocking import BlockState

    server = cluster.server
    reg = getattr(server, "blocking", None)
    if reg is None or not reg.waiting:
        return
    for c in list(server.clients.values()):
        if isinstance(c.blocked, BlockState):
            error = blocked_redirect(cluster, c)
            if error is not None:
                c.out.error(error)
                server.stats.count_error(error)
                reg.unblock(c)


def blocked_redirect(cluster: Cluster, c: Client) -> bytes | None:
    """The error a client blocked on keys gets when its slot is no longer served here (None: keep it)."""
    state = cluster.state
    if not state.ok:
        return DOWN_STATE
    keys = c.blocked.keys
    if not keys:
        return None
    slot = key_hash_slot(keys[0])
    node = state.slots[slot]
    myself = state.myself
    if c.flags & _READONLY and myself.is_replica and myself.primary is node and node is not None:
        from ..commands.table import lookup_by_name

        last = lookup_by_name(c.last_cmd)
        if last is None or not last.flags & _WRITE:
            node = myself
    if node is not myself and slot not in state.importing:
        if node is None:
            return DOWN_UNBOUND
        return redirect_text(cluster, "MOVED", slot, node)
    return None


def cron(cluster: Cluster) -> None:
    """Server cron hook: clusterCron may change the slot map or the ok bit without a beforeSleep pass, and
    clientsCron redirects blocked clients; both covered by a refresh."""
    refresh_fast_slots(cluster)


def install(cluster: Cluster) -> None:
    """Set up routing for a cluster-mode server: the fast-path table and the cron hook."""
    refresh_fast_slots(cluster)
    cluster.server.cron_hooks.append(lambda *args: cron(cluster))
