"""Replica elections, primary votes, manual failover and replica migration (Redis 7.0's cluster.c).

A replica whose primary is FAIL waits a delay ranked by its replication offset, asks every primary for a vote
in a new epoch (FAILOVER_AUTH_REQUEST) and, with a majority of the slot-owning primaries, takes its primary's
slots under that epoch (promote_myself). A primary votes at most once per epoch, persisting the vote first.
CLUSTER FAILOVER runs the same election after the primary paused its writers and the replica caught up
(default), without that agreement (FORCE), or without any election (TAKEOVER).

Decisions only: messages go out through gossip.py's senders (reached via `_gossip()`, which unit tests
replace), replication through replication/replica.py. Times are wall-clock ms (node.mstime), as on the bus.
"""
from __future__ import annotations

import importlib
import random
import time
from typing import TYPE_CHECKING, Any

from .. import errors
from ..errors import ReplyError
from .node import Node, NodeFlag
from .state import (
    CANT_FAILOVER_DATA_AGE,
    CANT_FAILOVER_EXPIRED,
    CANT_FAILOVER_NONE,
    CANT_FAILOVER_WAITING_DELAY,
    CANT_FAILOVER_WAITING_VOTES,
    Todo,
)

if TYPE_CHECKING:
    from ..server.client import Client
    from .manager import Cluster

MF_TIMEOUT = 5000               # CLUSTER_MF_TIMEOUT (ms)
MF_PAUSE_MULT = 2               # CLUSTER_MF_PAUSE_MULT: a primary pauses writers for twice the MF timeout
MIGRATION_DELAY = 5000          # CLUSTER_SLAVE_MIGRATION_DELAY (ms)
CANT_FAILOVER_RELOG_PERIOD = 300    # seconds (CLUSTER_CANT_FAILOVER_RELOG_PERIOD)
FLAG0_PAUSED = 1                # CLUSTERMSG_FLAG0_PAUSED: the primary's offset is final (writers paused)
FLAG0_FORCEACK = 2              # CLUSTERMSG_FLAG0_FORCEACK: vote although the primary is up (manual failover)
MSG_PING = 0                    # CLUSTERMSG_TYPE_PING

_CANT_FAILOVER_TEXT = {
    CANT_FAILOVER_DATA_AGE: "Disconnected from master for longer than allowed. Please check the "
                            "'cluster-replica-validity-factor' configuration option.",
    CANT_FAILOVER_WAITING_DELAY: "Waiting the delay before I can start a new failover.",
    CANT_FAILOVER_EXPIRED: "Failover attempt expired.",
    CANT_FAILOVER_WAITING_VOTES: "Waiting for votes, but majority still not reached.",
}


def _gossip() -> Any:
    """gossip.py, imported late (it imports this module); unit tests replace this function."""
    return importlib.import_module(".gossip", __package__)


def _jitter() -> int:
    """The random part of the election delay (random() % 500)."""
    return random.randrange(500)


def _flags0(header: Any) -> int:
    mflags = header.mflags
    return mflags[0] if mflags else 0


# ------------------------------------------------------------------------------------------- offsets


def my_repl_offset(cluster: Cluster) -> int:
    """The offset myself announces in headers: master_repl_offset on a primary, on a replica the offset of
    the stream processed so far (replicationGetSlaveOffset: the cached primary's when the link is down, 0
    without one)."""
    repl = cluster.server.repl
    if not cluster.state.myself.is_replica:
        return int(repl.offset)
    link = repl.link
    if link is None:
        return 0
    if link.client is not None:
        return max(0, int(repl.offset))
    if link.psync is not None:
        return max(0, int(link.psync[1]) - 1)
    return 0


def _data_age_ms(cluster: Cluster) -> float:
    """How long (ms) our data has been without news from the primary: since the last byte of the stream
    while the link is up, else since the link went down (forever when it never came up)."""
    link = cluster.server.repl.link
    now = time.monotonic()
    if link is not None and link.client is not None:
        return (now - float(link.client.last_interaction)) * 1000.0
    since = link.down_since if link is not None else None
    if since is None:
        return time.time() * 1000.0     # repl_down_since 0, as Redis counts it
    return (now - float(since)) * 1000.0


# ------------------------------------------------------------------------------------------- logging


