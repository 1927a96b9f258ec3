"""gossip.py's decisions on a hand-built cluster with fake links and a fake clock (no sockets, no server):
PFAIL/FAIL, failure reports, FAIL clearing, configEpoch collisions, slot ownership by configEpoch, UPDATE,
the handshake, gossip sections, PING gossip selection and clusterUpdateState."""
from __future__ import annotations

from typing import Any

import pytest

from pyredcache.cluster import gossip
from pyredcache.cluster import messages as m
from pyredcache.cluster.node import Node, NodeFlag, mstime
from pyredcache.cluster.state import ClusterState, Todo

F = NodeFlag
T0 = mstime() // 1000 * 1000    # the fake clock starts at the real time (Node() stamps ctime with it)
TIMEOUT = 2000


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> int:
        return self.now


class FakeLink:
    def __init__(self, node: Node | None = None, inbound: bool = False) -> None:
        self.node = node
        self.inbound = inbound
        self.sent: list[m.Message] = []
        self.closed = False
        self.peer_ip = node.ip if node is not None else "10.0.0.9"
        self.local_ip = "10.0.0.1"
        self.ctime = T0
        if node is not None and not inbound:
            node.link = self

    def send(self, data: bytes) -> None:
        self.sent.append(m.decode(data))

    def close(self) -> None:
        self.closed = True
        if self.node is not None:
            if self.node.link is self:
                self.node.link = None
            elif self.node.inbound_link is self:
                self.node.inbound_link = None

    def trim_buffer(self) -> None:
        pass

    def types(self) -> list[int]:
        return [msg.header.type for msg in self.sent]


class FakeBus:
    def __init__(self) -> None:
        self.connected: list[Node] = []

    def connect(self, node: Node) -> FakeLink:
        self.connected.append(node)
        return FakeLink(node)

    def attach_inbound(self, node: Node, link: Any) -> None:
        node.inbound_link = link
        link.node = node

    def free_on_buffer_limit(self, link: Any) -> None:
        pass


class FakeDb:
    def __init__(self) -> None:
        self.keys: dict[int, int] = {}
        self.deleted: list[int] = []

    def count_keys_in_slot(self, slot: int) -> int:
        return self.keys.get(slot, 0)

    def delete_keys_in_slot(self, slot: int) -> int:
        self.deleted.append(slot)
        return self.keys.pop(slot, 0)


class FakeLog:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def __getattr__(self, level: str) -> Any:
        return lambda msg: self.lines.append(f"{level}: {msg}")


class FakeRepl:
    offset = 0
    link = None


class FakeServer:
    def __init__(self) -> None:
        self.dbs = [FakeDb()]
        self.repl = FakeRepl()
        self.loop = None


class FakeCluster:
    def __init__(self, myself: Node) -> None:
        self.state = ClusterState(myself)
        self.config: dict[str, Any] = {
            "port": 7000, "cluster-port": 0, "cluster-announce-port": 0, "cluster-announce-bus-port": 0,
            "cluster-announce-tls-port": 0, "cluster-announce-hostname": "", "cluster-announce-ip": None,
            "cluster-require-full-coverage": True, "cluster-allow-replica-migration": True,
            "cluster-link-sendbuf-limit": 0,
        }
        self.log = FakeLog()
        self.bus = FakeBus()
        self.server = FakeServer()
        self.node_timeout = TIMEOUT
        self.cron_iteration = 1
        self.saves = 0
        self.new_primary: Node | None = None

    @property
    def myself(self) -> Node:
        return self.state.myself

    def request(self, flags: int) -> None:
        self.state.todo |= flags

    def save_config_now(self) -> bool:
        self.saves += 1
        return True

    def set_my_primary(self, primary: Node) -> None:
        self.new_primary = primary
        self.state.set_replica_of(self.state.myself, primary)


def name(ch: str) -> str:
    return ch * 40


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr(gossip, "mstime", c)
    monkeypatch.setattr(gossip, "_failover", lambda: None)
    return c


