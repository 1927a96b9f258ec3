"""CLUSTER and its subcommands (Redis group "cluster"): argument checks, error texts and replies.

The logic lives in pyredcache/cluster: the state transitions in state.py, the views in describe.py, nodes.conf in
nodes_conf.py, the bus operations (MEET, FORGET) in gossip.py, REPLICATE and FAILOVER in failover.py. Every
error text and check order is cluster.c clusterCommand's (Redis 7.0.15). On a server started without
cluster-enabled every subcommand answers "ERR This instance has cluster support disabled".
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from .. import errors
from .._speedups.slots import key_hash_slot
from ..cluster import describe
from ..cluster.node import SLOTS, Node, mstime, random_name
from ..cluster.nodes_conf import valid_node_name
from ..cluster.state import Todo
from ..errors import ReplyError
from .args import parse_int, try_parse_int
from .generic import reply_help
from .table import container, subcommand

if TYPE_CHECKING:
    from ..cluster.manager import Cluster
    from ..server.client import Client

PORT_INCR: Final = 10000

container("cluster", -2, group="cluster", since="3.0.0", complexity="Depends on subcommand.",
          summary="A container for cluster commands")

_ADMIN: Final = "ADMIN STALE NO_ASYNC_LOADING"

_CLUSTER_HELP: Final = (
    b"ADDSLOTS <slot> [<slot> ...]",
    b"    Assign slots to current node.",
    b"ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    b"    Assign slots which are between <start-slot> and <end-slot> to current node.",
    b"BUMPEPOCH",
    b"    Advance the cluster config epoch.",
    b"COUNT-FAILURE-REPORTS <node-id>",
    b"    Return number of failure reports for <node-id>.",
    b"COUNTKEYSINSLOT <slot>",
    b"    Return the number of keys in <slot>.",
    b"DELSLOTS <slot> [<slot> ...]",
    b"    Delete slots information from current node.",
    b"DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]",
    b"    Delete slots information which are between <start-slot> and <end-slot> from current node.",
    b"FAILOVER [FORCE|TAKEOVER]",
    b"    Promote current replica node to being a master.",
    b"FORGET <node-id>",
    b"    Remove a node from the cluster.",
    b"GETKEYSINSLOT <slot> <count>",
    b"    Return key names stored by current node in a slot.",
    b"FLUSHSLOTS",
    b"    Delete current node own slots information.",
    b"INFO",
    b"    Return information about the cluster.",
    b"KEYSLOT <key>",
    b"    Return the hash slot for <key>.",
    b"MEET <ip> <port> [<bus-port>]",
    b"    Connect nodes into a working cluster.",
    b"MYID",
    b"    Return the node id.",
    b"NODES",
    b"    Return cluster configuration seen by node. Output format:",
    b"    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    b"REPLICATE <node-id>",
    b"    Configure current node as replica to <node-id>.",
    b"RESET [HARD|SOFT]",
    b"    Reset current node (default: soft).",
    b"SET-CONFIG-EPOCH <epoch>",
    b"    Set config epoch of current node.",
    b"SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)",
    b"    Set slot state.",
    b"REPLICAS <node-id>",
    b"    Return <node-id> replicas.",
    b"SAVECONFIG",
    b"    Force saving cluster configuration on disk.",
    b"SLOTS",
    b"    Return information about slots range mappings. Each range is made of:",
    b"    start, end, master and replicas IP addresses, ports and ids",
    b"SHARDS",
    b"    Return information about slot range mappings and the nodes associated with them.",
    b"LINKS",
    b"    Return information about all network links between this node and its peers.",
    b"    Output format is an array where each array element is a map containing attributes of a link",
)


# ------------------------------------------------------------------------------------------------ helpers

def _cluster(c: Client) -> Cluster:
    cluster: Cluster | None = c.server.cluster
    if cluster is None:
        raise ReplyError(errors.CLUSTER_DISABLED)
    return cluster


def _slot(raw: bytes) -> int:
    """getSlotOrReply."""
    value = try_parse_int(raw)
    if value is None or not 0 <= value < SLOTS:
        raise ReplyError(errors.CLUSTER_BAD_SLOT)
    return value


def lookup_node(cluster: Cluster, raw: bytes) -> Node | None:
    """clusterLookupNode: only a well-formed 40-character id can name a node."""
    if not valid_node_name(raw):
        return None
    return cluster.state.lookup(raw.decode("ascii"))


def _db0_size(c: Client) -> int:
    return len(c.server.dbs[0])


def _gossip() -> Any:
    from ..cluster import gossip

    return gossip


def _bump_epoch(cluster: Cluster) -> bool:
    """clusterBumpConfigEpochWithoutConsensus, with its log line and its fsync'd save."""
    if cluster.state.bump_config_epoch():
        cluster.log.warning(f"New configEpoch set to {cluster.myself.config_epoch}")
        cluster.request(Todo.SAVE_CONFIG | Todo.FSYNC_CONFIG)
        return True
    return False


