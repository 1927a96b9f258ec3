"""Pure checks of the cluster text formats: slot runs, CLUSTER NODES lines, nodes.conf parse/save and its lock."""
from __future__ import annotations

import os
from types import SimpleNamespace
from typing import Any

import pytest

from pyredcache.cluster import describe, nodes_conf
from pyredcache.cluster.node import SLOTS, Node, NodeFlag
from pyredcache.cluster.state import ClusterState


class FakeLog:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def warning(self, msg: str) -> None:
        self.lines.append("# " + msg)

    def notice(self, msg: str) -> None:
        self.lines.append("* " + msg)

    def verbose(self, msg: str) -> None:
        self.lines.append("- " + msg)


def fake_cluster(state: ClusterState | None = None, directory: str = "/nonexistent") -> Any:
    config = {"dir": directory, "cluster-config-file": "nodes.conf", "port": 7000, "cluster-port": 0,
              "cluster-announce-port": 0, "cluster-announce-bus-port": 0, "cluster-announce-ip": None,
              "cluster-announce-hostname": None, "cluster-replica-no-failover": False,
              "cluster-preferred-endpoint-type": "ip"}
    cluster = SimpleNamespace(state=state, config=_Config(config), log=FakeLog(), bus=None)
    cluster.request = lambda flags: None
    return cluster


class _Config(dict[str, Any]):
    def add_apply_hook(self, name: str, fn: Any) -> None:
        pass


def three_node_state() -> ClusterState:
    me = Node("a" * 40, NodeFlag.MYSELF | NodeFlag.MASTER)
    me.ip, me.port, me.cport, me.config_epoch = "127.0.0.1", 7000, 17000, 2
    state = ClusterState(me)
    other = Node("b" * 40, NodeFlag.MASTER)
    other.ip, other.port, other.cport, other.config_epoch, other.hostname = "10.0.0.2", 7001, 17001, 5, "h2"
    replica = Node("c" * 40, NodeFlag.SLAVE | NodeFlag.PFAIL)
    replica.ip, replica.port, replica.cport, replica.config_epoch = "10.0.0.3", 7002, 17002, 1
    for n in (other, replica):
        state.add_node(n)
    state.set_replica_of(replica, other)
    for s in list(range(0, 100)) + [150] + list(range(16380, SLOTS)):
        state.assign_slot(s, me)
    for s in list(range(100, 150)) + [151]:
        state.assign_slot(s, other)
    state.migrating[3] = other
    state.importing[120] = other
    state.current_epoch = 5
    state.last_vote_epoch = 4
    state.todo = 0
    return state


# ------------------------------------------------------------------------------------------------ slot runs

def test_format_ranges() -> None:
    assert describe.format_ranges([]) == ""
    assert describe.format_ranges([(0, 0)]) == " 0"
    assert describe.format_ranges([(0, 5), (7, 7), (16383, 16383)]) == " 0-5 7 16383"
    assert describe.parse_ranges(" 0-5 7 16383") == [(0, 5), (7, 7), (16383, 16383)]


def test_slot_ranges_are_maximal_runs() -> None:
    state = three_node_state()
    ranges = describe.slot_ranges(state)
    me, other = state.myself, state.nodes["b" * 40]
    assert ranges[me] == [(0, 99), (150, 150), (16380, 16383)]
    assert ranges[other] == [(100, 149), (151, 151)]
    assert state.nodes["c" * 40] not in ranges
    assert describe.bitmap_ranges(me) == ranges[me]
    assert describe.bitmap_ranges(other) == ranges[other]


def test_slot_ranges_whole_space_and_alternating() -> None:
    me = Node("a" * 40, NodeFlag.MYSELF | NodeFlag.MASTER)
    state = ClusterState(me)
    for s in range(SLOTS):
        state.assign_slot(s, me)
    assert describe.slot_ranges(state)[me] == [(0, SLOTS - 1)]
    assert describe.bitmap_ranges(me) == [(0, SLOTS - 1)]
    for s in range(0, SLOTS, 2):
        state.unassign_slot(s)
    runs = describe.slot_ranges(state)[me]
    assert len(runs) == SLOTS // 2 and runs[0] == (1, 1) and runs[-1] == (SLOTS - 1, SLOTS - 1)
    assert describe.bitmap_ranges(me) == runs


# ------------------------------------------------------------------------------------------------ node lines

def test_node_lines() -> None:
    state = three_node_state()
    cluster = fake_cluster(state)
    lines = describe.nodes_text(cluster).splitlines()
    a, b, c = "a" * 40, "b" * 40, "c" * 40
    assert lines[0] == (f"{a} 127.0.0.1:7000@17000 myself,master - 0 0 2 connected 0-99 150 16380-16383 "
                        f"[3->-{b}] [120-<-{b}]")
    assert lines[1] == f"{b} 10.0.0.2:7001@17001,h2 master - 0 0 5 disconnected 100-149 151"
    # A replica shows its primary's configEpoch.
    assert lines[2] == f"{c} 10.0.0.3:7002@17002 slave,fail? {b} 0 0 5 disconnected"
    node = Node("d" * 40, 0)
    assert describe.node_line(state, node) == f"{'d' * 40} :0@0 noflags - 0 0 0 disconnected"