def make_cluster(me_name: str = name("5"), peers: str = "", slots_per: int = 0) -> FakeCluster:
    """Myself plus primaries named by the characters of `peers`, each with an outbound link; with
    slots_per, myself and each peer own consecutive runs of that many slots."""
    me = Node(me_name, F.MYSELF | F.MASTER)
    me.ip, me.port, me.cport = "10.0.0.1", 7000, 17000
    cl = FakeCluster(me)
    cl.state.first_call_time = T0 - 10_000     # past clusterUpdateState's start-up delay
    owners = [me]
    for i, ch in enumerate(peers):
        n = Node(name(ch), F.MASTER)
        n.ip, n.port, n.cport = "10.0.0.2", 7001 + i, 17001 + i
        n.pong_received = T0
        cl.state.add_node(n)
        FakeLink(n)
        owners.append(n)
    if slots_per:
        for i, n in enumerate(owners):
            for s in range(i * slots_per, (i + 1) * slots_per):
                cl.state.assign_slot(s, n)
    return cl


def header(sender: Node, mtype: int = m.TYPE_PING, *, slots: bytes | None = None, epoch: int | None = None,
           current_epoch: int = 0, primary: Node | None = None, flags: int | None = None) -> m.Header:
    return m.Header(type=mtype, sender=sender.name.encode(), current_epoch=current_epoch,
                    config_epoch=sender.config_epoch if epoch is None else epoch,
                    myslots=bytes(sender.slots) if slots is None else slots,
                    slaveof=primary.name.encode() if primary is not None else None, myip="", port=sender.port,
                    cport=sender.cport, flags=(F.SLAVE if primary else F.MASTER) if flags is None else flags)


def ping(sender: Node, mtype: int = m.TYPE_PING, gossip_of: list[m.Gossip] | None = None,
         **kw: Any) -> m.Message:
    return m.Message(header(sender, mtype, **kw), m.PingBody(gossip_of or []))


def entry(node: Node, flags: int | None = None) -> m.Gossip:
    return m.Gossip(node.name.encode(), 0, 0, node.ip, node.port, node.cport,
                    node.flags if flags is None else flags, 0)


def node(cl: FakeCluster, ch: str) -> Node:
    n = cl.state.nodes[name(ch)]
    return n


# ------------------------------------------------------------------------------------------ failure detection


def test_cron_marks_pfail_after_node_timeout_without_pong(clock: Clock) -> None:
    cl = make_cluster(peers="abc", slots_per=10)
    gossip.update_state(cl, clock.now)
    a = node(cl, "a")
    a.ping_sent = clock.now
    a.data_received = clock.now
    clock.now += TIMEOUT
    gossip.cron(cl, clock.now)
    assert not a.flags & F.PFAIL                      # exactly node_timeout: not yet
    clock.now += 1
    gossip.cron(cl, clock.now)
    assert a.flags & F.PFAIL and not a.flags & F.FAIL   # size 4: one PFAIL view is not a quorum
    assert cl.state.stats_pfail_nodes == 0             # counted at the next tick
    gossip.cron(cl, clock.now)
    assert cl.state.stats_pfail_nodes == 1


def test_silent_old_link_is_dropped_to_reconnect(clock: Clock) -> None:
    cl = make_cluster(peers="a")
    a = node(cl, "a")
    link = a.link
    link.ctime = clock.now - TIMEOUT
    a.ping_sent = a.data_received = clock.now
    clock.now += TIMEOUT // 2 + 1
    gossip.cron(cl, clock.now)
    assert link.closed and a.link is None      # then reconnected by the next tick
    gossip.cron(cl, clock.now)
    assert cl.bus.connected == [a] and a.link is not None


def test_recent_data_counts_as_liveness(clock: Clock) -> None:
    cl = make_cluster(peers="ab", slots_per=10)
    a = node(cl, "a")
    a.ping_sent = clock.now
    clock.now += TIMEOUT + 100
    a.data_received = clock.now - 10
    gossip.cron(cl, clock.now)
    assert not a.flags & F.PFAIL


