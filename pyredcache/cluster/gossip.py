"""Gossip: what a node does with each bus message and on each clusterCron tick (Redis 7.0's src/cluster.c).

clusterProcessPacket (`process_message`), clusterProcessGossipSection, the ping extensions, clusterCron
(`cron`), clusterUpdateState (`update_state`), the handshake (clusterStartHandshake, the MEET / first PONG
renaming), PFAIL → FAIL agreement (markNodeAsFailingIfNeeded / clearNodeFailureIfNeeded), configEpoch
collisions, slot ownership by configEpoch (clusterUpdateSlotsConfigWith, UPDATE messages), and every sender
(clusterSendPing, clusterBroadcastPong, clusterSendFail, clusterSendUpdate, clusterPropagatePublish, the
failover messages). Sockets are bus.py's; elections and votes are failover.py's.

State changes that must reach nodes.conf or cluster_state set Todo flags; `cluster.request(0)` at the end
of a message or a tick schedules the single beforeSleep pass that handles them.
"""
from __future__ import annotations

import random
import socket
import time
from typing import TYPE_CHECKING, Any

from . import messages as m
from .node import SLOTS, Node, NodeFlag, mstime
from .nodes_conf import announced_ports
from .state import Todo

if TYPE_CHECKING:
    from .bus import Link
    from .manager import Cluster

F = NodeFlag
FLAG0_PAUSED = 1
FLAG0_FORCEACK = 2

FAIL_UNDO_TIME_MULT = 2       # CLUSTER_FAIL_UNDO_TIME_MULT
MAX_REJOIN_DELAY = 5000       # CLUSTER_MAX_REJOIN_DELAY
MIN_REJOIN_DELAY = 500
WRITABLE_DELAY = 2000         # CLUSTER_WRITABLE_DELAY
_HEX = frozenset("0123456789abcdef")

_pings_sent = 0               # clusterSendPing's static counter: marks nodes already in this packet's gossip


def _failover() -> Any:
    """failover.py (elections, votes, manual failover), imported late (it imports this module); unit tests
    replace this function to leave it out."""
    try:
        from . import failover
    except ImportError:
        return None
    return failover


def _call_failover(name: str, *args: Any) -> None:
    fo = _failover()
    if fo is not None:
        getattr(fo, name)(*args)


def _save_update(cluster: Cluster) -> None:
    cluster.state.todo |= Todo.SAVE_CONFIG | Todo.UPDATE_STATE


def valid_name(name: str) -> bool:
    """verifyClusterNodeId: 40 lower-case hex characters."""
    return len(name) == 40 and _HEX.issuperset(name)


# =====================================================================================================
# headers and senders
# =====================================================================================================


def my_repl_offset(cluster: Cluster) -> int:
    fn = getattr(_failover(), "my_repl_offset", None)
    if fn is not None:
        return int(fn(cluster))
    return int(cluster.server.repl.offset)


def build_header(cluster: Cluster, mtype: int, mflags0: int = 0) -> m.Header:
    """clusterBuildMessageHdr: a replica advertises its primary's slots and configEpoch."""
    state = cluster.state
    me = state.myself
    primary = me.primary if me.is_replica and me.primary is not None else me
    port, pport, cport = announced_ports(cluster.config)
    if me.is_primary and state.mf_end:
        mflags0 |= FLAG0_PAUSED
    return m.Header(
        type=mtype, sender=me.name.encode(), current_epoch=state.current_epoch,
        config_epoch=primary.config_epoch, offset=my_repl_offset(cluster), myslots=bytes(primary.slots),
        slaveof=me.primary.name.encode() if me.primary is not None else None,
        myip=cluster.config["cluster-announce-ip"] or "", port=port, pport=pport, cport=cport,
        flags=me.flags, state=m.CLUSTER_STATE_OK if state.ok else m.CLUSTER_STATE_FAIL,
        mflags=bytes((mflags0, 0, 0)))


def _gossip_entry(n: Node) -> m.Gossip:
    """clusterSetGossipEntry."""
    return m.Gossip(n.name.encode(), n.ping_sent // 1000, n.pong_received // 1000, n.ip, n.port, n.cport,
                    n.flags, n.pport)


