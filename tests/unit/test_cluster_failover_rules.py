"""Unit tests for the failover decisions (pyredcache/cluster/failover.py) on a hand-built ClusterState: the
replica's rank, election delay, epoch and majority, the data-age check, every condition of a primary's vote
(and that the vote is saved before the ACK leaves), manual failover (default / FORCE / TAKEOVER, MFSTART,
the PAUSED offset, the timeout), clusterSetMaster and replica migration. Messages are captured by replacing
failover._gossip with a recorder; replication calls by replacing set_primary/unset_primary."""
from __future__ import annotations

import time
from typing import Any

import pytest

from pyredcache import commands as _commands  # noqa: F401  (the command table first: replica.py needs it)
from pyredcache import errors
from pyredcache.cluster import failover
from pyredcache.cluster.messages import Header, slots_to_bitmap
from pyredcache.cluster.node import Node, NodeFlag
from pyredcache.cluster.state import (
    CANT_FAILOVER_DATA_AGE,
    CANT_FAILOVER_NONE,
    ClusterState,
    Todo,
)
from pyredcache.errors import ReplyError
from pyredcache.replication import replica as replica_mod

NOW = 1_700_000_000_000
TIMEOUT = 2000


def name(ch: str) -> str:
    return ch * 40


# ------------------------------------------------------------------------------------------------ fakes


class Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def warning(self, text: str) -> None:
        self.lines.append(text)

    notice = verbose = debug = warning

    def has(self, fragment: str) -> bool:
        return any(fragment in line for line in self.lines)


class Conn:
    """The replica link as my_repl_offset / the data-age check see it."""

    def __init__(self, connected: bool = True, psync: tuple[str, int] | None = None,
                 down_since: float | None = None, last_interaction: float | None = None) -> None:
        self.client: Any = None
        if connected:
            self.client = type("C", (), {})()
            self.client.last_interaction = time.monotonic() if last_interaction is None else last_interaction
        self.psync = psync
        self.down_since = down_since


class Repl:
    def __init__(self) -> None:
        self.offset = 0
        self.link: Any = None


class Server:
    def __init__(self) -> None:
        self.repl = Repl()
        self.pause_end: float | None = None
        self.pause_all = False
        self.pauses: list[tuple[float, bool]] = []

    def pause(self, seconds: float, pause_all: bool) -> None:
        self.pauses.append((seconds, pause_all))
        end = time.monotonic() + seconds
        if self.pause_end is None or end > self.pause_end:
            self.pause_end = end
        self.pause_all = pause_all or self.pause_all

    def unpause(self) -> None:
        self.pause_end = None
        self.pause_all = False


class Out:
    def __init__(self) -> None:
        self.replies: list[str] = []

    def ok(self) -> None:
        self.replies.append("OK")


class FakeClient:
    def __init__(self) -> None:
        self.out = Out()


class Cluster:
    def __init__(self, state: ClusterState, events: list[tuple[Any, ...]]) -> None:
        self.state = state
        self.server = Server()
        self.log = Log()
        self.events = events
        self.config: dict[str, Any] = {
            "cluster-node-timeout": TIMEOUT, "cluster-replica-validity-factor": 10,
            "cluster-replica-no-failover": False, "repl-ping-replica-period": 10,
            "cluster-migration-barrier": 1, "cluster-allow-replica-migration": True,
        }

    @property
    def myself(self) -> Node:
        return self.state.myself

    @property
    def node_timeout(self) -> int:
        return int(self.config["cluster-node-timeout"])

    def request(self, flags: int) -> None:
        self.state.todo |= flags

    def save_config_now(self) -> bool:
        self.events.append(("save", self.state.current_epoch, self.state.last_vote_epoch))
        return True

    def update_state(self) -> None:
        self.events.append(("update_state",))

    def set_my_primary(self, primary: Node) -> None:
        failover.set_my_primary(self, primary)  # type: ignore[arg-type]