# ------------------------------------------------------------------------------------------------ HELP INFO NODES ...

@subcommand("cluster", "help", 2, "LOADING STALE", since="5.0.0", complexity="O(1)",
            summary="Show helpful text about the different subcommands")
def cluster_help_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER HELP"""
    _cluster(c)
    reply_help(c, argv[0], _CLUSTER_HELP)


@subcommand("cluster", "info", 2, "STALE", since="3.0.0", complexity="O(1)",
            summary="Provides info about Redis Cluster node state", tips="nondeterministic_output")
def cluster_info_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER INFO"""
    c.out.verbatim(describe.info_text(_cluster(c)).encode())


@subcommand("cluster", "nodes", 2, "STALE", since="3.0.0",
            complexity="O(N) where N is the total number of Cluster nodes",
            summary="Get Cluster config for the node", tips="nondeterministic_output")
def cluster_nodes_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER NODES"""
    c.out.verbatim(describe.nodes_text(_cluster(c)).encode("utf-8", "surrogateescape"))


@subcommand("cluster", "myid", 2, "STALE", since="3.0.0", complexity="O(1)", summary="Return the node id")
def cluster_myid_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER MYID"""
    c.out.bulk(_cluster(c).myself.name.encode())


@subcommand("cluster", "slots", 2, "STALE", since="3.0.0",
            complexity="O(N) where N is the total number of Cluster nodes",
            summary="Get array of Cluster slot to node mappings", tips="nondeterministic_output",
            doc_flags="deprecated", deprecated_since="7.0.0", replaced_by="`CLUSTER SHARDS`",
            history=(("4.0.0", "Added node IDs."), ("7.0.0", "Added additional networking metadata field.")))
def cluster_slots_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER SLOTS"""
    describe.slots_reply(_cluster(c), c)


@subcommand("cluster", "shards", 2, "STALE", since="7.0.0",
            complexity="O(N) where N is the total number of cluster nodes",
            summary="Get array of cluster slots to node mappings", tips="nondeterministic_output")
def cluster_shards_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER SHARDS"""
    describe.shards_reply(_cluster(c), c)


@subcommand("cluster", "links", 2, "STALE", since="7.0.0",
            complexity="O(N) where N is the total number of Cluster nodes",
            summary="Returns a list of all TCP links to and from peer nodes in cluster",
            tips="nondeterministic_output")