def test_handshake_nodes_stay_out_of_the_file() -> None:
    state = three_node_state()
    hs = Node("e" * 40, NodeFlag.HANDSHAKE | NodeFlag.MEET)
    state.add_node(hs)
    cluster = fake_cluster(state)
    assert "e" * 40 in describe.nodes_text(cluster)
    assert "e" * 40 not in nodes_conf.content(cluster)
    assert nodes_conf.content(cluster).endswith("\nvars currentEpoch 5 lastVoteEpoch 4\n")


def test_info_text_counts() -> None:
    state = three_node_state()
    state.nodes["b" * 40].flags |= NodeFlag.FAIL
    state.stats_sent[0] = 3
    state.stats_received[1] = 2
    state.stats_received[10] = 1
    text = describe.info_text(fake_cluster(state))
    assert text.startswith("cluster_state:fail\r\ncluster_slots_assigned:156\r\ncluster_slots_ok:105\r\n"
                           "cluster_slots_pfail:0\r\ncluster_slots_fail:51\r\ncluster_known_nodes:3\r\n")
    assert ("cluster_stats_messages_ping_sent:3\r\ncluster_stats_messages_sent:3\r\n"
            "cluster_stats_messages_pong_received:2\r\ncluster_stats_messages_publishshard_received:1\r\n"
            "cluster_stats_messages_received:3\r\ntotal_cluster_links_buffer_limit_exceeded:0\r\n") in text


# ------------------------------------------------------------------------------------------------ parse

def test_round_trip() -> None:
    state = three_node_state()
    text = nodes_conf.content(fake_cluster(state))
    loaded, current, last_vote = nodes_conf.parse(text)
    assert (current, last_vote) == (5, 4)
    assert nodes_conf.content(fake_cluster(loaded)) == text
    assert loaded.myself.name == "a" * 40
    replica = loaded.nodes["c" * 40]
    assert replica.primary is loaded.nodes["b" * 40] and loaded.nodes["b" * 40].replicas == [replica]
    assert loaded.slots[150] is loaded.myself and loaded.myself.numslots == 105
    assert loaded.migrating[3] is loaded.nodes["b" * 40] and loaded.importing[120] is loaded.nodes["b" * 40]


def test_parse_rules() -> None:
    a, b = "a" * 40, "b" * 40
    text = ("\n"
            f"{b} 1.2.3.4:7001 master,fail - 1 1 9 connected 0-10\n"
            "VARS currentEpoch 3 somethingElse 1\n"
            f"{a} 1.2.3.4:7000@1 myself,master - 0 0 1 connected 5-20\n")
    state, current, last_vote = nodes_conf.parse(text)
    me, other = state.myself, state.nodes[b]
    assert current == 9 and last_vote == 0        # currentEpoch raised to the greatest configEpoch
    assert other.cport == 17001 and me.cport == 1   # no @cport: port + 10000
    assert other.fail_time > 0 and other.ping_sent > 0 and other.pong_received > 0
    assert state.slots[5] is other and state.slots[11] is me   # the first claimer keeps a slot
    assert me.numslots == 10 and other.numslots == 11


@pytest.mark.parametrize("text", [
    "x\n",
    "vars currentEpoch\n",
    f"{'a' * 40} 1:1 master - 0 0 0 connected\n",
    f"{'A' * 40} 1:1 myself,master - 0 0 0 connected\n",
    f"{'a' * 40} 1 myself,master - 0 0 0 connected\n",
    f"{'a' * 40} 1:1 myself,master - 0 0 0 connected 16384\n",
    f"{'a' * 40} 1:1 myself,master - 0 0 0 connected [16384->-{'b' * 40}]\n",
    f"{'a' * 40} 1:1 myself,master - 0 0 0 connected [1->-{'b' * 39}]\n",
    f"{'a' * 40} 1:1 myself,master bad 0 0 0 connected\n",
    f"{'a' * 40} 1:1 myself,master - 0 0 0 connected\n{'b' * 40} 1:1 myself,master - 0 0 0 connected\n",
])
def test_parse_corrupt(text: str) -> None:
    with pytest.raises(nodes_conf.ConfigCorrupted):
        nodes_conf.parse(text)


def test_parse_unknown_flag() -> None:
    with pytest.raises(nodes_conf.UnknownFlag):
        nodes_conf.parse(f"{'a' * 40} 1:1 myself,weird - 0 0 0 connected\n")


# ------------------------------------------------------------------------------------------------ files