class Gossip:
    """Records what failover.py sends."""

    def __init__(self, events: list[tuple[Any, ...]]) -> None:
        self.events = events

    def broadcast_pong(self, cluster: Any, target: str) -> None:
        self.events.append(("pong", target))

    def send_auth_request(self, cluster: Any) -> None:
        self.events.append(("auth_request", cluster.state.current_epoch, cluster.state.mf_end != 0))

    def send_auth_ack(self, cluster: Any, node: Node) -> None:
        self.events.append(("auth_ack", node.name))

    def send_mfstart(self, cluster: Any, primary: Node) -> None:
        self.events.append(("mfstart", primary.name))

    def send_ping(self, cluster: Any, link: Any, type_: int) -> None:
        self.events.append(("ping", link, type_))


def sent(events: list[tuple[Any, ...]], kind: str) -> list[tuple[Any, ...]]:
    return [e for e in events if e[0] == kind]


# ------------------------------------------------------------------------------------------------ topology


def add(state: ClusterState, n: str, *, primary: Node | None = None, slots: range = range(0),
        epoch: int = 0) -> Node:
    node = Node(name(n), NodeFlag.MASTER)
    node.ip, node.port, node.cport = "127.0.0.1", 7000 + ord(n), 17000 + ord(n)
    node.config_epoch = epoch
    state.add_node(node)
    if primary is not None:
        state.set_replica_of(node, primary)
    for s in slots:
        state.assign_slot(s, node)
    return node


@pytest.fixture
def events() -> list[tuple[Any, ...]]:
    return []


@pytest.fixture(autouse=True)
def fakes(monkeypatch: pytest.MonkeyPatch, events: list[tuple[Any, ...]]) -> None:
    gossip = Gossip(events)
    monkeypatch.setattr(failover, "_gossip", lambda: gossip)
    monkeypatch.setattr(failover, "_jitter", lambda: 123)

    def set_primary(server: Server, host: str, port: int, **kw: Any) -> None:
        events.append(("set_primary", host, port, kw.get("from_config", False)))
        server.repl.link = Conn(connected=False, psync=("x" * 40, server.repl.offset + 1))

    def unset_primary(server: Server) -> None:
        events.append(("unset_primary",))
        server.repl.link = None

    monkeypatch.setattr(replica_mod, "set_primary", set_primary)
    monkeypatch.setattr(replica_mod, "unset_primary", unset_primary)
    monkeypatch.setattr(replica_mod, "_history_from_dump", lambda server: None)


def replica_world(events: list[tuple[Any, ...]], replicas: int = 1) -> tuple[Cluster, Node, list[Node]]:
    """3 primaries (A B C, 5461/5461/5462 slots, epochs 1 2 3); myself (M) replicates A; `replicas - 1` more
    replicas of A (R, S, ...)."""
    me = Node(name("m"), NodeFlag.MYSELF | NodeFlag.SLAVE)
    state = ClusterState(me)
    a = add(state, "a", slots=range(0, 5461), epoch=1)
    add(state, "b", slots=range(5461, 10922), epoch=2)
    add(state, "c", slots=range(10922, 16384), epoch=3)
    state.set_replica_of(me, a)
    others = [add(state, ch, primary=a) for ch in "rstu"[:replicas - 1]]
    for o in others:
        o.flags = (o.flags & ~NodeFlag.MASTER) | NodeFlag.SLAVE
    state.current_epoch = 3
    state.size = 3
    cluster = Cluster(state, events)
    cluster.server.repl.link = Conn()
    cluster.server.repl.offset = 1000
    state.todo = 0
    return cluster, a, others


def primary_world(events: list[tuple[Any, ...]]) -> tuple[Cluster, Node, Node]:
    """Myself (A) is a primary with slots 0-5460 (epoch 1); B owns 5461-16383 (epoch 2), X is a primary
    with slots 16000.. no: X replicates B as R. Returns (cluster, B, R)."""
    me = Node(name("a"), NodeFlag.MYSELF | NodeFlag.MASTER)
    me.config_epoch = 1
    state = ClusterState(me)
    for s in range(0, 5461):
        state.assign_slot(s, me)
    b = add(state, "b", slots=range(5461, 16384), epoch=2)
    r = add(state, "r", primary=b)
    state.current_epoch = 5
    state.size = 2
    cluster = Cluster(state, events)
    return cluster, b, r