def test_cron_pings_nodes_whose_pong_is_older_than_half_the_timeout(clock: Clock) -> None:
    cl = make_cluster(peers="ab")
    a, b = node(cl, "a"), node(cl, "b")
    a.pong_received = clock.now - TIMEOUT // 2 - 1
    b.pong_received = clock.now - 10
    gossip.cron(cl, clock.now)
    assert a.link.types() == [m.TYPE_PING] and a.ping_sent == clock.now
    assert b.link.types() == []


def test_fail_needs_a_majority_of_primaries(clock: Clock) -> None:
    cl = make_cluster(peers="abcd", slots_per=10)      # 5 slot owners: quorum 3
    gossip.update_state(cl, clock.now)
    assert cl.state.size == 5
    a, b, c, d = (node(cl, ch) for ch in "abcd")
    d.flags |= F.PFAIL
    gossip.process_message(cl, FakeLink(a, inbound=True), ping(a, gossip_of=[entry(d, F.MASTER | F.PFAIL)]))
    assert d.failure_report_count(clock.now, TIMEOUT) == 1 and not d.failed   # a + me = 2 < 3
    # A replica's report does not count.
    r = Node(name("e"), F.SLAVE)
    cl.state.add_node(r)
    cl.state.set_replica_of(r, a)
    gossip.process_message(cl, FakeLink(r, inbound=True),
                           ping(r, primary=a, slots=bytes(a.slots), gossip_of=[entry(d, F.MASTER | F.PFAIL)]))
    assert d.failure_report_count(clock.now, TIMEOUT) == 1
    gossip.process_message(cl, FakeLink(b, inbound=True), ping(b, gossip_of=[entry(d, F.MASTER | F.FAIL)]))
    assert d.failed and not d.timed_out and d.fail_time == clock.now
    # FAIL broadcast to every node with a link, except myself and handshake nodes.
    fails = [msg for n in (a, b, c) for msg in n.link.sent if msg.header.type == m.TYPE_FAIL]
    assert len(fails) == 3 and all(f.body == m.FailBody(d.name.encode()) for f in fails)
    assert cl.state.todo & Todo.UPDATE_STATE and cl.state.todo & Todo.SAVE_CONFIG


def test_failure_reports_expire_and_are_withdrawn(clock: Clock) -> None:
    cl = make_cluster(peers="abcd", slots_per=10)
    gossip.update_state(cl, clock.now)
    a, d = node(cl, "a"), node(cl, "d")
    gossip.process_message(cl, FakeLink(a, inbound=True), ping(a, gossip_of=[entry(d, F.MASTER | F.PFAIL)]))
    assert d.failure_report_count(clock.now, TIMEOUT) == 1
    gossip.process_message(cl, FakeLink(a, inbound=True), ping(a, gossip_of=[entry(d, F.MASTER)]))
    assert d.failure_report_count(clock.now, TIMEOUT) == 0
    gossip.process_message(cl, FakeLink(a, inbound=True), ping(a, gossip_of=[entry(d, F.MASTER | F.PFAIL)]))
    assert d.failure_report_count(clock.now + TIMEOUT * 2 + 1, TIMEOUT) == 0


def test_single_primary_cluster_fails_a_node_alone(clock: Clock) -> None:
    cl = make_cluster(peers="a")
    for s in range(100):
        cl.state.assign_slot(s, cl.myself)
    gossip.update_state(cl, clock.now)
    assert cl.state.size == 1
    a = node(cl, "a")
    a.ping_sent = a.data_received = clock.now
    clock.now += TIMEOUT + 1
    a.link.ctime = clock.now      # a fresh link (an old silent one is dropped to reconnect)
    gossip.cron(cl, clock.now)
    assert a.failed and a.link.types()[-1] == m.TYPE_FAIL


