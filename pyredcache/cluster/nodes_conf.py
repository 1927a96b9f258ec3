"""nodes.conf: the cluster configuration file, read at start-up and rewritten when the state changes.

The format is Redis 7.0.15's (clusterLoadConfig / clusterSaveConfig): one CLUSTER NODES line per node (handshake
nodes left out) and a `vars currentEpoch N lastVoteEpoch M` line. The file is locked with flock() for the life
of the process, so a second server pointed at it refuses to start as Redis does (clusterLockConfig).

The file is rewritten in place, as Redis 7.0 does: one write() of the whole payload, padded with blank lines to
the old length and then truncated, so a killed process leaves the old or the new content (never a mix), and
the locked inode stays the same. A temporary file + rename would be atomic against power loss too, but costs
1.5-10 ms per save on ext4 (new inode, rename, freeing the old inode), and a resharding saves on every node
for every slot moved.
"""
from __future__ import annotations

import errno as errno_mod
import fcntl
import os
import re
import socket
import threading
from typing import TYPE_CHECKING, Any

from .node import SLOTS, Node, NodeFlag, mstime, random_name
from .state import ClusterState, Todo

if TYPE_CHECKING:
    from .manager import Cluster

# Flag words accepted in the file (the CLUSTER NODES words plus "noflags").
_FLAG_BY_WORD = {
    "myself": NodeFlag.MYSELF, "master": NodeFlag.MASTER, "slave": NodeFlag.SLAVE, "fail?": NodeFlag.PFAIL,
    "fail": NodeFlag.FAIL, "handshake": NodeFlag.HANDSHAKE, "noaddr": NodeFlag.NOADDR,
    "nofailover": NodeFlag.NOFAILOVER, "noflags": 0,
}
PORT_INCR = 10000   # CLUSTER_PORT_INCR

# id(cluster) → file descriptor holding the flock; the last save error text per cluster.
_lock_fds: dict[int, int] = {}
_last_error: dict[int, str] = {}
_fork_hook_installed = False


class ConfigCorrupted(Exception):
    """The file does not parse: Redis logs "Unrecoverable error: corrupted cluster config file." and exits."""


class UnknownFlag(ConfigCorrupted):
    """An unknown flag word: Redis panics ("Unknown flag in redis cluster config file")."""


def config_path(cluster: Cluster) -> str:
    return os.path.join(str(cluster.config["dir"]), str(cluster.config["cluster-config-file"]))


def _config_name(cluster: Cluster) -> str:
    return str(cluster.config["cluster-config-file"])


def _die(cluster: Cluster, message: str) -> None:
    cluster.log.warning(message)
    raise SystemExit(1)


# ----------------------------------------------------------------------------------------- locking

def _close_locks_in_child() -> None:
    # A forked child (BGSAVE) must not keep the lock alive after the parent dies (cluster_config_file_lock_fd).
    for fd in list(_lock_fds.values()):
        try:
            os.close(fd)
        except OSError:
            pass
    _lock_fds.clear()


def lock(cluster: Cluster) -> None:
    """clusterLockConfig: exit(1) if another process holds the file."""
    global _fork_hook_installed
    path = config_path(cluster)
    name = _config_name(cluster)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        _die(cluster, f"Can't open {name} in order to acquire a lock: {exc.strerror}")
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as exc:
        os.close(fd)
        if exc.errno in (errno_mod.EWOULDBLOCK, errno_mod.EAGAIN):
            _die(cluster, f"Sorry, the cluster configuration file {name} is already used by a different Redis "
                          "Cluster node. Please make sure that different nodes use different cluster "
                          "configuration files.")
        _die(cluster, f"Impossible to lock {name}: {exc.strerror}")
        return
    _lock_fds[id(cluster)] = fd
    if not _fork_hook_installed:
        os.register_at_fork(after_in_child=_close_locks_in_child)
        _fork_hook_installed = True


