"""Cluster topology operations over plain client connections: forming a cluster (slots, epochs, MEET,
REPLICATE), waiting for it to settle, live resharding (redis-cli's clusterManagerMoveSlot) and rebalancing.

No processes here: callers (embed/cluster.py, embed/cluster_cli.py) start and stop nodes and hand in their
addresses. Every wait is bounded and a failed wait raises TopologyError with a description of every node's view
plus whatever the caller's `diag` adds (log tails). Talks RESP through its own small blocking client (hiredis
reader), so the CLI needs neither redis-py nor redis-cli.
"""
from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import hiredis

SLOTS: Final = 16384
POLL_S: Final = 0.01
MIGRATE_TIMEOUT_MS: Final = 10000
KEYS_PER_MIGRATE: Final = 100
SLOTS_PER_BATCH: Final = 128

Addr = tuple[str, int]
Progress = Callable[[str], None]


class TopologyError(RuntimeError):
    """A topology operation failed or a bounded wait ran out."""


class CommandError(Exception):
    """An error reply from a node."""


class NodeLink:
    """One blocking RESP connection to a node; reconnects on the next call after a socket error."""

    def __init__(self, host: str, port: int, timeout: float = 5.0) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self._sock: socket.socket | None = None
        self._reader: Any = None

    def __repr__(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def addr(self) -> Addr:
        return (self.host, self.port)

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None

    def pipeline(self, commands: Sequence[Sequence[Any]]) -> list[Any]:
        """Send every command, read every reply; error replies come back as CommandError objects."""
        if self._sock is None:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
            self._reader = hiredis.Reader()
        try:
            self._sock.sendall(b"".join(_encode(cmd) for cmd in commands))
            replies: list[Any] = []
            while len(replies) < len(commands):
                reply = self._reader.gets()
                if reply is False:
                    data = self._sock.recv(65536)
                    if not data:
                        raise ConnectionError(f"{self} closed the connection")
                    self._reader.feed(data)
                    continue
                replies.append(CommandError(str(reply)) if isinstance(reply, hiredis.ReplyError) else reply)
            return replies
        except (OSError, hiredis.ProtocolError):
            self.close()
            raise

    def call(self, *args: Any) -> Any:
        """One command; an error reply raises CommandError."""
        reply = self.pipeline([args])[0]
        if isinstance(reply, CommandError):
            raise reply
        return reply


def _encode(cmd: Sequence[Any]) -> bytes:
    parts = [b"*%d\r\n" % len(cmd)]
    for arg in cmd:
        raw = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(parts)


# ----------------------------------------------------------------------------------------------- views


@dataclass(frozen=True)
class NodeRecord:
    """One line of CLUSTER NODES."""

    id: str
    host: str
    port: int
    flags: frozenset[str]
    primary_id: str | None
    config_epoch: int
    link: str
    slots: tuple[tuple[int, int], ...]
    open_slots: tuple[str, ...]

    @property
    def is_primary(self) -> bool:
        return "master" in self.flags

    @property
    def failed(self) -> bool:
        return bool(self.flags & {"fail", "fail?"})

    @property
    def slot_count(self) -> int:
        return sum(b - a + 1 for a, b in self.slots)

    def slot_list(self) -> list[int]:
        return [s for a, b in self.slots for s in range(a, b + 1)]

    @classmethod
    def parse(cls, line: str) -> NodeRecord:
        f = line.split()
        addr = f[1].split("@", 1)[0]
        host, _, port = addr.rpartition(":")
        slots: list[tuple[int, int]] = []
        open_slots: list[str] = []
        for s in f[8:]:
            if s.startswith("["):
                open_slots.append(s)
            elif "-" in s:
                a, b = s.split("-")
                slots.append((int(a), int(b)))
            else:
                slots.append((int(s), int(s)))
        return cls(id=f[0], host=host, port=int(port or 0), flags=frozenset(f[2].split(",")),
                   primary_id=None if f[3] == "-" else f[3], config_epoch=int(f[6]), link=f[7],
                   slots=tuple(sorted(slots)), open_slots=tuple(open_slots))


def cluster_nodes(link: NodeLink) -> list[NodeRecord]:
    text = link.call("CLUSTER", "NODES")
    return [NodeRecord.parse(ln) for ln in text.decode().splitlines() if ln.strip()]


def info_fields(raw: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in raw.decode().splitlines():
        key, sep, value = line.partition(":")
        if sep:
            out[key] = value.strip()
    return out


def myself(records: Iterable[NodeRecord]) -> NodeRecord:
    return next(r for r in records if "myself" in r.flags)


def signature(records: Iterable[NodeRecord]) -> str:
    """redis-cli's clusterManagerGetConfigSignature: ids and slot ranges of the slot owners, sorted."""
    parts = []
    for r in records:
        if r.slots:
            parts.append(r.id + ":" + ",".join(f"{a}-{b}" if a != b else str(a) for a, b in r.slots))
    return "|".join(sorted(parts))


def describe(links: Iterable[NodeLink]) -> str:
    """Every node's cluster_state and CLUSTER NODES, for failure messages."""
    out = []
    for link in links:
        try:
            state = info_fields(link.call("CLUSTER", "INFO")).get("cluster_state")
            out.append(f"--- {link} cluster_state={state}\n{link.call('CLUSTER', 'NODES').decode()}")
        except (OSError, CommandError) as exc:
            out.append(f"--- {link}: {exc!r}")
    return "\n".join(out)


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, links: Sequence[NodeLink] = (),
             diag: Callable[[], str] | None = None, interval: float = POLL_S) -> Any:
    """Poll `predicate` until truthy; after `timeout` seconds raise TopologyError naming `what`, with every
    node's view and the caller's diagnostics. Errors inside the predicate count as "not yet"."""
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except (OSError, CommandError, StopIteration, ValueError, KeyError, NotReady) as exc:
            last = exc
        if time.monotonic() >= deadline:
            extra = diag() if diag is not None else ""
            raise TopologyError(f"timed out after {timeout:g}s waiting for {what} (last error: {last!r})\n"
                                f"{describe(links)}\n{extra}".rstrip())
        time.sleep(interval)


# ----------------------------------------------------------------------------------------------- forming


def split_slots(n: int) -> list[tuple[int, int]]:
    """16384 slots in n contiguous ranges whose sizes differ by at most one (redis-cli create's split)."""
    per, extra = divmod(SLOTS, n)
    out, start = [], 0
    for i in range(n):
        size = per + (1 if i < extra else 0)
        out.append((start, start + size - 1))
        start += size
    return out


def node_ids(links: Sequence[NodeLink]) -> list[str]:
    return [link.call("CLUSTER", "MYID").decode() for link in links]


def knows_all(link: NodeLink, ids: set[str]) -> bool:
    """`link`'s node lists every id of `ids`, none still in handshake."""
    seen = {r.id for r in cluster_nodes(link) if not r.flags & {"handshake", "noaddr"}}
    return ids <= seen


class NotReady(Exception):
    """Raised by a wait_for predicate to say what is still missing (shown if the wait times out)."""


def unsettled_reason(links: Sequence[NodeLink], replicas: Sequence[tuple[NodeLink, NodeLink]] = (),
                     ids: dict[NodeLink, str] | None = None, strict_pairs: bool = True) -> str:
    """What keeps the cluster from being settled, or "" once it is: cluster_state:ok and one config signature
    on every link, and every replica linked to its primary (master_link_status:up). With strict_pairs, each
    (replica, primary) pair must be shown as such by every node; without, only the number of replicas must
    match (a failover during start-up under load may have swapped a pair)."""
    sigs = set()
    views = []
    for link in links:
        state = info_fields(link.call("CLUSTER", "INFO")).get("cluster_state")
        if state != "ok":
            return f"{link} says cluster_state:{state}"
        recs = cluster_nodes(link)
        views.append(recs)
        sigs.add(signature(recs))
    if len(sigs) != 1:
        return f"{len(sigs)} different config signatures"
    if not replicas:
        return ""
    assert ids is not None
    for link, recs in zip(links, views, strict=True):
        if strict_pairs:
            for rep, prim in replicas:
                if not any(r.id == ids[rep] and r.primary_id == ids[prim] and not r.is_primary for r in recs):
                    return f"{link} does not show {rep} as a replica of {prim}"
        elif sum(not r.is_primary for r in recs) != len(replicas) or len(recs) != len(links):
            return f"{link} shows {sum(not r.is_primary for r in recs)} replicas of {len(recs)} nodes"
    for link, recs in zip(links, views, strict=True):
        if not myself(recs).is_primary:
            status = info_fields(link.call("INFO", "replication")).get("master_link_status")
            if status != "up":
                return f"{link}'s link to its primary is {status}"
    return ""


def settled(links: Sequence[NodeLink], replicas: Sequence[tuple[NodeLink, NodeLink]] = (),
            ids: dict[NodeLink, str] | None = None, strict_pairs: bool = True) -> bool:
    """unsettled_reason() has nothing to report."""
    return not unsettled_reason(links, replicas, ids, strict_pairs)


def wait_settled(links: Sequence[NodeLink], replicas: Sequence[tuple[NodeLink, NodeLink]], ids: dict[NodeLink, str],
                 timeout: float, diag: Callable[[], str] | None = None, strict_pairs: bool = True) -> None:
    """Wait until settled(), naming the last thing missing if the wait times out."""
    def check() -> bool:
        reason = unsettled_reason(links, replicas, ids, strict_pairs)
        if reason:
            raise NotReady(reason)
        return True

    wait_for(check, timeout, "cluster_state:ok, one config signature and every replica linked", links, diag,
             interval=0.02)


def form_cluster(primaries: Sequence[NodeLink], replicas: Sequence[tuple[NodeLink, NodeLink]] = (),
                 timeout: float = 30.0, diag: Callable[[], str] | None = None,
                 on_progress: Progress | None = None, strict_pairs: bool = True,
                 replicas_started: Callable[[], Any] | None = None) -> dict[NodeLink, str]:
    """Make fresh nodes one cluster: slots split evenly over `primaries` (ADDSLOTSRANGE), a distinct config
    epoch per node (SET-CONFIG-EPOCH), every node MEETs every other one, then each (replica, primary) pair is
    joined with CLUSTER REPLICATE. Returns node ids by link once the cluster is settled() (strict_pairs: see
    unsettled_reason).

    The primaries are set up first; `replicas_started` (if given) is called before the replicas are touched,
    so a caller can still be starting the replica processes meanwhile. That overlaps their start-up with the
    primaries' CLUSTER_WRITABLE_DELAY (a primary stays cluster_state:fail for 2 s after it starts)."""
    say = on_progress or (lambda msg: None)
    deadline = time.monotonic() + timeout
    ids = dict(zip(primaries, node_ids(primaries), strict=True))
    for epoch, (link, (a, b)) in enumerate(zip(primaries, split_slots(len(primaries)), strict=True), 1):
        # Distinct epochs so no collision has to be resolved by gossip (redis-cli create does the same).
        link.pipeline([("CLUSTER", "ADDSLOTSRANGE", a, b), ("CLUSTER", "SET-CONFIG-EPOCH", epoch)])
    # Every node meets every other one: no need to wait for gossip to spread the membership.
    for link in primaries:
        link.pipeline([("CLUSTER", "MEET", other.host, other.port) for other in primaries if other is not link])
    say(f"assigned {SLOTS} slots to {len(primaries)} primaries")
    if replicas_started is not None:
        replicas_started()
    reps = [rep for rep, _ in replicas]
    ids.update(zip(reps, node_ids(reps), strict=True))
    everyone = [*primaries, *reps]
    for epoch, link in enumerate(reps, len(primaries) + 1):
        link.pipeline([("CLUSTER", "SET-CONFIG-EPOCH", epoch)])
    for link in reps:
        link.pipeline([("CLUSTER", "MEET", other.host, other.port) for other in everyone if other is not link])
    all_ids = set(ids.values())
    wait_for(lambda: all(knows_all(link, all_ids) for link in everyone), max(0.1, deadline - time.monotonic()),
             "every node to know every other node", everyone, diag)
    for rep, prim in replicas:
        rep.call("CLUSTER", "REPLICATE", ids[prim])
    if replicas:
        say(f"{len(replicas)} replicas attached")
    wait_settled(everyone, replicas, ids, max(0.1, deadline - time.monotonic()), diag, strict_pairs)
    return ids


def join_node(existing: NodeLink, new: NodeLink, everyone: Sequence[NodeLink], timeout: float = 30.0,
              diag: Callable[[], str] | None = None) -> str:
    """MEET a fresh node into a running cluster (from every live node) and wait until all know it."""
    new_id: str = new.call("CLUSTER", "MYID").decode()
    want = {new_id, *node_ids([existing])}
    for link in everyone:
        if link is not new:
            link.pipeline([("CLUSTER", "MEET", new.host, new.port)])
    links = [*everyone, new] if new not in everyone else list(everyone)
    wait_for(lambda: all(knows_all(link, want) for link in links), timeout,
             f"every node to know {new}", links, diag)
    return new_id


def forget_node(node_id: str, links: Sequence[NodeLink]) -> None:
    """CLUSTER FORGET on every given node (an unknown-node reply is fine: already forgotten)."""
    for link in links:
        reply = link.pipeline([("CLUSTER", "FORGET", node_id)])[0]
        if isinstance(reply, CommandError) and "Unknown node" not in str(reply):
            raise TopologyError(f"CLUSTER FORGET {node_id} on {link}: {reply}")


# ----------------------------------------------------------------------------------------------- resharding


def _check(replies: list[Any], what: str, link: NodeLink) -> None:
    for reply in replies:
        if isinstance(reply, CommandError):
            raise TopologyError(f"{what} on {link}: {reply}")


def _migrate_keys(source: NodeLink, target: NodeLink, slots: Sequence[int], pipeline: int) -> int:
    """Move every key of `slots` from source to target (GETKEYSINSLOT + MIGRATE ... KEYS), until the slots are
    empty on the source. A BUSYKEY reply is retried with REPLACE, as redis-cli does when asked to."""
    moved = 0
    pending = list(slots)
    while pending:
        lists = source.pipeline([("CLUSTER", "GETKEYSINSLOT", s, pipeline) for s in pending])
        _check(lists, "CLUSTER GETKEYSINSLOT", source)
        cmds, with_keys = [], []
        for slot, keys in zip(pending, lists, strict=True):
            if keys:
                cmds.append(("MIGRATE", target.host, target.port, "", 0, MIGRATE_TIMEOUT_MS, "KEYS", *keys))
                with_keys.append((slot, keys))
        if not cmds:
            return moved
        replies = source.pipeline(cmds)
        for (_, keys), reply in zip(with_keys, replies, strict=True):
            replace: tuple[str, ...] = ()
            for _attempt in range(50):
                if not isinstance(reply, CommandError):
                    break
                if "BUSYKEY" in str(reply):
                    replace = ("REPLACE",)
                elif "CLUSTERDOWN" in str(reply) or "TRYAGAIN" in str(reply):
                    time.sleep(0.1)      # the target is still settling; bounded retry
                else:
                    break
                reply = source.pipeline([("MIGRATE", target.host, target.port, "", 0, MIGRATE_TIMEOUT_MS,
                                          *replace, "KEYS", *keys)])[0]
            if isinstance(reply, CommandError):
                raise TopologyError(f"MIGRATE of {len(keys)} keys from {source} to {target}: {reply}")
            moved += len(keys)
        # Look again at every slot that had keys: MIGRATING makes the source answer ASK for new keys, so the
        # loop ends once a look finds them all empty.
        pending = [slot for slot, _ in with_keys]
    return moved


def move_slots(source: NodeLink, target: NodeLink, slots: Sequence[int], primaries: Sequence[NodeLink],
               ids: dict[NodeLink, str], pipeline: int = KEYS_PER_MIGRATE) -> int:
    """redis-cli's clusterManagerMoveSlot for a batch of slots: IMPORTING on the target, MIGRATING on the source,
    the keys, then SETSLOT NODE on the target, the source and every other primary. Returns keys moved."""
    src_id, dst_id = ids[source], ids[target]
    _check(target.pipeline([("CLUSTER", "SETSLOT", s, "IMPORTING", src_id) for s in slots]), "SETSLOT IMPORTING",
           target)
    _check(source.pipeline([("CLUSTER", "SETSLOT", s, "MIGRATING", dst_id) for s in slots]), "SETSLOT MIGRATING",
           source)
    moved = _migrate_keys(source, target, slots, pipeline)
    for link in [target, source, *(p for p in primaries if p is not target and p is not source)]:
        replies = link.pipeline([("CLUSTER", "SETSLOT", s, "NODE", dst_id) for s in slots])
        if link is target or link is source:
            _check(replies, "SETSLOT NODE", link)
        # Other primaries may be unreachable; they learn the owner from gossip (redis-cli ignores them too).
    return moved


def reshard(nodes: Sequence[NodeLink], slots: Sequence[int], source: NodeLink, target: NodeLink,
            on_progress: Progress | None = None, batch: int = SLOTS_PER_BATCH,
            ids: dict[NodeLink, str] | None = None) -> int:
    """Move `slots` live from `source` to `target` in batches, telling `on_progress` after each batch.

    Args:
        nodes: the cluster's primaries (every one is told the new owner).
        slots: the slots to move; all must be owned by `source`.
    Returns:
        the number of keys moved.
    """
    ids = ids if ids is not None else dict(zip(nodes, node_ids(nodes), strict=True))
    for link in (source, target):
        if link not in ids:
            ids[link] = link.call("CLUSTER", "MYID").decode()
    total, moved = len(slots), 0
    for i in range(0, total, batch):
        chunk = slots[i:i + batch]
        moved += move_slots(source, target, chunk, nodes, ids)
        if on_progress is not None:
            on_progress(f"moved slots {chunk[0]}..{chunk[-1]} ({min(i + batch, total)}/{total}) "
                        f"{source} -> {target}, {moved} keys")
    return moved


def slot_owners(link: NodeLink) -> dict[str, list[int]]:
    """node id → the slots it owns, in `link`'s view (primaries without slots included, empty)."""
    return {r.id: r.slot_list() for r in cluster_nodes(link) if r.is_primary and not r.failed}


def rebalance(primaries: Sequence[NodeLink], on_progress: Progress | None = None,
              weights: dict[NodeLink, float] | None = None, batch: int = SLOTS_PER_BATCH,
              ids: dict[NodeLink, str] | None = None) -> int:
    """Move slots so each primary owns a share proportional to its weight (default: equal shares; weight 0
    empties a primary before it is removed). Slots move from the most over-full to the most under-full
    primary, each move a live reshard(). Returns the number of keys moved."""
    ids = ids if ids is not None else dict(zip(primaries, node_ids(primaries), strict=True))
    by_id = {ids[p]: p for p in primaries}
    owned = slot_owners(primaries[0])
    for p in primaries:
        owned.setdefault(ids[p], [])
    stray = [nid for nid, sl in owned.items() if sl and nid not in by_id]
    if stray:
        raise TopologyError(f"slots owned by nodes not in the primaries given: {stray}")
    w = {ids[p]: (weights or {}).get(p, 1.0) for p in primaries}
    total_w = sum(w.values())
    if total_w <= 0:
        raise TopologyError("rebalance needs at least one primary with a positive weight")
    # Target shares: floor of the exact share, the remainder handed out one by one in primary order.
    want = {nid: int(SLOTS * w[nid] / total_w) for nid in w}
    for nid in [ids[p] for p in primaries if w[ids[p]] > 0][:SLOTS - sum(want.values())]:
        want[nid] += 1
    surplus = {nid: sorted(owned[nid])[want[nid]:] for nid in w if len(owned[nid]) > want[nid]}
    deficit = {nid: want[nid] - len(owned[nid]) for nid in w if len(owned[nid]) < want[nid]}
    moved = 0
    for dst, need in deficit.items():
        while need > 0:
            src = max(surplus, key=lambda nid: len(surplus[nid]))
            take, surplus[src] = surplus[src][:need], surplus[src][need:]
            if not take:
                raise TopologyError("rebalance plan ran out of slots")   # cannot happen: shares sum to 16384
            moved += reshard(primaries, take, by_id[src], by_id[dst], on_progress, batch, ids)
            need -= len(take)
    return moved