def request_from(r: Node, *, epoch: int, config_epoch: int, slots: range, flags0: int = 0) -> Header:
    return Header(5, sender=r.name.encode(), current_epoch=epoch, config_epoch=config_epoch,
                  myslots=slots_to_bitmap(slots), mflags=bytes([flags0, 0, 0]))


# ------------------------------------------------------------------------------------------------ pure helpers


def test_auth_timeouts() -> None:
    assert failover.auth_timeouts(2000) == (4000, 8000)
    assert failover.auth_timeouts(500) == (2000, 4000)     # MAX(node timeout * 2, 2000)
    assert failover.auth_timeouts(15000) == (30000, 60000)


def test_data_age_check() -> None:
    # node_timeout 2000, factor 10, ping period 10 s: limit = 10000 + 20000 after removing the baseline.
    assert not failover.data_too_old(2000 + 30000, 2000, 10, 10)
    assert failover.data_too_old(2000 + 30001, 2000, 10, 10)
    assert not failover.data_too_old(10 ** 12, 2000, 0, 10)    # factor 0: the check is off
    assert not failover.data_too_old(1500, 2000, 1, 0)


def test_rank_by_offset(events: list[tuple[Any, ...]]) -> None:
    cluster, a, (r, s, t) = replica_world(events, replicas=4)
    cluster.server.repl.offset = 1000
    r.repl_offset, s.repl_offset, t.repl_offset = 999, 1000, 5000
    assert failover.replica_rank(cluster) == 1      # only T is ahead; S ties
    s.repl_offset = 1001
    assert failover.replica_rank(cluster) == 2
    s.flags |= NodeFlag.NOFAILOVER                  # can't fail over: not a competitor
    assert failover.replica_rank(cluster) == 1


def test_my_repl_offset(events: list[tuple[Any, ...]]) -> None:
    cluster, _, _ = replica_world(events)
    assert failover.my_repl_offset(cluster) == 1000
    cluster.server.repl.link = Conn(connected=False, psync=("r" * 40, 777))
    assert failover.my_repl_offset(cluster) == 776          # the cached primary's offset
    cluster.server.repl.link = Conn(connected=False)
    assert failover.my_repl_offset(cluster) == 0
    cluster.server.repl.link = None
    assert failover.my_repl_offset(cluster) == 0
    cluster.state.myself.flags = NodeFlag.MYSELF | NodeFlag.MASTER
    cluster.server.repl.offset = 4242
    assert failover.my_repl_offset(cluster) == 4242


# ------------------------------------------------------------------------------------------------ the election


def test_no_failover_while_primary_is_up(events: list[tuple[Any, ...]]) -> None:
    cluster, a, _ = replica_world(events)
    cluster.state.cant_failover_reason = CANT_FAILOVER_DATA_AGE
    failover.handle_replica_failover(cluster, NOW)
    assert cluster.state.cant_failover_reason == CANT_FAILOVER_NONE
    assert events == [] and cluster.state.failover_auth_time == 0


@pytest.mark.parametrize("case", ["no-slots", "no-failover", "no-primary"])
def test_failover_preconditions(events: list[tuple[Any, ...]], case: str) -> None:
    cluster, a, _ = replica_world(events)
    a.flags |= NodeFlag.FAIL
    if case == "no-slots":
        cluster.state.unassign_node_slots(a)
    elif case == "no-failover":
        cluster.config["cluster-replica-no-failover"] = True
    else:
        cluster.state.myself.primary = None
    failover.handle_replica_failover(cluster, NOW)
    assert events == [] and cluster.state.failover_auth_time == 0