def _log_cant_failover(cluster: Cluster, reason: int, now: int) -> None:
    """clusterLogCantFailover: log why we can't fail over, only on a new reason or every 5 minutes, and not
    in the first node-timeout + 5 s after the primary failed."""
    state = cluster.state
    wall = time.time()
    if reason == state.cant_failover_reason and wall - state.cant_failover_log_time < CANT_FAILOVER_RELOG_PERIOD:
        return
    state.cant_failover_reason = reason
    primary = state.myself.primary
    if primary is not None and primary.failed and now - primary.fail_time < cluster.node_timeout + 5000:
        return
    state.cant_failover_log_time = wall
    cluster.log.warning(f"Currently unable to failover: {_CANT_FAILOVER_TEXT.get(reason, 'Unknown reason code.')}")


# ------------------------------------------------------------------------------------------- the replica's election


def replica_rank(cluster: Cluster) -> int:
    """clusterGetSlaveRank: how many other failover-capable replicas of our primary announced a greater
    replication offset than ours (0 = the most up to date)."""
    me = cluster.state.myself
    primary = me.primary
    if primary is None:
        return 0
    mine = my_repl_offset(cluster)
    return sum(1 for r in primary.replicas
               if r is not me and not r.flags & NodeFlag.NOFAILOVER and r.repl_offset > mine)


def auth_timeouts(node_timeout: int) -> tuple[int, int]:
    """(auth timeout, retry time): MAX(node timeout * 2, 2000) and twice that."""
    timeout = max(node_timeout * 2, 2000)
    return timeout, timeout * 2


def data_too_old(data_age_ms: float, node_timeout: int, validity_factor: int, ping_period_s: int) -> bool:
    """The data-age check of clusterHandleSlaveFailover (the node timeout is the baseline, not counted)."""
    if data_age_ms > node_timeout:
        data_age_ms -= node_timeout
    return bool(validity_factor) and data_age_ms > ping_period_s * 1000 + node_timeout * validity_factor


def handle_replica_failover(cluster: Cluster, now: int) -> None:
    """clusterHandleSlaveFailover: runs every cron tick on a replica (and in beforeSleep when votes came)."""
    state = cluster.state
    me = state.myself
    cfg = cluster.config
    state.todo &= ~Todo.HANDLE_FAILOVER
    node_timeout = cluster.node_timeout
    auth_age = now - state.failover_auth_time
    needed_quorum = state.size // 2 + 1
    manual = state.mf_end != 0 and state.mf_can_start
    auth_timeout, auth_retry_time = auth_timeouts(node_timeout)
    primary = me.primary
    if (me.is_primary or primary is None or (not primary.failed and not manual)
            or (cfg["cluster-replica-no-failover"] and not manual) or primary.numslots == 0):
        state.cant_failover_reason = CANT_FAILOVER_NONE
        return

    if data_too_old(_data_age_ms(cluster), node_timeout, int(cfg["cluster-replica-validity-factor"]),
                    int(cfg["repl-ping-replica-period"])) and not manual:
        _log_cant_failover(cluster, CANT_FAILOVER_DATA_AGE, now)
        return

    if auth_age > auth_retry_time:
        # A new attempt: a fixed 500 ms for the FAIL to propagate, up to 500 ms of jitter, 1 s per rank.
        state.failover_auth_time = now + 500 + _jitter()
        state.failover_auth_count = 0
        state.failover_auth_sent = False
        state.failover_auth_rank = replica_rank(cluster)
        state.failover_auth_time += state.failover_auth_rank * 1000
        if state.mf_end:
            state.failover_auth_time = now
            state.failover_auth_rank = 0
            cluster.request(Todo.HANDLE_FAILOVER)
        cluster.log.warning(f"Start of election delayed for {state.failover_auth_time - now} milliseconds "
                            f"(rank #{state.failover_auth_rank}, offset {my_repl_offset(cluster)}).")
        # Siblings learn our offset now, so that a better one among them delays us, or us them.
        _gossip().broadcast_pong(cluster, "local_replicas")
        return

    # Siblings' offsets may have come in since: a worse rank means more delay (not for a manual failover).
    if not state.failover_auth_sent and state.mf_end == 0:
        new_rank = replica_rank(cluster)
        if new_rank > state.failover_auth_rank:
            added = (new_rank - state.failover_auth_rank) * 1000
            state.failover_auth_time += added
            state.failover_auth_rank = new_rank
            cluster.log.warning(f"Replica rank updated to #{new_rank}, added {added} milliseconds of delay.")

    if now < state.failover_auth_time:
        _log_cant_failover(cluster, CANT_FAILOVER_WAITING_DELAY, now)
        return
    if auth_age > auth_timeout:
        _log_cant_failover(cluster, CANT_FAILOVER_EXPIRED, now)
        return

    if not state.failover_auth_sent:
        state.current_epoch += 1
        state.failover_auth_epoch = state.current_epoch
        cluster.log.warning(f"Starting a failover election for epoch {state.current_epoch}.")
        _gossip().send_auth_request(cluster)    # FORCEACK set by the header builder while state.mf_end != 0
        state.failover_auth_sent = True
        cluster.request(Todo.SAVE_CONFIG | Todo.UPDATE_STATE | Todo.FSYNC_CONFIG)
        return

    if state.failover_auth_count >= needed_quorum:
        cluster.log.warning("Failover election won: I'm the new master.")
        if me.config_epoch < state.failover_auth_epoch:
            me.config_epoch = state.failover_auth_epoch
            cluster.log.warning(f"configEpoch set to {me.config_epoch} after successful failover")
        promote_myself(cluster)
    else:
        _log_cant_failover(cluster, CANT_FAILOVER_WAITING_VOTES, now)