def test_fail_message_from_known_sender(clock: Clock) -> None:
    cl = make_cluster(peers="ab")
    a, b = node(cl, "a"), node(cl, "b")
    b.flags |= F.PFAIL
    msg = m.Message(header(a, m.TYPE_FAIL), m.FailBody(b.name.encode()))
    gossip.process_message(cl, FakeLink(a, inbound=True), msg)
    assert b.failed and not b.timed_out
    # About myself: ignored; from an unknown sender: ignored.
    gossip.process_message(cl, FakeLink(a, inbound=True),
                           m.Message(header(a, m.TYPE_FAIL), m.FailBody(cl.myself.name.encode())))
    assert not cl.myself.failed
    stranger = Node(name("f"), F.MASTER)
    c = Node(name("c"), F.MASTER)
    cl.state.add_node(c)
    gossip.process_message(cl, FakeLink(None, inbound=True),
                           m.Message(header(stranger, m.TYPE_FAIL), m.FailBody(c.name.encode())))
    assert not c.failed


def test_pong_clears_pfail_and_replica_fail(clock: Clock) -> None:
    cl = make_cluster(peers="a")
    a = node(cl, "a")
    a.flags |= F.PFAIL
    a.ping_sent = clock.now - 5000
    gossip.process_message(cl, a.link, ping(a, m.TYPE_PONG))
    assert not a.timed_out and a.ping_sent == 0 and a.pong_received == clock.now
    r = Node(name("e"), F.SLAVE | F.FAIL)
    cl.state.add_node(r)
    cl.state.set_replica_of(r, a)
    FakeLink(r)
    gossip.process_message(cl, r.link, ping(r, m.TYPE_PONG, primary=a, slots=bytes(a.slots)))
    assert not r.failed


def test_primary_with_slots_stays_failed_until_the_undo_time(clock: Clock) -> None:
    cl = make_cluster(peers="a", slots_per=10)
    a = node(cl, "a")
    a.flags |= F.FAIL
    a.fail_time = clock.now
    clock.now += TIMEOUT * 2
    gossip.process_message(cl, a.link, ping(a, m.TYPE_PONG))
    assert a.failed
    clock.now += 1
    gossip.process_message(cl, a.link, ping(a, m.TYPE_PONG))
    assert not a.failed


# ------------------------------------------------------------------------------------------ epochs and slots


def test_config_epoch_collision_smaller_name_moves(clock: Clock) -> None:
    cl = make_cluster(me_name=name("5"), peers="3", slots_per=10)
    lo = node(cl, "3")
    cl.state.current_epoch = 4
    cl.myself.config_epoch = lo.config_epoch = 4
    gossip.process_message(cl, FakeLink(lo, inbound=True), ping(lo))
    assert cl.myself.config_epoch == 4 and cl.saves == 0      # the sender's name is smaller: it moves
    cl2 = make_cluster(me_name=name("5"), peers="9", slots_per=10)
    hi = node(cl2, "9")
    cl2.state.current_epoch = 4
    cl2.myself.config_epoch = hi.config_epoch = 4
    gossip.process_message(cl2, FakeLink(hi, inbound=True), ping(hi, current_epoch=4))
    assert cl2.myself.config_epoch == 5 and cl2.state.current_epoch == 5 and cl2.saves == 1


def test_current_epoch_and_config_epoch_learned_from_headers(clock: Clock) -> None:
    cl = make_cluster(peers="a")
    a = node(cl, "a")
    gossip.process_message(cl, FakeLink(a, inbound=True), ping(a, current_epoch=9, epoch=7))
    assert cl.state.current_epoch == 9 and a.config_epoch == 7
    gossip.process_message(cl, FakeLink(a, inbound=True), ping(a, current_epoch=3, epoch=2))
    assert cl.state.current_epoch == 9 and a.config_epoch == 7