def test_election_won(events: list[tuple[Any, ...]]) -> None:
    cluster, a, _ = replica_world(events)
    state = cluster.state
    me = state.myself
    a.flags |= NodeFlag.FAIL
    a.fail_time = NOW
    failover.handle_replica_failover(cluster, NOW)
    # 500 fixed + 123 jitter + rank 0.
    assert state.failover_auth_time == NOW + 623 and state.failover_auth_rank == 0
    assert cluster.log.has("Start of election delayed for 623 milliseconds (rank #0, offset 1000).")
    assert events == [("pong", "local_replicas")]
    failover.handle_replica_failover(cluster, NOW + 300)      # still waiting
    assert sent(events, "auth_request") == []
    failover.handle_replica_failover(cluster, NOW + 623)
    assert sent(events, "auth_request") == [("auth_request", 4, False)]
    assert state.current_epoch == 4 and state.failover_auth_epoch == 4 and state.failover_auth_sent
    assert cluster.log.has("Starting a failover election for epoch 4.")
    assert state.todo & Todo.SAVE_CONFIG and state.todo & Todo.FSYNC_CONFIG
    # Votes: only primaries with slots, in this epoch or later, count.
    b, c = state.nodes[name("b")], state.nodes[name("c")]
    r = add(state, "r", primary=a)
    empty = add(state, "e")
    failover.on_auth_ack(cluster, r, Header(6, current_epoch=4), NOW + 700)
    failover.on_auth_ack(cluster, empty, Header(6, current_epoch=4), NOW + 700)
    failover.on_auth_ack(cluster, b, Header(6, current_epoch=3), NOW + 700)
    failover.on_auth_ack(cluster, None, Header(6, current_epoch=4), NOW + 700)
    assert state.failover_auth_count == 0
    failover.on_auth_ack(cluster, b, Header(6, current_epoch=4), NOW + 700)
    assert state.failover_auth_count == 1 and state.todo & Todo.HANDLE_FAILOVER
    failover.handle_replica_failover(cluster, NOW + 710)
    assert me.is_replica                                  # 1 of 3: majority is 2
    failover.on_auth_ack(cluster, c, Header(6, current_epoch=5), NOW + 720)
    events.clear()
    failover.handle_replica_failover(cluster, NOW + 730)
    assert me.is_primary and me.primary is None and me not in a.replicas
    assert me.config_epoch == 4
    assert cluster.log.has("Failover election won: I'm the new master.")
    assert cluster.log.has("configEpoch set to 4 after successful failover")
    assert me.numslots == 5461 and a.numslots == 0
    assert all(state.slots[s] is me for s in range(5461))
    assert events == [("unset_primary",), ("update_state",), ("save", 4, 0), ("pong", "all")]


def test_election_expires_and_retries(events: list[tuple[Any, ...]]) -> None:
    cluster, a, _ = replica_world(events)
    state = cluster.state
    a.flags |= NodeFlag.FAIL
    failover.handle_replica_failover(cluster, NOW)
    failover.handle_replica_failover(cluster, NOW + 623)
    assert state.failover_auth_sent
    # auth timeout is 4000 ms after the election time: then the attempt is over, no new request.
    failover.handle_replica_failover(cluster, NOW + 623 + 4001)
    assert len(sent(events, "auth_request")) == 1
    # retry after twice the timeout (8000 ms): a new delay, then a new epoch.
    failover.handle_replica_failover(cluster, NOW + 623 + 8001)
    assert not state.failover_auth_sent and state.failover_auth_time == NOW + 623 + 8001 + 623
    failover.handle_replica_failover(cluster, NOW + 623 + 8001 + 623)
    assert sent(events, "auth_request")[-1] == ("auth_request", 5, False)


def test_rank_delay_and_rank_update(events: list[tuple[Any, ...]]) -> None:
    cluster, a, (r, s) = replica_world(events, replicas=3)
    state = cluster.state
    a.flags |= NodeFlag.FAIL
    r.repl_offset = 2000
    failover.handle_replica_failover(cluster, NOW)
    assert state.failover_auth_rank == 1 and state.failover_auth_time == NOW + 623 + 1000
    assert cluster.log.has("(rank #1, offset 1000)")
    s.repl_offset = 3000                                  # a sibling announced a better offset meanwhile
    failover.handle_replica_failover(cluster, NOW + 100)
    assert state.failover_auth_rank == 2 and state.failover_auth_time == NOW + 623 + 2000
    assert cluster.log.has("Replica rank updated to #2, added 1000 milliseconds of delay.")