def on_auth_ack(cluster: Cluster, sender: Node | None, header: Any, now: int) -> None:
    """FAILOVER_AUTH_ACK: a vote counts when it comes from a primary serving slots, in our election's epoch
    or later."""
    state = cluster.state
    if sender is None:
        return
    if sender.is_primary and sender.numslots > 0 and int(header.current_epoch) >= state.failover_auth_epoch:
        state.failover_auth_count += 1
        cluster.request(Todo.HANDLE_FAILOVER)    # maybe that was the majority: check at once


def promote_myself(cluster: Cluster) -> None:
    """clusterFailoverReplaceYourMaster: become a primary (keeping the data and, for the old primary's other
    replicas, the replication history), take every slot of the old primary, save, and tell everybody."""
    from ..replication.replica import unset_primary

    state = cluster.state
    me = state.myself
    old = me.primary
    if me.is_primary or old is None:
        return
    state.set_primary_role(me)
    unset_primary(cluster.server)
    for slot in old.slot_list():
        state.move_slot(slot, me)
    cluster.update_state()
    cluster.save_config_now()
    _gossip().broadcast_pong(cluster, "all")
    reset_manual_failover(cluster)
    # The won election is spent. Redis keeps its count and timer, so a node demoted again and asked to fail
    # over within the retry window "wins" at once with the old epoch and is overruled (seen with back-to-back
    # CLUSTER FAILOVERs); forgetting them makes the next failover hold a fresh election.
    state.failover_auth_time = 0
    state.failover_auth_count = 0
    state.failover_auth_sent = False


# ------------------------------------------------------------------------------------------- the primary's vote


def _slot_epoch_conflict(cluster: Cluster, claimed: bytes, config_epoch: int) -> tuple[int, int] | None:
    """The first slot claimed in `claimed` whose owner has a configEpoch greater than `config_epoch`."""
    slots = cluster.state.slots
    for byte_index, byte in enumerate(claimed):
        if not byte:
            continue
        base = byte_index << 3
        for bit in range(8):
            if byte & (1 << bit):
                owner = slots[base + bit]
                if owner is not None and owner.config_epoch > config_epoch:
                    return base + bit, owner.config_epoch
    return None