def test_newer_epoch_takes_slots_and_last_slot_lost_makes_me_a_replica(clock: Clock) -> None:
    cl = make_cluster(peers="a", slots_per=10)        # me: 0-9, a: 10-19
    a = node(cl, "a")
    cl.myself.config_epoch, a.config_epoch = 1, 2
    claim = m.slots_to_bitmap(range(0, 20))
    gossip.process_message(cl, FakeLink(a, inbound=True), ping(a, slots=claim, epoch=3))
    assert all(cl.state.slots[s] is a for s in range(20)) and a.numslots == 20
    assert cl.myself.numslots == 0 and cl.new_primary is a
    assert cl.state.todo & Todo.FSYNC_CONFIG


def test_lost_slots_with_keys_are_emptied_when_i_keep_others(clock: Clock) -> None:
    cl = make_cluster(peers="a", slots_per=10)
    a = node(cl, "a")
    db = cl.server.dbs[0]
    db.keys = {3: 2, 7: 1}
    gossip.process_message(cl, FakeLink(a, inbound=True),
                           ping(a, slots=m.slots_to_bitmap([3, 4, *range(10, 20)]), epoch=5))
    assert cl.state.slots[3] is a and cl.state.slots[4] is a and cl.state.slots[7] is cl.myself
    assert db.deleted == [3] and cl.new_primary is None


def test_older_epoch_claim_is_ignored_and_answered_with_update(clock: Clock) -> None:
    cl = make_cluster(peers="ab", slots_per=10)       # me 0-9, a 10-19, b 20-29
    a, b = node(cl, "a"), node(cl, "b")
    b.config_epoch = 5
    a.config_epoch = 2
    gossip.process_message(cl, FakeLink(a, inbound=True),
                           ping(a, slots=m.slots_to_bitmap(range(10, 30)), epoch=2))
    assert all(cl.state.slots[s] is b for s in range(20, 30))
    updates = [msg for msg in a.link.sent if msg.header.type == m.TYPE_UPDATE]
    assert len(updates) == 1
    body = updates[0].body
    assert isinstance(body, m.UpdateBody)
    assert body.name == b.name.encode() and body.config_epoch == 5 and body.slots == bytes(b.slots)


def test_importing_slots_are_left_alone(clock: Clock) -> None:
    cl = make_cluster(peers="a", slots_per=10)
    a = node(cl, "a")
    cl.state.importing[5] = a
    gossip.process_message(cl, FakeLink(a, inbound=True),
                           ping(a, slots=m.slots_to_bitmap([5, *range(10, 20)]), epoch=9))
    assert cl.state.slots[5] is cl.myself


def test_update_message(clock: Clock) -> None:
    cl = make_cluster(peers="ab", slots_per=10)
    a, b = node(cl, "a"), node(cl, "b")
    b.config_epoch = 1
    msg = m.Message(header(a, m.TYPE_UPDATE), m.UpdateBody(7, b.name.encode(), m.slots_to_bitmap(range(10, 30))))
    gossip.process_message(cl, FakeLink(a, inbound=True), msg)
    assert b.config_epoch == 7 and all(cl.state.slots[s] is b for s in range(10, 30)) and a.numslots == 0
    # Not newer than what we know: nothing happens.
    msg = m.Message(header(a, m.TYPE_UPDATE), m.UpdateBody(0, a.name.encode(), m.slots_to_bitmap([0])))
    gossip.process_message(cl, FakeLink(a, inbound=True), msg)
    assert cl.state.slots[0] is cl.myself


def test_role_switch_from_headers(clock: Clock) -> None:
    cl = make_cluster(peers="ab", slots_per=10)
    a, b = node(cl, "a"), node(cl, "b")
    # b now replicates a: its slots are dropped, it is a's replica.
    gossip.process_message(cl, FakeLink(b, inbound=True), ping(b, primary=a, slots=bytes(a.slots)))
    assert b.is_replica and b.primary is a and b in a.replicas and b.numslots == 0
    assert all(cl.state.slots[s] is None for s in range(20, 30))
    # And back to a primary.
    gossip.process_message(cl, FakeLink(b, inbound=True), ping(b, slots=bytes(2048)))
    assert b.is_primary and b.primary is None and b not in a.replicas