def test_stale_data_prevents_failover(events: list[tuple[Any, ...]]) -> None:
    cluster, a, _ = replica_world(events)
    a.flags |= NodeFlag.FAIL
    a.fail_time = NOW - 60_000
    cluster.server.repl.link = Conn(connected=False, down_since=time.monotonic() - 40)
    cluster.config["repl-ping-replica-period"] = 1
    failover.handle_replica_failover(cluster, NOW)
    assert events == [] and cluster.state.cant_failover_reason == CANT_FAILOVER_DATA_AGE
    assert cluster.log.has("Currently unable to failover: Disconnected from master for longer than allowed.")
    cluster.config["cluster-replica-validity-factor"] = 0      # the check is off
    failover.handle_replica_failover(cluster, NOW)
    assert events == [("pong", "local_replicas")]


def test_cant_failover_log_quiet_right_after_fail(events: list[tuple[Any, ...]]) -> None:
    cluster, a, _ = replica_world(events)
    a.flags |= NodeFlag.FAIL
    a.fail_time = NOW
    failover.handle_replica_failover(cluster, NOW)
    failover.handle_replica_failover(cluster, NOW + 100)      # waiting for the delay: no log that early
    assert not cluster.log.has("Currently unable to failover")


# ------------------------------------------------------------------------------------------------ votes


def test_vote_granted_and_persisted_first(events: list[tuple[Any, ...]]) -> None:
    cluster, b, r = primary_world(events)
    b.flags |= NodeFlag.FAIL
    failover.on_auth_request(cluster, r, request_from(r, epoch=5, config_epoch=2, slots=range(5461, 16384)), NOW)
    assert events == [("save", 5, 5), ("auth_ack", r.name)]
    assert cluster.state.last_vote_epoch == 5 and b.voted_time == NOW
    assert cluster.log.has(f"Failover auth granted to {r.name} for epoch 5")
    # Once per epoch.
    events.clear()
    failover.on_auth_request(cluster, r, request_from(r, epoch=5, config_epoch=2, slots=range(5461, 16384)), NOW)
    assert events == [] and cluster.log.has(f"Failover auth denied to {r.name}: already voted for epoch 5")


@pytest.mark.parametrize("case, reason", [
    ("old-epoch", "reqEpoch (4) < curEpoch(5)"),
    ("primary-up", "its master is up"),
    ("sender-primary", "it is a master node"),
    ("unknown-primary", "I don't know its master"),
    ("slot-epoch", "slot 5461 epoch (2) > reqEpoch (1)"),
    ("recent-vote", "can't vote about this master before 3000 milliseconds"),
])
def test_vote_denied(events: list[tuple[Any, ...]], case: str, reason: str) -> None:
    cluster, b, r = primary_world(events)
    b.flags |= NodeFlag.FAIL
    epoch, config_epoch = 5, 2
    if case == "old-epoch":
        epoch = 4
    elif case == "primary-up":
        b.flags &= ~NodeFlag.FAIL
    elif case == "sender-primary":
        r.flags = NodeFlag.MASTER
    elif case == "unknown-primary":
        r.primary = None
    elif case == "slot-epoch":
        config_epoch = 1
    else:
        b.voted_time = NOW - 1000
    failover.on_auth_request(cluster, r, request_from(r, epoch=epoch, config_epoch=config_epoch,
                                                      slots=range(5461, 16384)), NOW)
    assert events == [] and cluster.state.last_vote_epoch == 0
    assert cluster.log.has(f"Failover auth denied to {r.name}: {reason}"), cluster.log.lines


def test_no_vote_from_replica_or_slotless_primary(events: list[tuple[Any, ...]]) -> None:
    cluster, b, r = primary_world(events)
    b.flags |= NodeFlag.FAIL
    me = cluster.state.myself
    cluster.state.unassign_node_slots(me)
    failover.on_auth_request(cluster, r, request_from(r, epoch=5, config_epoch=2, slots=range(5461, 16384)), NOW)
    assert events == [] and cluster.log.lines == []