def on_auth_request(cluster: Cluster, sender: Node | None, header: Any, now: int) -> None:
    """clusterSendFailoverAuthIfNeeded: vote for `sender` if every condition holds; the vote reaches
    nodes.conf (fsynced) before the ACK leaves."""
    state = cluster.state
    me = state.myself
    log = cluster.log
    if sender is None:
        return
    # Only primaries serving slots vote: the quorum counts them.
    if me.is_replica or me.numslots == 0:
        return
    req_current = int(header.current_epoch)
    req_config = int(header.config_epoch)
    force_ack = bool(_flags0(header) & FLAG0_FORCEACK)
    name = sender.name
    if req_current < state.current_epoch:
        log.warning(f"Failover auth denied to {name}: reqEpoch ({req_current}) < curEpoch({state.current_epoch})")
        return
    if state.last_vote_epoch == state.current_epoch:
        log.warning(f"Failover auth denied to {name}: already voted for epoch {state.current_epoch}")
        return
    primary = sender.primary
    if sender.is_primary or primary is None or (not primary.failed and not force_ack):
        if sender.is_primary:
            log.warning(f"Failover auth denied to {name}: it is a master node")
        elif primary is None:
            log.warning(f"Failover auth denied to {name}: I don't know its master")
        else:
            log.warning(f"Failover auth denied to {name}: its master is up")
        return
    # One vote per primary's replicas per two node timeouts: not needed for safety, keeps elections linear.
    node_timeout = cluster.node_timeout
    if now - primary.voted_time < node_timeout * 2:
        log.warning(f"Failover auth denied to {name}: can't vote about this master before "
                    f"{node_timeout * 2 - (now - primary.voted_time)} milliseconds")
        return
    conflict = _slot_epoch_conflict(cluster, bytes(header.myslots), req_config)
    if conflict is not None:
        slot, epoch = conflict
        log.warning(f"Failover auth denied to {name}: slot {slot} epoch ({epoch}) > reqEpoch ({req_config})")
        return
    state.last_vote_epoch = state.current_epoch
    primary.voted_time = now
    cluster.save_config_now()
    _gossip().send_auth_ack(cluster, sender)
    log.warning(f"Failover auth granted to {name} for epoch {state.current_epoch}")


# ------------------------------------------------------------------------------------------- manual failover


def _pause_writers(cluster: Cluster, seconds: float) -> None:
    """Pause writes for the manual failover, remembering any CLIENT PAUSE it overlaps (Redis keeps pause
    purposes apart; the server keeps one pause, so ours is undone by restoring the previous one)."""
    server = cluster.server
    state = cluster.state
    if state.mf_pause_saved is None:
        state.mf_pause_saved = (server.pause_end, server.pause_all)
    server.pause(seconds, False)
    state.mf_pause_end = server.pause_end


def _unpause_writers(cluster: Cluster) -> None:
    """unpauseClients(PAUSE_DURING_FAILOVER): end our pause, giving back a CLIENT PAUSE we overlapped."""
    server = cluster.server
    state = cluster.state
    saved = state.mf_pause_saved
    ours = state.mf_pause_end
    state.mf_pause_saved = None
    state.mf_pause_end = None
    if server.pause_end is not None and ours is not None and server.pause_end > ours:
        return      # a CLIENT PAUSE issued meanwhile outlasts ours: leave it
    prev_end, prev_all = saved if saved is not None else (None, False)
    server.unpause()
    left = prev_end - time.monotonic() if prev_end is not None else 0.0
    if left > 0:
        server.pause(left, prev_all)


def reset_manual_failover(cluster: Cluster) -> None:
    """resetManualFailover: forget any manual failover in progress (on a primary: unpause the writers)."""
    state = cluster.state
    if state.mf_replica is not None:
        _unpause_writers(cluster)
    state.mf_end = 0
    state.mf_can_start = False
    state.mf_replica = None
    state.mf_primary_offset = -1


def check_manual_failover_timeout(cluster: Cluster, now: int) -> None:
    """manualFailoverCheckTimeout."""
    state = cluster.state
    if state.mf_end and state.mf_end < now:
        cluster.log.warning("Manual failover timed out.")
        reset_manual_failover(cluster)


def handle_manual_failover(cluster: Cluster, now: int) -> None:
    """clusterHandleManualFailover (replica): once our offset reaches the one the paused primary announced,
    the election may start."""
    state = cluster.state
    if state.mf_end == 0 or state.mf_can_start or state.mf_primary_offset == -1:
        return
    if state.mf_primary_offset == my_repl_offset(cluster):
        state.mf_can_start = True
        cluster.log.warning("All master replication stream processed, manual failover can start.")
        cluster.request(Todo.HANDLE_FAILOVER)
        return
    # Not there yet: the replica link asks again when more of the stream is applied (replica.py), and the
    # cron every 100 ms.
    state.todo |= Todo.HANDLE_MANUALFAILOVER