# ------------------------------------------------------------------------------------------ handshake


def test_start_handshake(clock: Clock) -> None:
    cl = make_cluster()
    assert not gossip.start_handshake(cl, "not-an-ip", 7001, 17001)
    assert not gossip.start_handshake(cl, "10.0.0.3", 0, 17001)
    assert not gossip.start_handshake(cl, "10.0.0.3", 7001, 65536)
    assert gossip.start_handshake(cl, "0:0:0:0:0:0:0:1", 7001, 17001)
    assert gossip.start_handshake(cl, "::1", 7001, 17001)      # already in progress: fine, no new node
    hs = [n for n in cl.state.nodes.values() if n.in_handshake]
    assert len(hs) == 1 and hs[0].ip == "::1" and hs[0].flags & F.MEET


def test_meet_then_pong_completes_the_handshake(clock: Clock) -> None:
    cl = make_cluster()
    cl.myself.ip = ""
    stranger = Node(name("a"), F.MASTER)
    stranger.port, stranger.cport = 7001, 17001
    inbound = FakeLink(None, inbound=True)
    gossip.process_message(cl, inbound, ping(stranger, m.TYPE_MEET))
    assert cl.myself.ip == "10.0.0.1"                           # learned from the socket
    assert inbound.types() == [m.TYPE_PONG]
    hs = [n for n in cl.state.nodes.values() if n.in_handshake]
    assert len(hs) == 1 and hs[0].ip == "10.0.0.9" and hs[0].port == 7001 and hs[0].cport == 17001
    # Our cron connects to it; the first message on the link is a PING; its PONG names it.
    gossip.cron(cl, clock.now)
    link = hs[0].link
    assert link is not None
    gossip.on_link_connected(cl, link)
    assert link.types()[-1] == m.TYPE_PING
    gossip.process_message(cl, link, ping(stranger, m.TYPE_PONG))
    renamed = cl.state.nodes[name("a")]
    assert renamed is hs[0] and not renamed.in_handshake and renamed.is_primary


def test_meet_flag_sends_meet_first(clock: Clock) -> None:
    cl = make_cluster()
    gossip.start_handshake(cl, "10.0.0.3", 7001, 17001)
    gossip.cron(cl, clock.now)
    (n,) = cl.bus.connected
    gossip.on_link_connected(cl, n.link)
    assert n.link.types() == [m.TYPE_MEET] and not n.flags & F.MEET


def test_handshake_with_a_known_node_drops_the_handshake_node(clock: Clock) -> None:
    cl = make_cluster(peers="a")
    a = node(cl, "a")
    gossip.start_handshake(cl, "10.0.0.7", 7100, 17100)
    hs = next(n for n in cl.state.nodes.values() if n.in_handshake)
    link = FakeLink(hs)
    assert not gossip.process_message(cl, link, ping(a, m.TYPE_PONG))
    assert hs.name not in cl.state.nodes and link.closed
    assert (a.ip, a.port) == ("10.0.0.7", 7001)      # the address it answered from


def test_pong_with_another_name_marks_noaddr(clock: Clock) -> None:
    cl = make_cluster(peers="a")
    a = node(cl, "a")
    link = a.link
    impostor = Node(name("b"), F.MASTER)
    assert not gossip.process_message(cl, link, ping(impostor, m.TYPE_PONG))
    assert a.flags & F.NOADDR and a.ip == "" and link.closed


def test_handshake_timeout(clock: Clock) -> None:
    cl = make_cluster()
    gossip.start_handshake(cl, "10.0.0.3", 7001, 17001)
    hs = next(n for n in cl.state.nodes.values() if n.in_handshake)
    hs.ctime = clock.now - TIMEOUT - 1
    gossip.cron(cl, clock.now)
    assert hs.name not in cl.state.nodes