def cluster_links_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER LINKS"""
    describe.links_reply(_cluster(c), c)


# ------------------------------------------------------------------------------------------------ MEET FORGET

@subcommand("cluster", "meet", -4, _ADMIN, since="3.0.0", complexity="O(1)",
            summary="Force a node cluster to handshake with another node",
            args="ip:string port:integer [cluster_bus_port:integer]<4.0.0>",
            history=(("4.0.0", "Added the optional `cluster_bus_port` argument."),))
def cluster_meet_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER MEET ip port [cluster_bus_port]"""
    from ..cluster.nodes_conf import valid_ip

    cluster = _cluster(c)
    if len(argv) not in (4, 5):
        raise ReplyError(errors.subcommand_syntax(argv[1], argv[0]))
    port = try_parse_int(argv[3])
    if port is None:
        raise ReplyError(errors.cluster_meet_bad_port(argv[3]))
    if len(argv) == 5:
        cport = try_parse_int(argv[4])
        if cport is None:
            raise ReplyError(errors.cluster_meet_bad_bus_port(argv[4]))
    else:
        cport = port + PORT_INCR
    # clusterStartHandshake's EINVAL cases; a handshake already in progress still answers OK.
    try:
        ip = argv[2].decode("ascii")
    except UnicodeDecodeError:
        ip = ""
    if not valid_ip(ip) or not 0 < port <= 65535 or not 0 < cport <= 65535:
        raise ReplyError(errors.cluster_meet_bad_address(argv[2], argv[3]))
    cluster.meet(ip, port, cport)
    c.out.ok()


@subcommand("cluster", "forget", 3, _ADMIN, since="3.0.0", complexity="O(1)",
            summary="Remove a node from the nodes table", args="node-id:string")
def cluster_forget_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER FORGET node-id"""
    cluster = _cluster(c)
    node = lookup_node(cluster, argv[2])
    me = cluster.myself
    if node is None:
        raise ReplyError(errors.cluster_unknown_node(argv[2]))
    if node is me:
        raise ReplyError(errors.CLUSTER_FORGET_MYSELF)
    if me.is_replica and me.primary is node:
        raise ReplyError(errors.CLUSTER_FORGET_MY_PRIMARY)
    cluster.forget(node)
    cluster.request(Todo.UPDATE_STATE | Todo.SAVE_CONFIG)
    c.out.ok()


# ------------------------------------------------------------------------------------------------ slots

def _check_slot_assignment(cluster: Cluster, seen: bytearray, delete: bool, start: int, end: int) -> None:
    """checkSlotAssignmentsOrReply."""
    slots = cluster.state.slots
    for slot in range(start, end + 1):
        if delete and slots[slot] is None:
            raise ReplyError(errors.cluster_slot_unassigned(slot))
        if not delete and slots[slot] is not None:
            raise ReplyError(errors.cluster_slot_busy(slot))
        if seen[slot]:
            raise ReplyError(errors.cluster_slot_repeated(slot))
        seen[slot] = 1


def _update_slots(cluster: Cluster, seen: bytearray, delete: bool) -> None:
    """clusterUpdateSlots: we become (or stop being) the owner; an importing mark has no purpose any more."""
    state = cluster.state
    me = state.myself
    start = 0
    while True:
        slot = seen.find(1, start)
        if slot < 0:
            break
        start = slot + 1
        state.importing.pop(slot, None)
        if delete:
            state.unassign_slot(slot)
        else:
            state.assign_slot(slot, me)
    cluster.request(Todo.UPDATE_STATE | Todo.SAVE_CONFIG)


def _addslots(c: Client, argv: list[bytes], delete: bool) -> None:
    cluster = _cluster(c)
    slots = [_slot(raw) for raw in argv[2:]]
    seen = bytearray(SLOTS)
    for slot in slots:
        _check_slot_assignment(cluster, seen, delete, slot, slot)
    _update_slots(cluster, seen, delete)
    c.out.ok()


def _addslotsrange(c: Client, argv: list[bytes], delete: bool) -> None:
    cluster = _cluster(c)
    if len(argv) % 2 == 1:
        raise ReplyError(errors.wrong_arity(f"cluster|{'delslotsrange' if delete else 'addslotsrange'}"))
    seen = bytearray(SLOTS)
    for j in range(2, len(argv), 2):
        start = _slot(argv[j])
        end = _slot(argv[j + 1])
        if start > end:
            raise ReplyError(errors.cluster_slot_range_reversed(start, end))
        _check_slot_assignment(cluster, seen, delete, start, end)
    _update_slots(cluster, seen, delete)
    c.out.ok()


@subcommand("cluster", "addslots", -3, _ADMIN, since="3.0.0",
            complexity="O(N) where N is the total number of hash slot arguments",
            summary="Assign new hash slots to receiving node", args="slot:integer...")
def cluster_addslots_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER ADDSLOTS slot [slot ...]"""
    _addslots(c, argv, delete=False)