def send_ping(cluster: Cluster, link: Link, mtype: int = m.TYPE_PING) -> None:
    """clusterSendPing: PING / PONG / MEET with gossip about max(3, N/10) random nodes plus every PFAIL one."""
    global _pings_sent
    _pings_sent += 1
    mark = _pings_sent
    state = cluster.state
    me = state.myself
    nodes = state.nodes
    freshnodes = len(nodes) - 2
    wanted = max(3, len(nodes) // 10)
    wanted = min(wanted, freshnodes)
    pfail_wanted = state.stats_pfail_nodes
    if not link.inbound and mtype == m.TYPE_PING and link.node is not None:
        link.node.ping_sent = mstime()
    gossip: list[m.Gossip] = []
    if freshnodes > 0 and wanted > 0:
        pool = list(nodes.values())
        target = link.node
        maxiterations = wanted * 3
        while freshnodes > 0 and len(gossip) < wanted and maxiterations > 0:
            maxiterations -= 1
            this = random.choice(pool)
            if this is me or this is target:
                continue
            flags = this.flags
            if flags & F.PFAIL:
                continue   # added below
            if flags & (F.HANDSHAKE | F.NOADDR) or (this.link is None and this.numslots == 0):
                freshnodes -= 1   # not exact, as Redis: saves iterations
                continue
            if this.last_in_ping_gossip == mark:
                continue
            gossip.append(_gossip_entry(this))
            this.last_in_ping_gossip = mark
            freshnodes -= 1
    if pfail_wanted:
        for node in nodes.values():
            if pfail_wanted <= 0:
                break
            if node.flags & (F.HANDSHAKE | F.NOADDR) or not node.flags & F.PFAIL:
                continue
            gossip.append(_gossip_entry(node))
            pfail_wanted -= 1
    body = m.PingBody(gossip, hostname=me.hostname or None)
    link.send(m.encode(m.Message(build_header(cluster, mtype), body)))


def broadcast_pong(cluster: Cluster, target: str = "all") -> None:
    """clusterBroadcastPong: "all" known nodes, or "local_replicas" (the replicas of my primary/me)."""
    me = cluster.state.myself
    for node in list(cluster.state.nodes.values()):
        link = node.link
        if link is None or node is me or node.in_handshake:
            continue
        if target == "local_replicas":
            if not (node.is_replica and node.primary is not None
                    and (node.primary is me or node.primary is me.primary)):
                continue
        send_ping(cluster, link, m.TYPE_PONG)


def broadcast(cluster: Cluster, data: bytes) -> None:
    """clusterBroadcastMessage: every node but myself and handshake ones, on our outbound link."""
    for node in cluster.state.nodes.values():
        if node.flags & (F.MYSELF | F.HANDSHAKE):
            continue
        if node.link is not None:
            node.link.send(data)


def send_fail(cluster: Cluster, node: Node) -> None:
    """clusterSendFail."""
    hdr = build_header(cluster, m.TYPE_FAIL)
    broadcast(cluster, m.encode(m.Message(hdr, m.FailBody(node.name.encode()))))


def send_update(cluster: Cluster, link: Link | None, node: Node) -> None:
    """clusterSendUpdate: tell a node with a stale view who owns `node`'s slots now."""
    if link is None:
        return
    body = m.UpdateBody(node.config_epoch, node.name.encode(), bytes(node.slots))
    link.send(m.encode(m.Message(build_header(cluster, m.TYPE_UPDATE), body)))


def broadcast_publish(cluster: Cluster, channel: bytes, message: bytes, shard: bool = False) -> None:
    """clusterPropagatePublish: PUBLISH to every node; PUBLISHSHARD to the other nodes of my shard."""
    mtype = m.TYPE_PUBLISHSHARD if shard else m.TYPE_PUBLISH
    data = m.encode(m.Message(build_header(cluster, mtype), m.PublishBody(bytes(channel), bytes(message))))
    if not shard:
        broadcast(cluster, data)
        return
    me = cluster.state.myself
    primary = me if me.is_primary else me.primary
    if primary is None:
        return
    for node in [primary, *primary.replicas]:
        if node.flags & (F.MYSELF | F.HANDSHAKE) or node.link is None:
            continue
        node.link.send(data)


def send_auth_request(cluster: Cluster) -> None:
    """clusterRequestFailoverAuth: to everybody; FORCEACK during a manual failover."""
    mflags0 = FLAG0_FORCEACK if cluster.state.mf_end else 0
    broadcast(cluster, m.encode(m.Message(build_header(cluster, m.TYPE_FAILOVER_AUTH_REQUEST, mflags0))))


def send_auth_ack(cluster: Cluster, node: Node) -> None:
    """clusterSendFailoverAuth."""
    if node.link is not None:
        node.link.send(m.encode(m.Message(build_header(cluster, m.TYPE_FAILOVER_AUTH_ACK))))


def send_mfstart(cluster: Cluster, primary: Node) -> None:
    """clusterSendMFStart."""
    if primary.link is not None:
        primary.link.send(m.encode(m.Message(build_header(cluster, m.TYPE_MFSTART))))


# =====================================================================================================
# nodes: handshake, forget, delete, addresses
# =====================================================================================================


def normalize_ip(ip: str) -> str | None:
    """inet_pton + inet_ntop, as clusterStartHandshake; None when not an IP address."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            return socket.inet_ntop(family, socket.inet_pton(family, ip))
        except (OSError, ValueError):
            continue
    return None


def handshake_in_progress(cluster: Cluster, ip: str, port: int, cport: int) -> bool:
    """clusterHandshakeInProgress."""
    ip = ip.lower()
    return any(n.in_handshake and n.ip.lower() == ip and n.port == port and n.cport == cport
               for n in cluster.state.nodes.values())


def start_handshake(cluster: Cluster, ip: str, port: int, cport: int) -> bool:
    """clusterStartHandshake. False only for an invalid address (CLUSTER MEET's error); a handshake already
    in progress for the address is fine (Redis's EAGAIN, which MEET answers with OK)."""
    norm = normalize_ip(ip)
    if norm is None or not 0 < port <= 65535 or not 0 < cport <= 65535:
        return False
    if handshake_in_progress(cluster, norm, port, cport):
        return True
    node = Node(None, F.HANDSHAKE | F.MEET)
    node.ip = norm
    node.port = port
    node.cport = cport
    cluster.state.add_node(node)
    return True


def delete_node(cluster: Cluster, node: Node) -> None:
    """clusterDelNode + freeClusterNode: the state transition plus both links."""
    if node.link is not None:
        node.link.close()
    if node.inbound_link is not None:
        node.inbound_link.close()
    state = cluster.state
    state.remove_node(node)
    if state.mf_replica is node:
        state.mf_replica = None


def forget(cluster: Cluster, node: Node) -> None:
    """CLUSTER FORGET after its checks: blacklist the name for a minute, delete the node."""
    cluster.state.blacklist_add(node.name, time.time())
    delete_node(cluster, node)
    cluster.request(Todo.UPDATE_STATE | Todo.SAVE_CONFIG)


def update_address_if_needed(cluster: Cluster, node: Node, link: Link, hdr: m.Header) -> bool:
    """nodeUpdateAddressIfNeeded: a node talking to us from a new ip/port (on a link other than the one we
    opened to it) gets the new address and a fresh outbound link."""
    if link is node.link:
        return False
    ip = hdr.myip or link.peer_ip
    if not ip:
        return False
    if node.port == hdr.port and node.cport == hdr.cport and node.pport == hdr.pport and node.ip == ip:
        return False
    node.ip = ip
    node.port = hdr.port
    node.pport = hdr.pport
    node.cport = hdr.cport
    if node.link is not None:
        node.link.close()
    node.flags &= ~F.NOADDR
    cluster.log.warning(f"Address updated for node {node.name}, now {node.ip}:{node.port}")
    me = cluster.state.myself
    if me.is_replica and me.primary is node:
        from ..replication import replica

        replica.set_primary(cluster.server, node.ip, node.port)
    return True


# =====================================================================================================
# failure detection
# =====================================================================================================


def mark_node_as_failing_if_needed(cluster: Cluster, node: Node, now: int) -> None:
    """markNodeAsFailingIfNeeded: PFAIL here plus reports from a majority of primaries → FAIL, broadcast."""
    state = cluster.state
    needed_quorum = state.size // 2 + 1
    if not node.timed_out or node.failed:
        return
    failures = node.failure_report_count(now, cluster.node_timeout)
    if state.myself.is_primary:
        failures += 1
    if failures < needed_quorum:
        return
    cluster.log.notice(f"Marking node {node.name} as failing (quorum reached).")
    node.flags &= ~F.PFAIL
    node.flags |= F.FAIL
    node.fail_time = now
    send_fail(cluster, node)
    _save_update(cluster)


def clear_node_failure_if_needed(cluster: Cluster, node: Node, now: int) -> None:
    """clearNodeFailureIfNeeded: a reachable replica or slot-less primary is cleared at once; a primary with
    slots only when nobody took its slots after node_timeout * 2."""
    if node.is_replica or node.numslots == 0:
        what = "replica" if node.is_replica else "master without slots"
        cluster.log.notice(f"Clear FAIL state for node {node.name}: {what} is reachable again.")
        node.flags &= ~F.FAIL
        _save_update(cluster)
    if node.is_primary and node.numslots > 0 and now - node.fail_time > cluster.node_timeout * FAIL_UNDO_TIME_MULT:
        cluster.log.notice(f"Clear FAIL state for node {node.name}: is reachable again and nobody is serving "
                           f"its slots after some time.")
        node.flags &= ~F.FAIL
        _save_update(cluster)


# =====================================================================================================
# epochs and slot ownership
# =====================================================================================================


def handle_config_epoch_collision(cluster: Cluster, sender: Node) -> None:
    """clusterHandleConfigEpochCollision: of two primaries with one configEpoch, the one with the smaller
    name takes a new epoch, so every primary ends with a distinct one."""
    state = cluster.state
    me = state.myself
    if sender.config_epoch != me.config_epoch or not sender.is_primary or not me.is_primary:
        return
    if sender.name <= me.name:
        return
    state.current_epoch += 1
    me.config_epoch = state.current_epoch
    cluster.save_config_now()
    cluster.log.verbose(f"WARNING: configEpoch collision with node {sender.name}. configEpoch set to "
                        f"{me.config_epoch}")


def _new_claims(claimed: bytes, held: bytes | bytearray) -> bytes:
    """The bits of `claimed` not in `held` (a node's own bitmap = the slots the map binds to it)."""
    bits = int.from_bytes(claimed, "little") & ~int.from_bytes(held, "little")
    return bits.to_bytes(len(claimed), "little")


def update_slots_config_with(cluster: Cluster, sender: Node, sender_epoch: int, slots: bytes) -> None:
    """clusterUpdateSlotsConfigWith: take the claimed slots whose owner has an older configEpoch; if that
    leaves my shard's primary without slots, follow the new owner; else drop the keys of lost slots."""
    state = cluster.state
    me = state.myself
    if sender is me:
        cluster.log.warning("Discarding UPDATE message about myself.")
        return
    curprimary = me if me.is_primary else me.primary
    newprimary: Node | None = None
    dirty: list[int] = []
    migrated_our_slots = 0
    db0 = cluster.server.dbs[0]
    owners = state.slots
    importing = state.importing
    changed = False
    sender_slots = m.bitmap_count(slots)
    # Slots already bound to the sender are skipped: look only at the claimed bits it does not have.
    for j in m.bitmap_to_slots(_new_claims(slots, sender.slots)):
        owner = owners[j]
        if j in importing:
            continue   # closed by hand (redis-cli) at the end of a resharding
        if owner is None or owner.config_epoch < sender_epoch:
            if owner is me and db0.count_keys_in_slot(j):
                dirty.append(j)
            if owner is not None and owner is curprimary:
                newprimary = sender
                migrated_our_slots += 1
            state.move_slot(j, sender)
            changed = True
    if changed:
        state.todo |= Todo.SAVE_CONFIG | Todo.UPDATE_STATE | Todo.FSYNC_CONFIG
    allow_migration = bool(cluster.config["cluster-allow-replica-migration"])
    if (newprimary is not None and curprimary is not None and curprimary.numslots == 0
            and (allow_migration or sender_slots == migrated_our_slots)):
        cluster.log.warning(f"Configuration change detected. Reconfiguring myself as a replica of {sender.name}")
        cluster.set_my_primary(sender)
        state.todo |= Todo.SAVE_CONFIG | Todo.UPDATE_STATE | Todo.FSYNC_CONFIG
    elif (me.primary is not None and me.primary.primary is not None and me.primary.primary is not me):
        # A sub-replica: my primary turned replica after losing its last slot; follow its primary.
        grand = me.primary.primary
        cluster.log.warning(f"I'm a sub-replica! Reconfiguring myself as a replica of grandmaster {grand.name}")
        cluster.set_my_primary(grand)
        state.todo |= Todo.SAVE_CONFIG | Todo.UPDATE_STATE | Todo.FSYNC_CONFIG
    elif dirty:
        for j in dirty:
            db0.delete_keys_in_slot(j)


# =====================================================================================================
# clusterProcessPacket
# =====================================================================================================


def on_link_connected(cluster: Cluster, link: Link) -> None:
    """clusterLinkConnectHandler: the first message on a new outbound link is a PING (MEET for a node
    we were asked to meet), sent at once so failure detection has a ping time."""
    node = link.node
    if node is None:
        return
    old_ping_sent = node.ping_sent
    send_ping(cluster, link, m.TYPE_MEET if node.flags & F.MEET else m.TYPE_PING)
    if old_ping_sent:
        node.ping_sent = old_ping_sent
    node.flags &= ~F.MEET
    cluster.log.debug(f"Connecting with Node {node.name} at {node.ip}:{node.cport}")
    if cluster.state.todo:
        cluster.request(0)


def process_message(cluster: Cluster, link: Link, msg: m.Message) -> bool:
    """clusterProcessPacket for one decoded, validated message. False when the link was freed."""
    try:
        return _process(cluster, link, msg)
    finally:
        if cluster.state.todo:
            cluster.request(0)


def _process(cluster: Cluster, link: Link, msg: m.Message) -> bool:
    state = cluster.state
    hdr = msg.header
    mtype = hdr.type
    now = mstime()
    sender_name = hdr.sender.decode("latin-1")
    sender = state.nodes.get(sender_name)
    if sender is not None and link.inbound and link.node is None:
        cluster.bus.attach_inbound(sender, link)
    if sender is not None:
        sender.data_received = now
    sender_current_epoch = sender_config_epoch = 0
    if sender is not None and not sender.in_handshake:
        sender_current_epoch = hdr.current_epoch
        sender_config_epoch = hdr.config_epoch
        if sender_current_epoch > state.current_epoch:
            state.current_epoch = sender_current_epoch
        if sender_config_epoch > sender.config_epoch:
            sender.config_epoch = sender_config_epoch
            state.todo |= Todo.SAVE_CONFIG | Todo.FSYNC_CONFIG
        sender.repl_offset = hdr.offset
        sender.repl_offset_time = now
        me = state.myself
        if (state.mf_end and me.is_replica and me.primary is sender and hdr.mflags[0] & FLAG0_PAUSED
                and state.mf_primary_offset == -1):
            _call_failover("on_primary_ping", cluster, sender, hdr)

    if mtype in m.PING_TYPES:
        body = msg.body
        assert isinstance(body, m.PingBody)
        return _process_ping(cluster, link, hdr, body, sender, sender_name, sender_config_epoch, now)
    if mtype == m.TYPE_FAIL:
        _process_fail(cluster, msg, sender, now)
    elif mtype == m.TYPE_PUBLISH or mtype == m.TYPE_PUBLISHSHARD:
        if sender is None:
            return True
        body = msg.body
        assert isinstance(body, m.PublishBody)
        from ..server.pubsub import registry

        reg = registry(cluster.server)
        if mtype == m.TYPE_PUBLISH:
            reg.publish(body.channel, body.message)
        else:
            reg.spublish(body.channel, body.message)
    elif mtype == m.TYPE_FAILOVER_AUTH_REQUEST:
        if sender is not None:
            _call_failover("on_auth_request", cluster, sender, hdr, now)
    elif mtype == m.TYPE_FAILOVER_AUTH_ACK:
        if sender is not None:
            _call_failover("on_auth_ack", cluster, sender, hdr, now)
    elif mtype == m.TYPE_MFSTART:
        if sender is None or sender.primary is not state.myself:
            return True
        _call_failover("on_mfstart", cluster, sender, now)   # pauses writers, PINGs the replica (PAUSED)
    elif mtype == m.TYPE_UPDATE:
        if sender is None:
            return True
        body = msg.body
        assert isinstance(body, m.UpdateBody)
        node = state.nodes.get(body.name.decode("latin-1"))
        if node is None or node.config_epoch >= body.config_epoch:
            return True
        if node.is_replica:
            state.set_primary_role(node)
        node.config_epoch = body.config_epoch
        state.todo |= Todo.SAVE_CONFIG | Todo.FSYNC_CONFIG
        update_slots_config_with(cluster, node, body.config_epoch, body.slots)
    elif mtype == m.TYPE_MODULE:
        pass   # no modules: nobody to deliver to
    else:
        cluster.log.warning(f"Received unknown packet type: {mtype}")
    return True


def _process_fail(cluster: Cluster, msg: m.Message, sender: Node | None, now: int) -> None:
    body = msg.body
    assert isinstance(body, m.FailBody)
    name = body.name.decode("latin-1")
    if sender is None:
        cluster.log.notice(f"Ignoring FAIL message from unknown node {msg.header.sender.decode('latin-1')} "
                           f"about {name}")
        return
    failing = cluster.state.nodes.get(name)
    if failing is not None and not failing.flags & (F.FAIL | F.MYSELF):
        cluster.log.notice(f"FAIL message received from {sender.name} about {name}")
        failing.flags |= F.FAIL
        failing.fail_time = now
        failing.flags &= ~F.PFAIL
        _save_update(cluster)


def _process_ping(cluster: Cluster, link: Link, hdr: m.Header, body: m.PingBody, sender: Node | None,
                  sender_name: str, sender_config_epoch: int, now: int) -> bool:
    state = cluster.state
    me = state.myself
    mtype = hdr.type

    if mtype != m.TYPE_PONG:
        # A MEET comes to the address other nodes know us by: learn our own ip from it (or from any PING
        # while we have none), unless cluster-announce-ip fixes it.
        if (mtype == m.TYPE_MEET or not me.ip) and not cluster.config["cluster-announce-ip"]:
            ip = link.local_ip
            if ip and ip != me.ip:
                me.ip = ip
                cluster.log.warning(f"IP address for this node updated to {ip}")
                state.todo |= Todo.SAVE_CONFIG
        if sender is None and mtype == m.TYPE_MEET:
            # Added in HANDSHAKE with a random name; our PING to it gets its real name and role.
            new = Node(None, F.HANDSHAKE)
            new.ip = hdr.myip or link.peer_ip
            new.port = hdr.port
            new.pport = hdr.pport
            new.cport = hdr.cport
            state.add_node(new)
            state.todo |= Todo.SAVE_CONFIG
            process_gossip_section(cluster, body, None, now)
        send_ping(cluster, link, m.TYPE_PONG)

    if not link.inbound:
        node: Node | None = link.node
        assert node is not None
        if node.in_handshake:
            if sender is not None:
                cluster.log.verbose(f"Handshake: we already know node {sender.name}, updating the address "
                                    f"if needed.")
                if update_address_if_needed(cluster, sender, link, hdr):
                    _save_update(cluster)
                delete_node(cluster, node)   # frees this link too
                return False
            state.rename_node(node, sender_name)
            cluster.log.debug(f"Handshake with node {node.name} completed.")
            node.flags &= ~F.HANDSHAKE
            node.flags |= hdr.flags & (F.MASTER | F.SLAVE)
            state.todo |= Todo.SAVE_CONFIG
        elif node.name != sender_name:
            cluster.log.debug(f"PONG contains mismatching sender ID. About node {node.name} added "
                              f"{now - node.ctime} ms ago, having flags {node.flags}")
            node.flags |= F.NOADDR
            node.ip = ""
            node.port = node.pport = node.cport = 0
            link.close()
            state.todo |= Todo.SAVE_CONFIG
            return False

    if sender is not None:
        # NOFAILOVER is the sender's own, current setting (replica ranking needs it).
        sender.flags = (sender.flags & ~F.NOFAILOVER) | (hdr.flags & F.NOFAILOVER)
        if mtype == m.TYPE_PING and not sender.in_handshake and update_address_if_needed(cluster, sender,
                                                                                           link, hdr):
            _save_update(cluster)

    if not link.inbound and mtype == m.TYPE_PONG:
        node = link.node
        assert node is not None
        node.pong_received = now
        node.ping_sent = 0
        if node.timed_out:
            node.flags &= ~F.PFAIL
            _save_update(cluster)
        elif node.failed:
            clear_node_failure_if_needed(cluster, node, now)

    if sender is None:
        return True

    # Role switch: primary → replica or replica → primary, and a replica's primary.
    if hdr.slaveof is None:
        state.set_primary_role(sender)
    else:
        primary = state.nodes.get(hdr.slaveof.decode("latin-1"))
        if sender.is_primary:
            state.unassign_node_slots(sender)
            sender.flags &= ~(F.MASTER | F.MIGRATE_TO)
            sender.flags |= F.SLAVE
            _save_update(cluster)
        if primary is not None and sender.primary is not primary:
            if sender.primary is not None:
                sender.primary.remove_replica(sender)
            primary.add_replica(sender)
            sender.primary = primary
            state.todo |= Todo.SAVE_CONFIG

    # Slots: only when the claimed set differs from what we have for the sender's shard.
    sender_primary = sender if sender.is_primary else sender.primary
    dirty = sender_primary is not None and sender_primary.slots != hdr.myslots
    if dirty:
        if sender.is_primary:
            update_slots_config_with(cluster, sender, sender_config_epoch, hdr.myslots)
        # The reverse: it claims slots we know a newer owner of. Tell it (one UPDATE per message).
        owners = state.slots
        claimed = hdr.myslots if sender.is_replica else _new_claims(hdr.myslots, sender.slots)
        for j in m.bitmap_to_slots(claimed):
            owner = owners[j]
            if owner is sender or owner is None:
                continue
            if owner.config_epoch > sender_config_epoch:
                cluster.log.verbose(f"Node {sender.name} has old slots configuration, sending an UPDATE "
                                    f"message about {owner.name}")
                send_update(cluster, sender.link, owner)
                break

    if me.is_primary and sender.is_primary and sender_config_epoch == me.config_epoch:
        handle_config_epoch_collision(cluster, sender)

    process_gossip_section(cluster, body, sender, now)
    process_ping_extensions(cluster, body, sender)
    return True


def process_gossip_section(cluster: Cluster, body: m.PingBody, sender: Node | None, now: int) -> None:
    """clusterProcessGossipSection: failure reports (from primaries), pong times, address changes of
    unreachable nodes, and new nodes (only from a known sender, never blacklisted ones)."""
    state = cluster.state
    me = state.myself
    nodes = state.nodes
    timeout = cluster.node_timeout
    from_primary = sender is not None and sender.is_primary
    for g in body.gossip:
        flags = g.flags
        name = g.name.decode("latin-1")
        node = nodes.get(name)
        if node is not None:
            if node is me:
                continue
            down = flags & (F.FAIL | F.PFAIL)
            if from_primary:
                assert sender is not None
                if down:
                    if node.add_failure_report(sender, now):
                        cluster.log.verbose(f"Node {sender.name} reported node {node.name} as not reachable.")
                    mark_node_as_failing_if_needed(cluster, node, now)
                elif node.fail_reports and node.remove_failure_report(sender):
                    cluster.log.verbose(f"Node {sender.name} reported node {node.name} is back online.")
            if not down and node.ping_sent == 0 and (not node.fail_reports
                                                     or node.failure_report_count(now, timeout) == 0):
                pongtime = g.pong_received * 1000
                if node.pong_received < pongtime <= now + 500:
                    node.pong_received = pongtime
            if (node.flags & (F.FAIL | F.PFAIL) and not flags & F.NOADDR and not down
                    and (node.ip != g.ip or node.port != g.port or node.pport != g.pport
                         or node.cport != g.cport)):
                if node.link is not None:
                    node.link.close()
                node.ip = g.ip
                node.port = g.port
                node.pport = g.pport
                node.cport = g.cport
                node.flags &= ~F.NOADDR
        elif (sender is not None and not flags & F.NOADDR and valid_name(name)
              and not state.blacklisted(name, time.time())):
            # Never a handshake to the gossiped address (it could be reused by another cluster): the
            # node is trusted because a known node vouches for it.
            node = Node(name, flags)
            node.ip = g.ip
            node.port = g.port
            node.pport = g.pport
            node.cport = g.cport
            state.add_node(node)


def process_ping_extensions(cluster: Cluster, body: m.PingBody, sender: Node) -> None:
    """clusterProcessPingExt (7.0: the hostname; no hostname extension means none). 7.0 knows no other
    extension type and skips them (7.2's forgotten-node and shard-id ones among them)."""
    hostname = body.hostname or ""
    if sender.hostname != hostname:
        sender.hostname = hostname
        cluster.state.todo |= Todo.SAVE_CONFIG
    for ext_type, _payload in body.unknown_exts:
        cluster.log.warning(f"Received unknown extension type {ext_type}")
    for _name, _ttl in body.forgotten:
        cluster.log.warning(f"Received unknown extension type {m.EXT_FORGOTTEN_NODE}")


# =====================================================================================================
# clusterCron and clusterUpdateState
# =====================================================================================================


def cron(cluster: Cluster, now: int) -> None:
    """clusterCron, every 100 ms."""
    state = cluster.state
    me = state.myself
    bus = cluster.bus
    timeout = cluster.node_timeout
    iteration = cluster.cron_iteration
    handshake_timeout = max(timeout, 1000)

    # Links: buffer limits, handshake expiry, reconnects; count the PFAIL nodes for send_ping.
    state.stats_pfail_nodes = 0
    for node in list(state.nodes.values()):
        bus.free_on_buffer_limit(node.link)
        bus.free_on_buffer_limit(node.inbound_link)
        if node.flags & (F.MYSELF | F.NOADDR):
            continue
        if node.flags & F.PFAIL:
            state.stats_pfail_nodes += 1
        if node.in_handshake and now - node.ctime > handshake_timeout:
            delete_node(cluster, node)
            continue
        if node.link is None:
            if node.ip and node.cport:
                bus.connect(node)
            elif node.ping_sent == 0:
                node.ping_sent = mstime()   # a connect that fails at once still starts failure detection
        else:
            node.link.trim_buffer()
        if node.inbound_link is not None:
            node.inbound_link.trim_buffer()

    # About once a second, ping the node with the oldest pong among 5 random ones.
    if iteration % 10 == 0:
        pool = list(state.nodes.values())
        min_pong_node: Node | None = None
        for _ in range(5):
            this = random.choice(pool)
            if this.link is None or this.ping_sent != 0 or this.flags & (F.MYSELF | F.HANDSHAKE):
                continue
            if min_pong_node is None or min_pong_node.pong_received > this.pong_received:
                min_pong_node = this
        if min_pong_node is not None:
            cluster.log.debug(f"Pinging node {min_pong_node.name}")
            send_ping(cluster, min_pong_node.link, m.TYPE_PING)

    update = False
    half = timeout // 2
    for node in list(state.nodes.values()):
        if node.flags & (F.MYSELF | F.NOADDR | F.HANDSHAKE):
            continue
        now = mstime()
        ping_delay = now - node.ping_sent
        data_delay = now - node.data_received
        link = node.link
        # Nothing back for half the timeout on an old enough link: maybe the connection is the problem.
        if (link is not None and now - link.ctime > timeout and node.ping_sent
                and ping_delay > half and data_delay > half):
            link.close()
            link = None
        if link is not None and node.ping_sent == 0 and now - node.pong_received > half:
            send_ping(cluster, link, m.TYPE_PING)
            continue
        # A primary in a manual failover pings the replica continuously (its pings carry PAUSED).
        if state.mf_end and me.is_primary and state.mf_replica is node and link is not None:
            send_ping(cluster, link, m.TYPE_PING)
            continue
        if node.ping_sent == 0:
            continue
        # Any data counts as liveness: a busy bus may delay PONGs.
        node_delay = min(ping_delay, data_delay)
        if node_delay > timeout and not node.flags & (F.PFAIL | F.FAIL):
            node.flags |= F.PFAIL
            update = True
            if me.is_primary and state.size == 1:
                mark_node_as_failing_if_needed(cluster, node, now)
            else:
                cluster.log.debug(f"*** NODE {node.name} possibly failing")

    # Replication restart of a replica without a link, manual failover timeout, elections, migration.
    try:
        _call_failover("cron", cluster, now)
    except Exception as exc:   # the state update below must still run
        cluster.log.warning(f"cluster failover cron error: {exc!r}")

    if update or not state.ok:
        update_state(cluster, mstime())
    if state.todo:
        cluster.request(0)


def update_state(cluster: Cluster, now: int) -> None:
    """clusterUpdateState: ok when every slot is served by a non-FAIL node (cluster-require-full-coverage)
    and a majority of the slot-owning primaries is reachable; a primary waits a little before turning ok
    after start-up or after being in a minority partition."""
    state = cluster.state
    me = state.myself
    state.todo &= ~Todo.UPDATE_STATE
    if state.first_call_time == 0:
        state.first_call_time = now
    if me.is_primary and not state.ok and now - state.first_call_time < WRITABLE_DELAY:
        return
    new_ok = True
    size = 0
    reachable = 0
    assigned = 0
    failed_owner = False
    for node in state.nodes.values():
        if node.numslots:
            # A node's slot bits are exactly the slots the map gives it (assign/unassign keep them in
            # step), so coverage is a sum over nodes rather than a scan of 16384 slots.
            assigned += node.numslots
            if node.flags & F.FAIL:
                failed_owner = True
            if node.flags & F.MASTER:
                size += 1
                if not node.flags & (F.FAIL | F.PFAIL):
                    reachable += 1
    if cluster.config["cluster-require-full-coverage"] and (failed_owner or assigned < SLOTS):
        new_ok = False
    state.size = size
    if reachable < size // 2 + 1:
        new_ok = False
        state.among_minority_time = now
    if new_ok != state.ok:
        rejoin_delay = min(max(cluster.node_timeout, MIN_REJOIN_DELAY), MAX_REJOIN_DELAY)
        if new_ok and me.is_primary and now - state.among_minority_time < rejoin_delay:
            return
        cluster.log.warning(f"Cluster state changed: {'ok' if new_ok else 'fail'}")
        state.ok = new_ok
        cluster.request(0)   # beforeSleep refreshes what routing and the fast path serve