# ------------------------------------------------------------------------------------------ gossip sections


def test_gossip_adds_nodes_only_from_known_senders(clock: Clock) -> None:
    cl = make_cluster(peers="a")
    a = node(cl, "a")
    new = Node(name("c"), F.SLAVE)
    new.ip, new.port, new.cport = "10.0.0.4", 7004, 17004
    stranger = Node(name("f"), F.MASTER)
    gossip.process_message(cl, FakeLink(None, inbound=True), ping(stranger, gossip_of=[entry(new)]))
    assert name("c") not in cl.state.nodes
    cl.state.blacklist_add(name("c"), 1e12 - 1)
    gossip.process_message(cl, FakeLink(a, inbound=True), ping(a, gossip_of=[entry(new)]))
    assert name("c") not in cl.state.nodes
    cl.state.blacklist.clear()
    noaddr = Node(name("d"), F.MASTER | F.NOADDR)
    bad = m.Gossip(b"Z" * 40, 0, 0, "10.0.0.5", 1, 2, F.MASTER, 0)
    gossip.process_message(cl, FakeLink(a, inbound=True), ping(a, gossip_of=[entry(new), entry(noaddr), bad]))
    added = cl.state.nodes[name("c")]
    assert added.flags == F.SLAVE and (added.ip, added.port, added.cport) == ("10.0.0.4", 7004, 17004)
    assert name("d") not in cl.state.nodes and "Z" * 40 not in cl.state.nodes


def test_gossip_pong_time_and_address_update(clock: Clock) -> None:
    cl = make_cluster(peers="ab")
    a, b = node(cl, "a"), node(cl, "b")
    b.pong_received = T0 - 10_000
    g = entry(b)
    g.pong_received = (T0 - 3000) // 1000
    gossip.process_message(cl, FakeLink(a, inbound=True), ping(a, gossip_of=[g]))
    assert b.pong_received == (T0 - 3000) // 1000 * 1000
    g.pong_received = (T0 + 5000) // 1000             # in the future: ignored
    gossip.process_message(cl, FakeLink(a, inbound=True), ping(a, gossip_of=[g]))
    assert b.pong_received == (T0 - 3000) // 1000 * 1000
    # An unreachable node seen at a new address by someone who can reach it.
    b.flags |= F.PFAIL
    old_link = b.link
    g = entry(b, F.MASTER)
    g.ip, g.port = "10.0.0.8", 7777
    gossip.process_message(cl, FakeLink(a, inbound=True), ping(a, gossip_of=[g]))
    assert (b.ip, b.port) == ("10.0.0.8", 7777) and old_link.closed and b.link is None


def test_hostname_extension(clock: Clock) -> None:
    cl = make_cluster(peers="a")
    a = node(cl, "a")
    msg = m.Message(header(a), m.PingBody([], hostname="host-a"))
    gossip.process_message(cl, FakeLink(a, inbound=True), msg)
    assert a.hostname == "host-a"
    gossip.process_message(cl, FakeLink(a, inbound=True), ping(a))
    assert a.hostname == ""


def test_ping_gossip_selection(clock: Clock) -> None:
    cl = make_cluster(peers="abcdefghij")           # 11 nodes
    for ch in "cd":
        node(cl, ch).flags |= F.PFAIL
    node(cl, "e").flags |= F.HANDSHAKE
    node(cl, "f").flags |= F.NOADDR
    cl.state.stats_pfail_nodes = 2
    target = node(cl, "a")
    for _ in range(30):
        target.link.sent.clear()
        gossip.send_ping(cl, target.link, m.TYPE_PING)
        (msg,) = target.link.sent
        body = msg.body
        assert isinstance(body, m.PingBody)
        names = [g.name.decode()[0] for g in body.gossip]
        assert len(names) == len(set(names))
        assert {"c", "d"} <= set(names)                       # every PFAIL node
        assert not {"5", "a", "e", "f"} & set(names)          # never myself, the target, handshake, noaddr
        assert len(names) <= 3 + 2
    assert target.ping_sent == clock.now
    hdr = msg.header
    assert hdr.sender == cl.myself.name.encode() and hdr.port == 7000 and hdr.cport == 17000
    assert hdr.flags == cl.myself.flags and hdr.slaveof is None