def test_forceack_votes_with_primary_up(events: list[tuple[Any, ...]]) -> None:
    cluster, b, r = primary_world(events)
    failover.on_auth_request(cluster, r, request_from(r, epoch=5, config_epoch=2, slots=range(5461, 16384),
                                                      flags0=failover.FLAG0_FORCEACK), NOW)
    assert sent(events, "auth_ack") == [("auth_ack", r.name)]


# ------------------------------------------------------------------------------------------------ manual failover


def test_manual_failover_errors(events: list[tuple[Any, ...]]) -> None:
    cluster, b, r = primary_world(events)
    with pytest.raises(ReplyError) as exc:
        failover.manual_failover(cluster, FakeClient(), "")  # type: ignore[arg-type]
    assert exc.value.message == errors.CLUSTER_FAILOVER_NOT_REPLICA.encode()
    cluster, a, _ = replica_world(events)
    a.link = object()
    a.flags |= NodeFlag.FAIL
    with pytest.raises(ReplyError) as exc:
        failover.manual_failover(cluster, FakeClient(), "")  # type: ignore[arg-type]
    assert exc.value.message == b"ERR Master is down or failed, please use CLUSTER FAILOVER FORCE"
    a.flags &= ~NodeFlag.FAIL
    a.link = None
    with pytest.raises(ReplyError):
        failover.manual_failover(cluster, FakeClient(), "")  # type: ignore[arg-type]
    cluster.state.myself.primary = None
    with pytest.raises(ReplyError) as exc:
        failover.manual_failover(cluster, FakeClient(), "force")  # type: ignore[arg-type]
    assert exc.value.message == b"ERR I'm a replica but my master is unknown to me"


def test_manual_failover_default(events: list[tuple[Any, ...]]) -> None:
    """Replica side: MFSTART, then the paused primary's offset, then catching up, then an immediate election
    with FORCEACK (the header builder sets it from mf_end) and no rank delay."""
    cluster, a, _ = replica_world(events)
    state = cluster.state
    a.link = object()
    c = FakeClient()
    failover.manual_failover(cluster, c, "")  # type: ignore[arg-type]
    assert c.out.replies == ["OK"] and events == [("mfstart", a.name)]
    assert state.mf_end > 0 and not state.mf_can_start
    assert cluster.log.has("Manual failover user request accepted.")
    # A PING without PAUSED, or from another node, teaches nothing.
    failover.on_primary_ping(cluster, a, Header(0, offset=1500))
    failover.on_primary_ping(cluster, state.nodes[name("b")], Header(0, offset=1500, mflags=b"\x01\0\0"))
    assert state.mf_primary_offset == -1
    failover.on_primary_ping(cluster, a, Header(0, offset=1500, mflags=b"\x01\0\0"))
    assert state.mf_primary_offset == 1500 and state.todo & Todo.HANDLE_MANUALFAILOVER
    assert cluster.log.has("Received replication offset for paused master manual failover: 1500")
    failover.handle_manual_failover(cluster, NOW)
    assert not state.mf_can_start                      # our offset is 1000
    cluster.server.repl.offset = 1500
    failover.handle_manual_failover(cluster, NOW)
    assert state.mf_can_start and state.todo & Todo.HANDLE_FAILOVER
    assert cluster.log.has("All master replication stream processed, manual failover can start.")
    now = state.now()
    events.clear()
    failover.handle_replica_failover(cluster, now)     # primary is up: allowed because it is manual
    assert state.failover_auth_time == now and state.failover_auth_rank == 0
    failover.handle_replica_failover(cluster, now)
    assert sent(events, "auth_request") == [("auth_request", 4, True)]
    for voter in ("a", "b"):
        failover.on_auth_ack(cluster, state.nodes[name(voter)], Header(6, current_epoch=4), now)
    failover.handle_replica_failover(cluster, now)
    assert state.myself.is_primary and state.mf_end == 0 and state.mf_primary_offset == -1


def test_manual_failover_force(events: list[tuple[Any, ...]]) -> None:
    cluster, a, _ = replica_world(events)
    a.flags |= NodeFlag.FAIL                           # FORCE works with the primary down
    failover.manual_failover(cluster, FakeClient(), "FORCE")  # type: ignore[arg-type]
    assert cluster.state.mf_can_start and sent(events, "mfstart") == []
    assert cluster.log.has("Forced failover user request accepted.")
    failover.handle_replica_failover(cluster, cluster.state.now())
    failover.handle_replica_failover(cluster, cluster.state.now())
    assert sent(events, "auth_request")[0][2] is True


