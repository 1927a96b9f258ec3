"""The cluster state of one node (Redis's clusterState): the node table, slot map, epochs, votes, todo flags.

Plain data with methods that apply one well-defined transition each; every transition that must reach
nodes.conf or recompute cluster_state sets todo flags (Todo.*), handled once per loop turn by the runtime
(manager.Cluster.before_sleep). No sockets here: links are opaque objects the bus owns.

`slots[s]` is the authoritative owner of slot s (or None); `importing[s]` / `migrating[s]` hold the node a
slot is being imported from / migrated to, on this node only. Routing reads `slots`, `myself` and those two.
"""
from __future__ import annotations

from typing import Any

from .node import SLOTS, Node, NodeFlag, mstime


class Todo:
    """CLUSTER_TODO_* flags."""

    HANDLE_FAILOVER = 1 << 0
    UPDATE_STATE = 1 << 1
    SAVE_CONFIG = 1 << 2
    FSYNC_CONFIG = 1 << 3
    HANDLE_MANUALFAILOVER = 1 << 4


# cant_failover_reason values (CLUSTER_CANT_FAILOVER_*), logged by failover.py.
CANT_FAILOVER_NONE = 0
CANT_FAILOVER_DATA_AGE = 1
CANT_FAILOVER_WAITING_DELAY = 2
CANT_FAILOVER_EXPIRED = 3
CANT_FAILOVER_WAITING_VOTES = 4

BLACKLIST_TTL_S = 60   # CLUSTER FORGET keeps a name out of gossip this long (CLUSTER_BLACKLIST_TTL)