@subcommand("cluster", "delslots", -3, _ADMIN, since="3.0.0",
            complexity="O(N) where N is the total number of hash slot arguments",
            summary="Set hash slots as unbound in receiving node", args="slot:integer...")
def cluster_delslots_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER DELSLOTS slot [slot ...]"""
    _addslots(c, argv, delete=True)


@subcommand("cluster", "addslotsrange", -4, _ADMIN, since="7.0.0",
            complexity="O(N) where N is the total number of the slots between the start slot and end slot "
                       "arguments.",
            summary="Assign new hash slots to receiving node",
            args="start-slot_end-slot:{start-slot:integer end-slot:integer}...")
def cluster_addslotsrange_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER ADDSLOTSRANGE start-slot end-slot [start-slot end-slot ...]"""
    _addslotsrange(c, argv, delete=False)


@subcommand("cluster", "delslotsrange", -4, _ADMIN, since="7.0.0",
            complexity="O(N) where N is the total number of the slots between the start slot and end slot "
                       "arguments.",
            summary="Set hash slots as unbound in receiving node",
            args="start-slot_end-slot:{start-slot:integer end-slot:integer}...")
def cluster_delslotsrange_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER DELSLOTSRANGE start-slot end-slot [start-slot end-slot ...]"""
    _addslotsrange(c, argv, delete=True)


@subcommand("cluster", "flushslots", 2, _ADMIN, since="3.0.0", complexity="O(1)",
            summary="Delete a node's own slots information")
def cluster_flushslots_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER FLUSHSLOTS"""
    cluster = _cluster(c)
    if _db0_size(c) != 0:
        raise ReplyError(errors.CLUSTER_FLUSHSLOTS_NOT_EMPTY)
    cluster.state.unassign_node_slots(cluster.myself)
    cluster.request(Todo.UPDATE_STATE | Todo.SAVE_CONFIG)
    c.out.ok()


@subcommand("cluster", "setslot", -4, _ADMIN, since="3.0.0", complexity="O(1)",
            summary="Bind a hash slot to a specific node",
            args="slot:integer subcommand:{node-id:IMPORTING=string|node-id:MIGRATING=string|"
                 "node-id:NODE=string|stable:STABLE}")