def test_create_save_lock_release(tmp_path: Any) -> None:
    first = fake_cluster(directory=str(tmp_path))
    state = nodes_conf.load_or_create(first)
    assert first.log.lines[0].startswith("* No cluster configuration found, I'm ")
    path = tmp_path / "nodes.conf"
    # The fresh file is written before the ports are known, as Redis does.
    assert path.read_text() == f"{state.myself.name} :0@0 myself,master - 0 0 0 connected\n" \
                               "vars currentEpoch 0 lastVoteEpoch 0\n"
    assert (state.myself.port, state.myself.cport) == (7000, 17000)
    state.current_epoch = 3
    assert nodes_conf.save(first, fsync=True)
    assert path.read_text().endswith("vars currentEpoch 3 lastVoteEpoch 0\n")
    assert [p.name for p in tmp_path.iterdir()] == ["nodes.conf"]
    # Rewritten in place: the locked inode stays, and a shorter payload leaves no padding behind.
    inode = path.stat().st_ino
    state.current_epoch = 12345678
    assert nodes_conf.save(first, fsync=False)
    state.current_epoch = 3
    assert nodes_conf.save(first, fsync=False)
    assert path.stat().st_ino == inode
    assert path.read_text().endswith("vars currentEpoch 3 lastVoteEpoch 0\n")
    # A second node on the file stops.
    second = fake_cluster(directory=str(tmp_path))
    with pytest.raises(SystemExit):
        nodes_conf.load_or_create(second)
    assert "Sorry, the cluster configuration file nodes.conf is already used" in second.log.lines[-1]
    nodes_conf.release(first)
    third = fake_cluster(directory=str(tmp_path))
    loaded = nodes_conf.load_or_create(third)
    assert loaded.myself.name == state.myself.name and loaded.current_epoch == 3
    assert third.log.lines[-1] == f"* Node configuration loaded, I'm {state.myself.name}"
    nodes_conf.release(third)


def test_save_failure_reports_reason(tmp_path: Any) -> None:
    cluster = fake_cluster(three_node_state(), directory=str(tmp_path / "missing-dir"))
    assert not nodes_conf.save(cluster, fsync=False)
    assert nodes_conf.last_error(cluster) == os.strerror(2)


def test_announced_address_and_flags(tmp_path: Any) -> None:
    cluster = fake_cluster(directory=str(tmp_path))
    cluster.config.update({"cluster-announce-ip": "10.1.1.1", "cluster-announce-port": 1234,
                           "cluster-announce-bus-port": 4321, "cluster-announce-hostname": "myhost",
                           "cluster-replica-no-failover": True})
    state = nodes_conf.load_or_create(cluster)
    me = state.myself
    assert (me.ip, me.port, me.cport, me.hostname) == ("10.1.1.1", 1234, 4321, "myhost")
    assert me.flags & NodeFlag.NOFAILOVER
    assert describe.node_line(state, me).startswith(f"{me.name} 10.1.1.1:1234@4321,myhost myself,master,nofailover -")
    nodes_conf.release(cluster)


# ------------------------------------------------------------------------------------------------ replies

def _reply(fn: Any, state: ClusterState, resp: int = 2) -> bytes:
    from pyredcache._speedups.resp import ReplyWriter

    c = SimpleNamespace(out=ReplyWriter(resp))
    fn(fake_cluster(state), c)
    return bytes(c.out.take())


def test_links_reply_reads_the_bus_links() -> None:
    state = three_node_state()
    other = state.nodes["b" * 40]
    other.link = SimpleNamespace(node=other, inbound=False, ctime=1700000000000, events="rw",
                                 send_buffer_allocated=4096, send_buffer_used=100)
    other.inbound_link = SimpleNamespace(node=other, inbound=True, ctime=5, events="r",
                                         send_buffer_allocated=0, send_buffer_used=0)
    out = _reply(describe.links_reply, state)
    b = ("b" * 40).encode()
    assert out == (b"*2\r\n*12\r\n$9\r\ndirection\r\n$2\r\nto\r\n$4\r\nnode\r\n$40\r\n" + b +
                   b"\r\n$11\r\ncreate-time\r\n:1700000000000\r\n$6\r\nevents\r\n$2\r\nrw\r\n"
                   b"$21\r\nsend-buffer-allocated\r\n:4096\r\n$16\r\nsend-buffer-used\r\n:100\r\n"
                   b"*12\r\n$9\r\ndirection\r\n$4\r\nfrom\r\n$4\r\nnode\r\n$40\r\n" + b +
                   b"\r\n$11\r\ncreate-time\r\n:5\r\n$6\r\nevents\r\n$1\r\nr\r\n"
                   b"$21\r\nsend-buffer-allocated\r\n:0\r\n$16\r\nsend-buffer-used\r\n:0\r\n")


def test_slots_reply_runs_in_slot_order_and_available_replicas() -> None:
    state = three_node_state()
    replica = state.nodes["c" * 40]
    out = _reply(describe.slots_reply, state)
    assert out.startswith(b"*5\r\n*3\r\n:0\r\n:99\r\n*4\r\n$9\r\n127.0.0.1\r\n:7000\r\n")
    assert out.count(b"*3\r\n:") == 5      # the replica has no offset yet: not listed
    replica.repl_offset = 10
    out = _reply(describe.slots_reply, state)
    assert b"*4\r\n:100\r\n:149\r\n" in out and out.count(b"10.0.0.3") == 2
    replica.flags |= NodeFlag.FAIL
    assert b"10.0.0.3" not in _reply(describe.slots_reply, state)