def test_manual_failover_takeover(events: list[tuple[Any, ...]]) -> None:
    cluster, a, _ = replica_world(events)
    state = cluster.state
    failover.manual_failover(cluster, FakeClient(), "takeover")  # type: ignore[arg-type]
    me = state.myself
    assert me.is_primary and me.config_epoch == 4 and state.current_epoch == 4
    assert me.numslots == 5461 and sent(events, "auth_request") == []
    assert cluster.log.has("Taking over the master (user request).") and cluster.log.has("New configEpoch set to 4")
    assert ("pong", "all") in events and state.mf_end == 0


def test_manual_failover_times_out(events: list[tuple[Any, ...]]) -> None:
    cluster, a, _ = replica_world(events)
    a.link = object()
    failover.manual_failover(cluster, FakeClient(), "")  # type: ignore[arg-type]
    end = cluster.state.mf_end
    failover.check_manual_failover_timeout(cluster, end)
    assert cluster.state.mf_end == end
    failover.check_manual_failover_timeout(cluster, end + 1)
    assert cluster.state.mf_end == 0 and cluster.log.has("Manual failover timed out.")


def test_mfstart_on_primary(events: list[tuple[Any, ...]]) -> None:
    cluster, b, r = primary_world(events)
    me = cluster.state.myself
    stranger = r                                        # a replica of B, not of ours
    failover.on_mfstart(cluster, stranger, NOW)
    assert cluster.state.mf_end == 0 and cluster.server.pauses == []
    mine = add(cluster.state, "q", primary=me)
    mine.link = "link-to-q"
    failover.on_mfstart(cluster, mine, NOW)
    state = cluster.state
    assert state.mf_end == NOW + 5000 and state.mf_replica is mine
    assert cluster.server.pauses == [(10.0, False)] and cluster.server.pause_end is not None
    assert events == [("ping", "link-to-q", 0)]
    assert cluster.log.has(f"Manual failover requested by replica {mine.name}.")
    failover.check_manual_failover_timeout(cluster, NOW + 5001)
    assert cluster.server.pause_end is None and state.mf_replica is None


def test_mf_unpause_restores_client_pause(events: list[tuple[Any, ...]]) -> None:
    cluster, b, r = primary_world(events)
    me = cluster.state.myself
    mine = add(cluster.state, "q", primary=me)
    cluster.server.pause(30.0, True)                    # a CLIENT PAUSE ALL already running, longer than ours
    failover.on_mfstart(cluster, mine, NOW)
    failover.reset_manual_failover(cluster)
    assert cluster.server.pause_end is not None and cluster.server.pause_all


# ------------------------------------------------------------------------------------------------ roles


def test_set_my_primary_from_primary(events: list[tuple[Any, ...]]) -> None:
    cluster, b, r = primary_world(events)
    state = cluster.state
    me = state.myself
    state.importing[5] = b
    state.migrating[6] = b
    state.unassign_node_slots(me)
    failover.set_my_primary(cluster, b)
    assert me.is_replica and not me.is_primary and me.primary is b and me in b.replicas
    assert not me.flags & NodeFlag.MIGRATE_TO
    assert state.importing == {} and state.migrating == {}
    assert events == [("set_primary", b.ip, b.port, False)]
    assert state.todo & Todo.SAVE_CONFIG and state.todo & Todo.UPDATE_STATE


def test_set_my_primary_releases_leftover_slots(events: list[tuple[Any, ...]]) -> None:
    cluster, b, r = primary_world(events)
    failover.set_my_primary(cluster, b)
    assert cluster.state.myself.numslots == 0 and cluster.state.slots[0] is None