def cluster_setslot_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER SETSLOT slot IMPORTING node-id | MIGRATING node-id | NODE node-id | STABLE"""
    cluster = _cluster(c)
    state = cluster.state
    me = state.myself
    if me.is_replica:
        raise ReplyError(errors.CLUSTER_SETSLOT_ON_REPLICA)
    slot = _slot(argv[2])
    action = argv[3].lower()
    argc = len(argv)
    if action == b"migrating" and argc == 5:
        if state.slots[slot] is not me:
            raise ReplyError(errors.cluster_not_slot_owner(slot))
        node = lookup_node(cluster, argv[4])
        if node is None:
            raise ReplyError(errors.cluster_dont_know_node(argv[4]))
        if node.is_replica:
            raise ReplyError(errors.CLUSTER_TARGET_NOT_PRIMARY)
        state.migrating[slot] = node
    elif action == b"importing" and argc == 5:
        if state.slots[slot] is me:
            raise ReplyError(errors.cluster_already_slot_owner(slot))
        node = lookup_node(cluster, argv[4])
        if node is None:
            raise ReplyError(errors.cluster_dont_know_node(argv[4]))
        if node.is_replica:
            raise ReplyError(errors.CLUSTER_TARGET_NOT_PRIMARY)
        state.importing[slot] = node
    elif action == b"stable" and argc == 4:
        state.importing.pop(slot, None)
        state.migrating.pop(slot, None)
    elif action == b"node" and argc == 5:
        node = lookup_node(cluster, argv[4])
        if node is None:
            raise ReplyError(errors.cluster_unknown_node(argv[4]))
        if node.is_replica:
            raise ReplyError(errors.CLUSTER_TARGET_NOT_PRIMARY)
        _setslot_node(cluster, c, slot, node)
    else:
        raise ReplyError(errors.CLUSTER_SETSLOT_SYNTAX)
    cluster.request(Todo.SAVE_CONFIG | Todo.UPDATE_STATE)
    c.out.ok()


def _setslot_node(cluster: Cluster, c: Client, slot: int, node: Node) -> None:
    """CLUSTER SETSLOT <slot> NODE <id>: the slot's new owner, decided by the administrator."""
    state = cluster.state
    me = state.myself
    db = c.server.dbs[0]
    # A slot we serve may only go elsewhere once its keys have moved.
    if state.slots[slot] is me and node is not me and db.count_keys_in_slot(slot) != 0:
        raise ReplyError(errors.cluster_slot_has_keys(slot))
    # Giving away a migrating slot with no keys left closes the migration.
    if db.count_keys_in_slot(slot) == 0 and slot in state.migrating:
        del state.migrating[slot]
    slot_was_mine = state.slots[slot] is me
    state.move_slot(slot, node)
    # A primary left without slots follows the new owner.
    if (slot_was_mine and node is not me and me.numslots == 0
            and cluster.config["cluster-allow-replica-migration"]):
        cluster.log.warning(f"Configuration change detected. Reconfiguring myself as a replica of {node.name}")
        cluster.set_my_primary(node)
        cluster.request(Todo.SAVE_CONFIG | Todo.UPDATE_STATE | Todo.FSYNC_CONFIG)
    # Closing an import: a new configEpoch (no consensus) so the rest of the cluster accepts our claim.
    if node is me and slot in state.importing:
        if _bump_epoch(cluster):
            cluster.log.warning(f"configEpoch updated after importing slot {slot}")
        del state.importing[slot]
        bus = cluster.bus
        if bus is not None:
            _gossip().broadcast_pong(cluster, "all")


# ------------------------------------------------------------------------------------------------ epochs, config

@subcommand("cluster", "bumpepoch", 2, _ADMIN, since="3.0.0", complexity="O(1)",
            summary="Advance the cluster config epoch", tips="nondeterministic_output")
def cluster_bumpepoch_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER BUMPEPOCH"""
    cluster = _cluster(c)
    bumped = _bump_epoch(cluster)
    c.out.simple(f"{'BUMPED' if bumped else 'STILL'} {cluster.myself.config_epoch}".encode())


@subcommand("cluster", "set-config-epoch", 3, _ADMIN, since="3.0.0", complexity="O(1)",
            summary="Set the configuration epoch in a new node", args="config-epoch:integer")
def cluster_set_config_epoch_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER SET-CONFIG-EPOCH config-epoch"""
    cluster = _cluster(c)
    state = cluster.state
    epoch = parse_int(argv[2])
    if epoch < 0:
        raise ReplyError(errors.cluster_invalid_epoch(epoch))
    if len(state.nodes) > 1:
        raise ReplyError(errors.CLUSTER_EPOCH_OTHER_NODES)
    me = state.myself
    if me.config_epoch != 0:
        raise ReplyError(errors.CLUSTER_EPOCH_NONZERO)
    me.config_epoch = epoch
    cluster.log.warning(f"configEpoch set to {epoch} via CLUSTER SET-CONFIG-EPOCH")
    if state.current_epoch < epoch:
        state.current_epoch = epoch
    # No fsync: a lost epoch is repaired by the collision resolution.
    cluster.request(Todo.UPDATE_STATE | Todo.SAVE_CONFIG)
    c.out.ok()


@subcommand("cluster", "saveconfig", 2, _ADMIN, since="3.0.0", complexity="O(1)",
            summary="Forces the node to save cluster state on disk")