def release(cluster: Cluster) -> None:
    """Drop the lock (server stopped; an embedded server may be started again in the same process)."""
    fd = _lock_fds.pop(id(cluster), None)
    if fd is not None:
        try:
            os.close(fd)
        except OSError:
            pass
    _last_error.pop(id(cluster), None)


# ----------------------------------------------------------------------------------------- loading

def _atoi(text: str) -> int:
    """C atoi: optional sign and leading digits, 0 when there are none."""
    text = text.lstrip(" \t\n\v\f\r")
    sign = 1
    if text[:1] in ("+", "-"):
        sign = -1 if text[0] == "-" else 1
        text = text[1:]
    digits = ""
    for ch in text:
        if not ch.isdigit() or not ch.isascii():
            break
        digits += ch
    return sign * int(digits) if digits else 0


def _strtoull(text: str) -> int:
    value = _atoi(text)
    return value % (1 << 64)


_NAME_STR = re.compile("[a-z0-9]{40}")
_NAME_BYTES = re.compile(b"[a-z0-9]{40}")


def valid_node_name(name: str | bytes) -> bool:
    """verifyClusterNodeId: 40 characters of a-z and 0-9."""
    if isinstance(name, str):
        return _NAME_STR.fullmatch(name) is not None
    return _NAME_BYTES.fullmatch(name) is not None


def parse(text: str) -> tuple[ClusterState, int, int]:
    """Parse the file contents into a ClusterState; returns (state, currentEpoch, lastVoteEpoch) with the epochs
    already set on the state. Raises ConfigCorrupted. Times are set to now where the file has non-zero ones."""
    now = mstime()
    nodes: dict[str, Node] = {}
    myself: Node | None = None
    current_epoch = 0
    last_vote_epoch = 0
    slot_claims: list[tuple[Node, int, int]] = []
    migrating: dict[int, Node] = {}
    importing: dict[int, Node] = {}

    def get_node(name: str) -> Node:
        node = nodes.get(name)
        if node is None:
            node = Node(name, 0)
            nodes[name] = node
        return node

    for line in text.split("\n"):
        if line == "" or line == "\r":
            continue
        argv = line.split()
        if not argv:
            # sdssplitargs of a line of blanks gives no arguments; Redis then reads argv[0] of an empty
            # vector. Treat it as corrupt.
            raise ConfigCorrupted
        if argv[0].lower() == "vars":
            if len(argv) % 2 == 0:
                raise ConfigCorrupted
            for j in range(1, len(argv), 2):
                key = argv[j].lower()
                if key == "currentepoch":
                    current_epoch = _strtoull(argv[j + 1])
                elif key == "lastvoteepoch":
                    last_vote_epoch = _strtoull(argv[j + 1])
                # Unknown variables are skipped (Redis logs them).
            continue
        if len(argv) < 8 or not valid_node_name(argv[0]):
            raise ConfigCorrupted
        n = get_node(argv[0])
        addr = argv[1]
        addr, comma, hostname = addr.partition(",")
        n.hostname = hostname if comma else ""
        ip, colon, ports = addr.rpartition(":")
        if not colon:
            raise ConfigCorrupted
        n.ip = ip
        port_text, at, bus_text = ports.partition("@")
        n.port = _atoi(port_text)
        n.cport = _atoi(bus_text) if at else n.port + PORT_INCR
        for word in argv[2].split(","):
            flag = _FLAG_BY_WORD.get(word.lower())
            if flag is None:
                raise UnknownFlag(word)
            if flag == NodeFlag.MYSELF:
                if myself is not None:
                    raise ConfigCorrupted
                myself = n
            if flag == NodeFlag.FAIL:
                n.fail_time = now
            n.flags |= flag
        if argv[3][0] != "-":
            if not valid_node_name(argv[3]):
                raise ConfigCorrupted
            primary = get_node(argv[3])
            n.primary = primary
            primary.add_replica(n)
        if _atoi(argv[4]):
            n.ping_sent = now
        if _atoi(argv[5]):
            n.pong_received = now
        n.config_epoch = _strtoull(argv[6])
        for word in argv[8:]:
            if word.startswith("["):
                dash = word.find("-")
                if dash < 0 or len(word) < dash + 3:
                    raise ConfigCorrupted
                direction = word[dash + 1]
                slot = _atoi(word[1:dash])
                if not 0 <= slot < SLOTS:
                    raise ConfigCorrupted
                rest = word[dash + 3:]
                close = rest.find("]")
                if close < 0 or not valid_node_name(rest[:close]):
                    raise ConfigCorrupted
                other = get_node(rest[:close])
                if direction == ">":
                    migrating[slot] = other
                else:
                    importing[slot] = other
                continue
            first, dash_sep, last = word.partition("-")
            start = _atoi(first)
            stop = _atoi(last) if dash_sep else start
            if not (0 <= start < SLOTS and 0 <= stop < SLOTS):
                raise ConfigCorrupted
            slot_claims.append((n, start, stop))
    if myself is None:
        raise ConfigCorrupted
    state = ClusterState(myself)
    for name, node in nodes.items():
        state.nodes[name] = node
    for node, start, stop in slot_claims:
        for slot in range(start, stop + 1):
            state.assign_slot(slot, node)   # clusterAddSlot: the first claimer keeps it
    state.migrating.update(migrating)
    state.importing.update(importing)
    state.current_epoch = current_epoch
    state.last_vote_epoch = last_vote_epoch
    # Protection against hand-edited files: currentEpoch is at least the greatest configEpoch.
    state.current_epoch = state.max_epoch()
    state.todo = 0
    return state, state.current_epoch, last_vote_epoch