class ClusterState:
    """clusterState. `myself` is in `nodes` like any other node, with the MYSELF flag."""

    def __init__(self, myself: Node) -> None:
        self.myself = myself
        self.current_epoch = 0
        self.ok = False                     # cluster_state:ok / fail
        self.size = 0                       # primaries serving at least one slot
        self.nodes: dict[str, Node] = {myself.name: myself}
        self.blacklist: dict[str, float] = {}   # name → expiry (seconds, time.time())
        self.slots: list[Node | None] = [None] * SLOTS
        self.migrating: dict[int, Node] = {}
        self.importing: dict[int, Node] = {}
        # Election state of a replica (failover.py).
        self.failover_auth_time = 0
        self.failover_auth_count = 0
        self.failover_auth_sent = False
        self.failover_auth_rank = 0
        self.failover_auth_epoch = 0
        self.cant_failover_reason = CANT_FAILOVER_NONE
        # Manual failover (failover.py): deadline (ms, 0 = none), the replica asking (on a primary),
        # the primary's offset to reach and whether the replica may start (on a replica).
        self.mf_end = 0
        self.mf_replica: Node | None = None
        self.mf_primary_offset = -1
        self.mf_can_start = False
        self.last_vote_epoch = 0
        # failover.py: when "Currently unable to failover" was last logged (time.time()), and on a primary in a
        # manual failover the CLIENT PAUSE state its pause overlapped (restored after) and its own deadline.
        self.cant_failover_log_time = 0.0
        self.mf_pause_saved: tuple[float | None, bool] | None = None
        self.mf_pause_end: float | None = None
        self.todo = 0
        self.stats_sent = [0] * 11          # per message type (messages.TYPE_*)
        self.stats_received = [0] * 11
        self.stats_pfail_nodes = 0
        self.stats_links_buffer_limit_exceeded = 0   # total_cluster_links_buffer_limit_exceeded
        # Last time (ms) the state was computed FAIL→OK eligible; clusterUpdateState's rejoin delay.
        self.among_minority_time = 0
        self.first_call_time = 0
        # routing.py: called as on_unassign(slot, old_owner) whenever a slot loses its owner, so the fast
        # path stops serving it at once (its table is rebuilt at the end of the loop turn).
        self.on_unassign: Any = None

    # ------------------------------------------------------------------ nodes

    def lookup(self, name: str) -> Node | None:
        return self.nodes.get(name)

    def add_node(self, node: Node) -> None:
        self.nodes[node.name] = node

    def remove_node(self, node: Node) -> None:
        """clusterDelNode: unassign its slots, drop the failure reports it sent, unlink it from its primary.

        Links are closed by the caller (the bus), which owns them."""
        for s in [s for s, n in self.importing.items() if n is node]:
            del self.importing[s]
        for s in [s for s, n in self.migrating.items() if n is node]:
            del self.migrating[s]
        owners = self.slots
        for s in node.slot_list():   # its bits are the slots the map gives it
            if owners[s] is node:
                owners[s] = None
        for other in self.nodes.values():
            if other is not node:
                other.remove_failure_report(node)
        if node.primary is not None:
            node.primary.remove_replica(node)
        for replica in node.replicas:
            if replica.primary is node:
                replica.primary = None
        self.nodes.pop(node.name, None)
        self.todo |= Todo.UPDATE_STATE | Todo.SAVE_CONFIG

    def rename_node(self, node: Node, new_name: str) -> None:
        """clusterRenameNode: a handshake node learns its real name from the peer's first reply."""
        self.nodes.pop(node.name, None)
        node.name = new_name
        self.nodes[new_name] = node
        self.todo |= Todo.SAVE_CONFIG

    def blacklist_add(self, name: str, now_s: float) -> None:
        self.blacklist[name] = now_s + BLACKLIST_TTL_S

    def blacklisted(self, name: str, now_s: float) -> bool:
        for key in [k for k, exp in self.blacklist.items() if exp < now_s]:
            del self.blacklist[key]
        return name in self.blacklist

    def primaries(self) -> list[Node]:
        return [n for n in self.nodes.values() if n.is_primary]

    # ------------------------------------------------------------------ slots

    def assign_slot(self, slot: int, node: Node) -> bool:
        """clusterAddSlot: False if the slot already has an owner."""
        if self.slots[slot] is not None:
            return False
        # clusterNodeSetSlotBit: a primary getting its first slot is a replica-migration target when some
        # primary has replicas (redis#3043).
        if node.set_slot_bit(slot) and node.numslots == 1 and any(n.replicas for n in self.nodes.values()):
            node.flags |= NodeFlag.MIGRATE_TO
        self.slots[slot] = node
        return True

    def unassign_slot(self, slot: int) -> bool:
        """clusterDelSlot: False if the slot had no owner."""
        owner = self.slots[slot]
        if owner is None:
            return False
        owner.clear_slot_bit(slot)
        self.slots[slot] = None
        if self.on_unassign is not None:
            self.on_unassign(slot, owner)
        return True

    def move_slot(self, slot: int, node: Node) -> None:
        """Give the slot to `node` whoever had it (clusterDelSlot + clusterAddSlot)."""
        self.unassign_slot(slot)
        self.assign_slot(slot, node)

    def unassign_node_slots(self, node: Node) -> int:
        """clusterDelNodeSlots: returns how many slots it had."""
        count = 0
        owners = self.slots
        for s in node.slot_list():   # its bits are the slots the map gives it
            if owners[s] is node:
                self.unassign_slot(s)
                count += 1
        return count

    # ------------------------------------------------------------------ roles

    def set_primary_role(self, node: Node) -> None:
        """clusterSetNodeAsMaster: `node` becomes a primary (leaving its primary's replica list)."""
        if node.is_primary:
            return
        if node.primary is not None:
            node.primary.remove_replica(node)
            if node is not self.myself:
                node.flags |= NodeFlag.MIGRATE_TO
        node.flags &= ~NodeFlag.SLAVE
        node.flags |= NodeFlag.MASTER
        node.primary = None
        self.todo |= Todo.SAVE_CONFIG | Todo.UPDATE_STATE

    def set_replica_of(self, node: Node, primary: Node) -> None:
        """`node` is a replica of `primary` (as a replica's PING header says, or CLUSTER REPLICATE)."""
        if node.primary is not None and node.primary is not primary:
            node.primary.remove_replica(node)
        node.flags &= ~(NodeFlag.MASTER | NodeFlag.MIGRATE_TO)
        node.flags |= NodeFlag.SLAVE
        node.primary = primary
        primary.add_replica(node)
        self.todo |= Todo.SAVE_CONFIG | Todo.UPDATE_STATE

    # ------------------------------------------------------------------ epochs

    def max_epoch(self) -> int:
        """clusterGetMaxEpoch: the greatest configEpoch known, or currentEpoch if greater."""
        return max(self.current_epoch, max((n.config_epoch for n in self.nodes.values()), default=0))

    def bump_config_epoch(self) -> bool:
        """clusterBumpConfigEpochWithoutConsensus: take a new configEpoch unless mine is already the greatest
        (and non-zero). True when it changed."""
        max_epoch = self.max_epoch()
        me = self.myself
        if me.config_epoch == 0 or me.config_epoch != max_epoch:
            self.current_epoch += 1
            me.config_epoch = self.current_epoch
            self.todo |= Todo.SAVE_CONFIG | Todo.FSYNC_CONFIG
            return True
        return False

    def request(self, flags: int) -> None:
        self.todo |= flags

    def now(self) -> int:
        return mstime()