def cluster_saveconfig_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER SAVECONFIG"""
    from ..cluster import nodes_conf

    cluster = _cluster(c)
    if not cluster.save_config_now():
        raise ReplyError(errors.cluster_save_failed(nodes_conf.last_error(cluster)))
    c.out.ok()


@subcommand("cluster", "reset", -2, "ADMIN NOSCRIPT STALE", since="3.0.0",
            complexity="O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a "
                       "side effect.",
            summary="Reset a Redis Cluster node", args="[hard_soft:{hard:HARD|soft:SOFT}]")
def cluster_reset_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER RESET [HARD|SOFT]"""
    cluster = _cluster(c)
    if len(argv) > 3:
        raise ReplyError(errors.subcommand_syntax(argv[1], argv[0]))
    hard = False
    if len(argv) == 3:
        word = argv[2].lower()
        if word == b"hard":
            hard = True
        elif word != b"soft":
            raise ReplyError(errors.SYNTAX)
    # Replicas may be reset with data (it is flushed); primaries must be empty.
    if cluster.myself.is_primary and len(c.db) != 0:
        raise ReplyError(errors.CLUSTER_RESET_WITH_KEYS)
    reset(cluster, hard)
    c.out.ok()


def reset(cluster: Cluster, hard: bool) -> None:
    """clusterReset: forget every other node, release every slot; HARD: a new name and epochs back to 0."""
    from ..persistence.snapshot import empty_data
    from ..replication.replica import unset_primary

    state = cluster.state
    me = state.myself
    server = cluster.server
    if me.is_replica:
        state.set_primary_role(me)
        unset_primary(server)
        empty_data(server)
    state.importing.clear()
    state.migrating.clear()
    try:
        from ..cluster import failover

        failover.reset_manual_failover(cluster)
    except (ImportError, AttributeError):
        pass
    for slot in range(SLOTS):
        state.unassign_slot(slot)
    for node in [n for n in state.nodes.values() if n is not me]:
        _gossip().delete_node(cluster, node)
    if hard:
        state.current_epoch = 0
        state.last_vote_epoch = 0
        me.config_epoch = 0
        cluster.log.warning("configEpoch set to 0 via CLUSTER RESET HARD")
        state.rename_node(me, random_name())
        cluster.log.notice(f"Node hard reset, now I'm {me.name}")
    cluster.request(Todo.SAVE_CONFIG | Todo.UPDATE_STATE | Todo.FSYNC_CONFIG)


# ------------------------------------------------------------------------------------------------ replicas

@subcommand("cluster", "replicate", 3, _ADMIN, since="3.0.0", complexity="O(1)",
            summary="Reconfigure a node as a replica of the specified master node", args="node-id:string")
def cluster_replicate_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER REPLICATE node-id"""
    cluster = _cluster(c)
    node = lookup_node(cluster, argv[2])
    me = cluster.myself
    if node is None:
        raise ReplyError(errors.cluster_unknown_node(argv[2]))
    if node is me:
        raise ReplyError(errors.CLUSTER_REPLICATE_MYSELF)
    if node.is_replica:
        raise ReplyError(errors.CLUSTER_REPLICATE_REPLICA)
    if me.is_primary and (me.numslots != 0 or _db0_size(c) != 0):
        raise ReplyError(errors.CLUSTER_REPLICATE_NOT_EMPTY)
    cluster.set_my_primary(node)
    cluster.request(Todo.UPDATE_STATE | Todo.SAVE_CONFIG)
    c.out.ok()


def _replicas(c: Client, argv: list[bytes]) -> None:
    cluster = _cluster(c)
    node = lookup_node(cluster, argv[2])
    if node is None:
        raise ReplyError(errors.cluster_unknown_node(argv[2]))
    if node.is_replica:
        raise ReplyError(errors.CLUSTER_NOT_A_PRIMARY)
    state = cluster.state
    c.out.array_header(len(node.replicas))
    for replica in node.replicas:
        c.out.bulk(describe.node_line(state, replica).encode("utf-8", "surrogateescape"))


@subcommand("cluster", "replicas", 3, "ADMIN STALE", since="5.0.0", complexity="O(1)",
            summary="List replica nodes of the specified master node", args="node-id:string",
            tips="nondeterministic_output")
def cluster_replicas_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER REPLICAS node-id"""
    _replicas(c, argv)