def on_mfstart(cluster: Cluster, sender: Node | None, now: int) -> None:
    """MFSTART from one of our replicas: pause writers for twice the MF timeout and send the replica our
    offset in a PING flagged PAUSED (the header builder sets PAUSED while state.mf_end is set on a primary)."""
    state = cluster.state
    if sender is None or sender.primary is not state.myself:
        return
    reset_manual_failover(cluster)
    state.mf_end = now + MF_TIMEOUT
    state.mf_replica = sender
    _pause_writers(cluster, MF_TIMEOUT * MF_PAUSE_MULT / 1000.0)
    cluster.log.warning(f"Manual failover requested by replica {sender.name}.")
    link = sender.link or sender.inbound_link
    if link is not None:
        _gossip().send_ping(cluster, link, MSG_PING)


def on_primary_ping(cluster: Cluster, sender: Node | None, header: Any) -> None:
    """Any message from our primary during our manual failover: with PAUSED set it carries the offset we
    must reach before asking for votes."""
    state = cluster.state
    me = state.myself
    if (sender is None or not state.mf_end or not me.is_replica or me.primary is not sender
            or not _flags0(header) & FLAG0_PAUSED or state.mf_primary_offset != -1):
        return
    state.mf_primary_offset = int(header.offset)
    cluster.request(Todo.HANDLE_MANUALFAILOVER)
    cluster.log.warning(f"Received replication offset for paused master manual failover: "
                        f"{state.mf_primary_offset}")


def manual_failover(cluster: Cluster, c: Client, mode: str) -> None:
    """CLUSTER FAILOVER [FORCE|TAKEOVER] (mode "", "force" or "takeover"): start it and reply +OK."""
    state = cluster.state
    me = state.myself
    mode = mode.lower()
    takeover = mode == "takeover"
    force = takeover or mode == "force"
    primary = me.primary
    if me.is_primary:
        raise ReplyError(errors.CLUSTER_FAILOVER_NOT_REPLICA)
    if primary is None:
        raise ReplyError(errors.CLUSTER_FAILOVER_NO_PRIMARY)
    if not force and (primary.failed or primary.link is None):
        raise ReplyError(errors.CLUSTER_FAILOVER_PRIMARY_DOWN)
    reset_manual_failover(cluster)
    now = cluster.state.now()
    state.mf_end = now + MF_TIMEOUT
    log = cluster.log
    if takeover:
        # No agreement from anybody: a new configEpoch of our own, then the slots.
        log.warning("Taking over the master (user request).")
        if state.bump_config_epoch():
            log.warning(f"New configEpoch set to {me.config_epoch}")
        promote_myself(cluster)
    elif force:
        log.warning("Forced failover user request accepted.")
        state.mf_can_start = True
        cluster.request(Todo.HANDLE_FAILOVER)
    else:
        log.warning("Manual failover user request accepted.")
        _gossip().send_mfstart(cluster, primary)
    c.out.ok()


# ------------------------------------------------------------------------------------------- roles


def set_my_primary(cluster: Cluster, primary: Node) -> None:
    """clusterSetMaster: myself becomes a replica of `primary` (a primary first drops its importing/migrating
    markers) and replicates from primary.ip:primary.port."""
    from ..replication.replica import set_primary

    state = cluster.state
    me = state.myself
    if primary is me:
        return
    if me.numslots:
        # Redis asserts the callers already took our slots away; never keep serving them as a replica.
        cluster.log.warning(f"Setting my master while still owning {me.numslots} slots: releasing them.")
        state.unassign_node_slots(me)
    if me.is_primary:
        state.migrating.clear()
        state.importing.clear()
    state.set_replica_of(me, primary)
    if primary.ip and primary.port:
        set_primary(cluster.server, primary.ip, primary.port)
    reset_manual_failover(cluster)
    cluster.request(Todo.SAVE_CONFIG | Todo.UPDATE_STATE)


def start_replication(cluster: Cluster, *, at_boot: bool = False) -> bool:
    """clusterCron's "a replica with replication off starts it once its primary's address is known". At
    start-up the dump's replication id/offset is offered to the primary (a partial resync after a restart)."""
    from ..replication.replica import _history_from_dump, set_primary

    me = cluster.state.myself
    server = cluster.server
    primary = me.primary
    if (not me.is_replica or server.repl.link is not None or primary is None or not primary.has_addr
            or not primary.ip or not primary.port):
        return False
    if at_boot:
        set_primary(server, primary.ip, primary.port, from_config=True, cached=_history_from_dump(server))
    else:
        set_primary(server, primary.ip, primary.port)
    return True