def _read(cluster: Cluster) -> str | None:
    """The file's text, or None when it is missing or empty (a fresh node)."""
    path = config_path(cluster)
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        _die(cluster, f"Loading the cluster node config from {_config_name(cluster)}: {exc.strerror}")
        return None
    if not data:
        return None
    return data.decode("utf-8", "surrogateescape")


def load_or_create(cluster: Cluster) -> ClusterState:
    """clusterInit's part: lock the file, load it (or make a fresh myself and write it), then apply the announced
    address and ports and the nofailover flag to myself. Exits the process (SystemExit(1)) as Redis does on a
    locked or corrupted file."""
    lock(cluster)
    text = _read(cluster)
    if text is None:
        myself = Node(random_name(), NodeFlag.MYSELF | NodeFlag.MASTER)
        state = ClusterState(myself)
        cluster.state = state
        cluster.log.notice(f"No cluster configuration found, I'm {myself.name}")
        if not save(cluster, fsync=True):
            _die(cluster, "Fatal: can't update cluster config file.")
    else:
        try:
            state, _, _ = parse(text)
        except UnknownFlag:
            cluster.log.warning("Guru Meditation: Unknown flag in redis cluster config file #cluster.c")
            raise SystemExit(1) from None
        except ConfigCorrupted:
            _die(cluster, "Unrecoverable error: corrupted cluster config file.")
            raise   # not reached
        cluster.state = state
        cluster.log.notice(f"Node configuration loaded, I'm {state.myself.name}")
    state.size = 1   # clusterInit's value until the first clusterUpdateState
    apply_announced(cluster, state)
    install_config_hooks(cluster)
    return state


# ----------------------------------------------------------------------------------------- myself's address

def announced_ports(config: Any) -> tuple[int, int, int]:
    """deriveAnnouncedPorts (no TLS): (port, pport, cport) myself announces."""
    port = int(config["port"])
    cport = int(config["cluster-port"]) or port + PORT_INCR
    if config["cluster-announce-port"]:
        port = int(config["cluster-announce-port"])
    if config["cluster-announce-bus-port"]:
        cport = int(config["cluster-announce-bus-port"])
    return port, 0, cport