@subcommand("cluster", "slaves", 3, "ADMIN STALE", since="3.0.0", complexity="O(1)",
            summary="List replica nodes of the specified master node", args="node-id:string",
            tips="nondeterministic_output", doc_flags="deprecated", deprecated_since="5.0.0",
            replaced_by="`CLUSTER REPLICAS`")
def cluster_slaves_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER SLAVES node-id"""
    _replicas(c, argv)


@subcommand("cluster", "count-failure-reports", 3, "ADMIN STALE", since="3.0.0",
            complexity="O(N) where N is the number of failure reports",
            summary="Return the number of failure reports active for a given node", args="node-id:string",
            tips="nondeterministic_output")
def cluster_count_failure_reports_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER COUNT-FAILURE-REPORTS node-id"""
    cluster = _cluster(c)
    node = lookup_node(cluster, argv[2])
    if node is None:
        raise ReplyError(errors.cluster_unknown_node(argv[2]))
    c.out.integer(node.failure_report_count(mstime(), cluster.node_timeout))


@subcommand("cluster", "failover", -2, _ADMIN, since="3.0.0", complexity="O(1)",
            summary="Forces a replica to perform a manual failover of its master.",
            args="[options:{force:FORCE|takeover:TAKEOVER}]")
def cluster_failover_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER FAILOVER [FORCE|TAKEOVER]"""
    from ..cluster import failover

    cluster = _cluster(c)
    if len(argv) > 3:
        raise ReplyError(errors.subcommand_syntax(argv[1], argv[0]))
    mode = ""
    if len(argv) == 3:
        word = argv[2].lower()
        if word not in (b"force", b"takeover"):
            raise ReplyError(errors.SYNTAX)
        mode = word.decode()
    failover.manual_failover(cluster, c, mode)


# ------------------------------------------------------------------------------------------------ keys

@subcommand("cluster", "keyslot", 3, "STALE", since="3.0.0",
            complexity="O(N) where N is the number of bytes in the key",
            summary="Returns the hash slot of the specified key", args="key:string")
def cluster_keyslot_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER KEYSLOT key"""
    _cluster(c)
    c.out.integer(key_hash_slot(argv[2]))


@subcommand("cluster", "countkeysinslot", 3, "STALE", since="3.0.0", complexity="O(1)",
            summary="Return the number of local keys in the specified hash slot", args="slot:integer")
def cluster_countkeysinslot_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER COUNTKEYSINSLOT slot"""
    _cluster(c)
    slot = parse_int(argv[2])
    if not 0 <= slot < SLOTS:
        raise ReplyError(errors.CLUSTER_COUNTKEYS_BAD_SLOT)
    c.out.integer(c.server.dbs[0].count_keys_in_slot(slot))


@subcommand("cluster", "getkeysinslot", 4, "STALE", since="3.0.0",
            complexity="O(log(N)) where N is the number of requested keys",
            summary="Return local key names in the specified hash slot", args="slot:integer count:integer",
            tips="nondeterministic_output")
def cluster_getkeysinslot_command(c: Client, argv: list[bytes]) -> None:
    """CLUSTER GETKEYSINSLOT slot count"""
    _cluster(c)
    slot = parse_int(argv[2])
    count = parse_int(argv[3])
    if not 0 <= slot < SLOTS or count < 0:
        raise ReplyError(errors.CLUSTER_GETKEYS_BAD_ARGS)
    db = c.server.dbs[0]
    keys = db.keys_in_slot(slot, min(count, db.count_keys_in_slot(slot)))
    c.out.array_header(len(keys))
    for key in keys:
        c.out.bulk(key)