# ------------------------------------------------------------------------------------------- replica migration


def _orphan_scan(cluster: Cluster, now: int) -> tuple[int, int, int]:
    """clusterCron's orphaned-primary bookkeeping (on a replica): (orphaned primaries, the most working
    replicas a primary has, how many our primary has)."""
    state = cluster.state
    me = state.myself
    orphaned = max_replicas = mine = 0
    skip = NodeFlag.MYSELF | NodeFlag.NOADDR | NodeFlag.HANDSHAKE
    for node in state.nodes.values():
        if node.flags & skip or not node.is_primary or node.failed:
            continue
        ok = node.healthy_replica_count()
        if ok == 0 and node.numslots > 0 and node.flags & NodeFlag.MIGRATE_TO:
            orphaned += 1
        max_replicas = max(max_replicas, ok)
        if me.primary is node:
            mine = ok
    return orphaned, max_replicas, mine


def handle_replica_migration(cluster: Cluster, max_replicas: int, now: int) -> None:
    """clusterHandleSlaveMigration: the replica with the smallest name among the primaries with the most
    working replicas moves to an orphaned primary (orphaned for MIGRATION_DELAY), if its own primary keeps
    more than cluster-migration-barrier working replicas."""
    state = cluster.state
    me = state.myself
    my_primary = me.primary
    if not state.ok or my_primary is None:
        return
    ok_replicas = sum(1 for r in my_primary.replicas if not r.failed and not r.timed_out)
    if ok_replicas <= int(cluster.config["cluster-migration-barrier"]):
        return
    candidate = me
    target: Node | None = None
    for node in state.nodes.values():
        orphaned = not (node.is_replica or node.failed) and bool(node.flags & NodeFlag.MIGRATE_TO)
        ok = node.healthy_replica_count() if node.is_primary else 0
        if ok > 0:
            orphaned = False
        if orphaned:
            if target is None and node.numslots > 0:
                target = node
            if not node.orphaned_time:
                node.orphaned_time = now
        else:
            node.orphaned_time = 0
        if ok == max_replicas:
            for replica in node.replicas:
                if replica.name < candidate.name:
                    candidate = replica
    if target is not None and candidate is me and now - target.orphaned_time > MIGRATION_DELAY:
        cluster.log.warning(f"Migrating to orphaned master {target.name}")
        set_my_primary(cluster, target)


# ------------------------------------------------------------------------------------------- cron


def cron(cluster: Cluster, now: int) -> None:
    """clusterCron's failover part, every 100 ms: start replication on a replica that has none, ping the
    replica of a manual failover (primary), time the manual failover out, run the replica's manual
    failover, election and migration."""
    state = cluster.state
    me = state.myself
    # cluster-replica-no-failover travels as our NOFAILOVER flag (clusterUpdateMyselfFlags).
    nofailover = NodeFlag.NOFAILOVER if cluster.config["cluster-replica-no-failover"] else 0
    if me.flags & NodeFlag.NOFAILOVER != nofailover:
        me.flags = (me.flags & ~NodeFlag.NOFAILOVER) | nofailover
        cluster.request(Todo.SAVE_CONFIG | Todo.UPDATE_STATE)
    if me.is_replica and cluster.server.repl.link is None:
        start_replication(cluster)
    check_manual_failover_timeout(cluster, now)
    if not me.is_replica:
        return
    handle_manual_failover(cluster, now)
    handle_replica_failover(cluster, now)
    orphaned, max_replicas, mine = _orphan_scan(cluster, now)
    if orphaned and max_replicas >= 2 and mine == max_replicas and cluster.config["cluster-allow-replica-migration"]:
        handle_replica_migration(cluster, max_replicas, now)


def on_stream_applied(cluster: Cluster) -> None:
    """The replica link applied more of the stream: a manual failover waiting for the offset checks now."""
    state = cluster.state
    if state.mf_end and state.mf_primary_offset != -1 and not state.mf_can_start:
        cluster.request(Todo.HANDLE_MANUALFAILOVER)