def apply_announced(cluster: Cluster, state: ClusterState | None = None) -> None:
    """deriveAnnouncedPorts + clusterUpdateMyselfFlags/Ip/Hostname: myself's ports, announced ip, hostname and
    NOFAILOVER flag from the configuration."""
    state = state or cluster.state
    me = state.myself
    config = cluster.config
    me.port, me.pport, me.cport = announced_ports(config)
    announce_ip = config["cluster-announce-ip"]
    if announce_ip:
        me.ip = str(announce_ip)
    me.hostname = str(config["cluster-announce-hostname"] or "")
    old = me.flags
    if config["cluster-replica-no-failover"]:
        me.flags |= NodeFlag.NOFAILOVER
    else:
        me.flags &= ~NodeFlag.NOFAILOVER
    if me.flags != old:
        state.todo |= Todo.SAVE_CONFIG | Todo.UPDATE_STATE


def install_config_hooks(cluster: Cluster) -> None:
    """CONFIG SET of the announce settings and cluster-replica-no-failover updates myself at once."""
    config = cluster.config

    def announce_ip_changed(old: Any, new: Any) -> None:
        # clusterUpdateMyselfIp: clearing the option forces auto-detection again.
        me = cluster.state.myself
        if new:
            me.ip = str(new)
        elif old:
            me.ip = ""

    def refresh(old: Any, new: Any) -> None:
        before = cluster.state.todo
        apply_announced(cluster)
        if cluster.state.todo != before:
            cluster.request(cluster.state.todo)

    config.add_apply_hook("cluster-announce-ip", announce_ip_changed)
    for name in ("cluster-announce-port", "cluster-announce-bus-port", "cluster-announce-hostname",
                 "cluster-replica-no-failover"):
        config.add_apply_hook(name, refresh)


# ----------------------------------------------------------------------------------------- saving

def content(cluster: Cluster) -> str:
    """The whole file: node lines (no handshake nodes) and the vars line."""
    from .describe import nodes_text

    state = cluster.state
    return (nodes_text(cluster, for_config=True)
            + f"vars currentEpoch {state.current_epoch} lastVoteEpoch {state.last_vote_epoch}\n")


def save(cluster: Cluster, fsync: bool) -> bool:
    """clusterSaveConfig: rewrite the file in place with one write() of the whole payload (padded with newlines,
    which the loader skips, up to the old length; then truncated), fsync'd when asked. False (and the reason in
    last_error) on failure."""
    state = cluster.state
    state.todo &= ~Todo.SAVE_CONFIG
    if fsync:
        state.todo &= ~Todo.FSYNC_CONFIG
    data = content(cluster).encode("utf-8", "surrogateescape")
    size = len(data)
    fd = -1
    try:
        fd = os.open(config_path(cluster), os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o644)
        old_size = os.fstat(fd).st_size
        if old_size > size:
            data += b"\n" * (old_size - size)
        if os.write(fd, data) != len(data):
            raise OSError(errno_mod.EIO, "short write")
        if fsync:
            os.fsync(fd)
        if len(data) != size:
            try:
                os.ftruncate(fd, size)
            except OSError:
                pass   # the padding is harmless: blank lines are skipped at load
    except OSError as exc:
        _last_error[id(cluster)] = exc.strerror or str(exc)
        return False
    finally:
        if fd >= 0:
            os.close(fd)
    return True


def save_or_die(cluster: Cluster, fsync: bool) -> None:
    """clusterSaveConfigOrDie (beforeSleep): a node that cannot persist its configuration stops."""
    if not save(cluster, fsync):
        cluster.log.warning("Fatal: can't update cluster config file.")
        if threading.current_thread() is not threading.main_thread():
            # an embedded in-thread server (pyredcache.Server) ends its own loop, not the host process
            raise SystemExit(1)
        os._exit(1)


def last_error(cluster: Cluster) -> str:
    return _last_error.get(id(cluster), "Unknown error")


def valid_ip(text: str) -> bool:
    """inet_pton for IPv4 or IPv6 (clusterStartHandshake's address check)."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, text)
        except (OSError, ValueError):
            continue
        return True
    return False