def test_replica_header_carries_its_primarys_slots_and_epoch(clock: Clock) -> None:
    cl = make_cluster(peers="a", slots_per=10)
    a = node(cl, "a")
    a.config_epoch = 4
    cl.state.unassign_node_slots(cl.myself)
    cl.state.set_replica_of(cl.myself, a)
    hdr = gossip.build_header(cl, m.TYPE_PING)
    assert hdr.myslots == bytes(a.slots) and hdr.config_epoch == 4 and hdr.slaveof == a.name.encode()


def test_publish_shard_goes_to_my_shard_only(clock: Clock) -> None:
    cl = make_cluster(peers="ab", slots_per=10)
    a, b = node(cl, "a"), node(cl, "b")
    r = Node(name("e"), F.SLAVE)
    cl.state.add_node(r)
    cl.state.set_replica_of(r, cl.myself)
    FakeLink(r)
    gossip.broadcast_publish(cl, b"ch", b"msg", shard=True)
    assert r.link.types() == [m.TYPE_PUBLISHSHARD] and a.link.types() == [] and b.link.types() == []
    gossip.broadcast_publish(cl, b"ch", b"msg", shard=False)
    assert a.link.types() == [m.TYPE_PUBLISH] and b.link.types() == [m.TYPE_PUBLISH]


# ------------------------------------------------------------------------------------------ cluster state


def test_update_state(clock: Clock) -> None:
    cl = make_cluster(peers="ab")
    for s in range(16384):
        cl.state.assign_slot(s, [cl.myself, node(cl, "a"), node(cl, "b")][s % 3])
    state = cl.state
    state.first_call_time = 0
    gossip.update_state(cl, clock.now)
    assert not state.ok                                # a primary waits 2 s after the first call
    clock.now += 2000
    gossip.update_state(cl, clock.now)
    assert state.ok and state.size == 3
    node(cl, "a").flags |= F.PFAIL
    node(cl, "b").flags |= F.PFAIL                      # a minority of 1 of 3
    gossip.update_state(cl, clock.now)
    assert not state.ok
    node(cl, "a").flags &= ~F.PFAIL
    node(cl, "b").flags &= ~F.PFAIL
    clock.now += 400
    gossip.update_state(cl, clock.now)
    assert not state.ok                                # rejoin delay: min(max(timeout, 500), 5000)
    clock.now += TIMEOUT
    gossip.update_state(cl, clock.now)
    assert state.ok
    node(cl, "b").flags |= F.FAIL                       # its slots are not covered any more
    gossip.update_state(cl, clock.now)
    assert not state.ok
    cl.config["cluster-require-full-coverage"] = False
    clock.now += TIMEOUT
    gossip.update_state(cl, clock.now)
    assert state.ok


def test_announced_ip_wins_over_the_socket_address(clock: Clock) -> None:
    cl = make_cluster()
    cl.config["cluster-announce-ip"] = "192.0.2.1"
    assert gossip.build_header(cl, m.TYPE_PING).myip == "192.0.2.1"
    cl.myself.ip = "192.0.2.1"
    stranger = Node(name("a"), F.MASTER)
    hdr = header(stranger, m.TYPE_MEET)
    hdr.myip = "198.51.100.7"
    gossip.process_message(cl, FakeLink(None, inbound=True), m.Message(hdr, m.PingBody([])))
    assert cl.myself.ip == "192.0.2.1"                     # not learned from the socket
    (hs,) = [n for n in cl.state.nodes.values() if n.in_handshake]
    assert hs.ip == "198.51.100.7"