def test_cron_starts_replication_of_known_primary(events: list[tuple[Any, ...]]) -> None:
    cluster, a, _ = replica_world(events)
    cluster.server.repl.link = None
    a.flags |= NodeFlag.NOADDR
    failover.cron(cluster, NOW)
    assert sent(events, "set_primary") == []
    a.flags &= ~NodeFlag.NOADDR
    failover.cron(cluster, NOW)
    assert sent(events, "set_primary") == [("set_primary", a.ip, a.port, False)]
    cluster.server.repl.link = None
    assert failover.start_replication(cluster, at_boot=True)
    assert sent(events, "set_primary")[-1] == ("set_primary", a.ip, a.port, True)


def test_cron_sets_nofailover_flag(events: list[tuple[Any, ...]]) -> None:
    cluster, a, _ = replica_world(events)
    cluster.config["cluster-replica-no-failover"] = True
    failover.cron(cluster, NOW)
    assert cluster.state.myself.flags & NodeFlag.NOFAILOVER
    cluster.config["cluster-replica-no-failover"] = False
    failover.cron(cluster, NOW)
    assert not cluster.state.myself.flags & NodeFlag.NOFAILOVER


# ------------------------------------------------------------------------------------------------ migration


def migration_world(events: list[tuple[Any, ...]]) -> tuple[Cluster, Node, Node]:
    """A has replicas M (myself) and R (M's name is smaller), B has none but had one (MIGRATE_TO)."""
    cluster, a, (r,) = replica_world(events, replicas=2)
    r.flags = NodeFlag.SLAVE
    b = cluster.state.nodes[name("b")]
    b.flags |= NodeFlag.MIGRATE_TO
    c = cluster.state.nodes[name("c")]
    add(cluster.state, "x", primary=c).flags = NodeFlag.SLAVE    # C keeps one replica: not orphaned
    cluster.state.ok = True
    return cluster, a, b


def test_replica_migration(events: list[tuple[Any, ...]]) -> None:
    cluster, a, b = migration_world(events)
    me = cluster.state.myself
    failover.cron(cluster, NOW)
    assert b.orphaned_time == NOW and me.primary is a      # orphaned, but not for long enough
    failover.cron(cluster, NOW + 5000)
    assert me.primary is a
    failover.cron(cluster, NOW + 5001)
    assert me.primary is b and me in b.replicas and me not in a.replicas
    assert cluster.log.has(f"Migrating to orphaned master {b.name}")
    assert sent(events, "set_primary") == [("set_primary", b.ip, b.port, False)]


@pytest.mark.parametrize("case", ["barrier", "not-allowed", "not-candidate", "state-fail", "no-migrate-to"])
def test_replica_migration_blocked(events: list[tuple[Any, ...]], case: str) -> None:
    cluster, a, b = migration_world(events)
    me = cluster.state.myself
    if case == "barrier":
        cluster.config["cluster-migration-barrier"] = 2    # A would be left with fewer than 2
    elif case == "not-allowed":
        cluster.config["cluster-allow-replica-migration"] = False
    elif case == "not-candidate":
        me_name = me.name
        cluster.state.rename_node(me, name("z"))           # R now has the smaller name
        assert me_name != me.name
        a.replicas.sort(key=lambda n: n.name)
    elif case == "state-fail":
        cluster.state.ok = False
    else:
        b.flags &= ~NodeFlag.MIGRATE_TO
    failover.cron(cluster, NOW)
    failover.cron(cluster, NOW + 6000)
    assert me.primary is a and sent(events, "set_primary") == []


def test_stream_applied_wakes_waiting_manual_failover(events: list[tuple[Any, ...]]) -> None:
    cluster, a, _ = replica_world(events)
    state = cluster.state
    failover.on_stream_applied(cluster)  # type: ignore[arg-type]
    assert not state.todo & Todo.HANDLE_MANUALFAILOVER          # no manual failover: nothing to do
    state.mf_end = NOW + 5000
    failover.on_stream_applied(cluster)  # type: ignore[arg-type]
    assert not state.todo & Todo.HANDLE_MANUALFAILOVER          # the primary's offset is not known yet
    state.mf_primary_offset = 2000
    failover.on_stream_applied(cluster)  # type: ignore[arg-type]
    assert state.todo & Todo.HANDLE_MANUALFAILOVER
