"""The fast slot-bitmap helpers used on every cluster state change: runs and slot lists from bitmaps, the
incrementally updated CLUSTER NODES ranges, removing a node's slots, and the routing table the fast path gets."""
from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

from pyredcache.cluster import describe, messages, routing
from pyredcache.cluster.node import SLOTS, Node, NodeFlag, bit_list, bit_runs
from pyredcache.cluster.state import ClusterState


def runs_of(slots: list[int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s in slots:
        if out and out[-1][1] == s - 1:
            out[-1] = (out[-1][0], s)
        else:
            out.append((s, s))
    return out


def slots_of(node: Node) -> list[int]:
    return [s for s in range(SLOTS) if node.has_slot(s)]


def test_bit_runs_and_bit_list_match_a_slot_by_slot_scan() -> None:
    rng = random.Random(7)
    cases = [[], [0], [SLOTS - 1], list(range(SLOTS)), list(range(0, SLOTS, 2)), list(range(5461, 10923))]
    for _ in range(60):
        chosen = set(rng.sample(range(SLOTS), rng.choice([1, 3, 9, 200, 4000])))
        start = rng.randrange(SLOTS)
        chosen.update(range(start, min(SLOTS, start + rng.randrange(3000))))
        cases.append(sorted(chosen))
    for slots in cases:
        bitmap = messages.slots_to_bitmap(slots)
        bits = int.from_bytes(bitmap, "little")
        assert bit_list(bits) == slots
        assert bit_runs(bits) == runs_of(slots)
        assert messages.bitmap_to_slots(bitmap) == slots
        assert messages.bitmap_to_slots(bytearray(bitmap)) == slots
        node = Node()
        for s in slots:
            node.set_slot_bit(s)
        assert node.slot_list() == slots


def test_cluster_nodes_ranges_follow_each_change() -> None:
    rng = random.Random(11)
    node = Node()
    for s in range(100, 5000):
        node.set_slot_bit(s)
    assert describe.bitmap_ranges(node) == [(100, 4999)]
    for _ in range(400):
        # Mostly one slot at a time (a resharding), sometimes many (ADDSLOTS, a failover).
        for _ in range(rng.choice([1, 1, 1, 2, 7, 40])):
            s = rng.choice([rng.randrange(SLOTS), 0, SLOTS - 1, 99, 100, 5000])
            if rng.random() < 0.5:
                node.set_slot_bit(s)
            else:
                node.clear_slot_bit(s)
        expected = runs_of(slots_of(node))
        assert describe.bitmap_ranges(node) == expected
        assert describe.ranges_text(node) == describe.format_ranges(expected)


def test_remove_node_and_unassign_node_slots() -> None:
    me = Node("a" * 40, NodeFlag.MYSELF | NodeFlag.MASTER)
    other = Node("b" * 40, NodeFlag.MASTER)
    state = ClusterState(me)
    state.add_node(other)
    for s in range(SLOTS):
        state.assign_slot(s, me if s % 3 else other)
    state.importing[1] = other
    state.migrating[2] = other
    state.migrating[4] = me
    assert state.unassign_node_slots(me) == SLOTS - len(range(0, SLOTS, 3))
    assert me.numslots == 0 and all(state.slots[s] is None for s in range(SLOTS) if s % 3)
    state.remove_node(other)
    assert all(owner is None for owner in state.slots)
    assert state.importing == {} and state.migrating == {4: me}
    assert "b" * 40 not in state.nodes


class FakeFastPath:
    def __init__(self) -> None:
        self.table: list[int] = []
        self.cluster_ok = False
        self.calls = 0

    def set_cluster_bitmap(self, bitmap: bytes, ok: bool) -> None:
        assert len(bitmap) == SLOTS // 8
        self.table = [bitmap[s >> 3] >> (s & 7) & 1 for s in range(SLOTS)]
        self.cluster_ok = ok
        self.calls += 1

    def clear_cluster_slot(self, slot: int) -> None:
        self.table[slot] = 0


def test_refresh_fast_slots_serves_my_stable_slots_and_reports_lost_ones(monkeypatch: Any) -> None:
    me = Node("a" * 40, NodeFlag.MYSELF | NodeFlag.MASTER)
    other = Node("b" * 40, NodeFlag.MASTER)
    state = ClusterState(me)
    state.add_node(other)
    for s in range(SLOTS):
        state.assign_slot(s, me if s < 8000 else other)
    state.ok = True
    state.migrating[10] = other
    state.importing[9000] = other
    fast = FakeFastPath()
    cluster = SimpleNamespace(state=state, server=SimpleNamespace(fastpath=fast))
    lost: list[set[int]] = []
    monkeypatch.setattr(routing, "slots_lost", lambda cl, slots: lost.append(set(slots)))
    monkeypatch.setattr(routing, "redirect_blocked_clients", lambda cl: None)
    routing.refresh_fast_slots(cluster)   # type: ignore[arg-type]
    expected = [int(s < 8000 and s != 10) for s in range(SLOTS)]
    assert fast.table == expected and fast.cluster_ok and lost == []
    routing.refresh_fast_slots(cluster)   # type: ignore[arg-type]
    assert fast.calls == 1                # nothing changed: the table is not rebuilt
    state.move_slot(20, other)            # clears the entry at once (on_unassign) ...
    assert fast.table[20] == 0
    state.move_slot(20, me)               # ... and back in the same loop turn: rebuilt at the refresh
    routing.refresh_fast_slots(cluster)   # type: ignore[arg-type]
    assert fast.table == expected and fast.calls == 2
    assert lost == [{20}]                 # its shard channels went when it left (as clusterDelSlot)
    state.move_slot(30, other)
    state.move_slot(31, other)
    del state.migrating[10]
    state.ok = False
    routing.refresh_fast_slots(cluster)   # type: ignore[arg-type]
    assert fast.table == [int(s < 8000 and s not in (30, 31)) for s in range(SLOTS)] and not fast.cluster_ok
    assert lost == [{20}, {30, 31}]
