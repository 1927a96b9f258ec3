"""The replica side: the link to our primary (server.repl.link while we are a replica).

Connects (with repl-timeout), drives handshake.py, receives the RDB framed by payload.py (a `$<len>` bulk
or a diskless `$EOF:<mark>` stream) into a temp file in `dir` or, per repl-diskless-load, memory; loads it,
then applies the command stream as the primary client and feeds the applied bytes on (server.repl.feed).
Reconnects from the once-a-second cron (replicationCron), sends REPLCONF ACK, detects a dead primary.
The only socket code of the replica side.
"""
from __future__ import annotations

import asyncio
import os
import time
from typing import TYPE_CHECKING, Any

from .._speedups.keyspace import Db
from ..protocol.request import RequestParser
from ..server.client import ClientFlag
from ..server.dispatch import process_command
from .handshake import Continue, Failed, FullResync, Handshake, ReplState, encode
from .payload import Abort, Header, PayloadReader

if TYPE_CHECKING:
    from ..server.client import Client
    from ..server.instance import Server



def _encoded_len(argv: list[bytes]) -> int:
    """Bytes of argv as canonical RESP multibulk (how a primary writes its stream)."""
    n = 1 + len(str(len(argv))) + 2
    for arg in argv:
        size = len(arg)
        n += 1 + len(str(size)) + 2 + size + 2
    return n


class _Protocol(asyncio.Protocol):
    """Moves bytes between the socket and the link; doubles as the primary client's `conn`."""

    def __init__(self, link: ReplicaLink) -> None:
        self.link = link
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.deferred = None    # the Client's conn interface (CLIENT LIST looks at it)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if not self.closed and self.link.proto is self:
            self.link.on_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.link.proto is self:
            self.link.on_lost()

    def write(self, data: bytes) -> None:
        if self.transport is not None and not self.closed:
            self.transport.write(data)

    def flush(self) -> None:
        pass    # the primary client's replies are discarded

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            if self.transport is not None:
                self.transport.close()
            if self.link.proto is self:
                self.link.on_lost()


class ReplicaLink:
    """replicationSetMaster's state: the primary's address, REPL_STATE, the primary client, offsets."""

    def __init__(self, server: Server, host: str, port: int) -> None:
        self.server = server
        self.host = host
        self.port = port
        self.state = ReplState.CONNECT
        self.proto: _Protocol | None = None
        self.connect_task: asyncio.Task[Any] | None = None
        self.handshake: Handshake | None = None
        self.client: Client | None = None
        self.buf = bytearray()              # handshake/transfer bytes not consumed yet
        self.parser: RequestParser | None = None
        self.pending = bytearray()          # stream bytes read but not yet fed onward (a MULTI in progress)
        self.applied = 0                    # how many of them, from the start, were already applied
        self.applying = False               # True while the primary's commands run (scripts may write then)
        self.stream_dbid = 0                # the primary client's db, kept across a PSYNC (replicationCacheMaster)
        self.read_reploff = server.repl.offset
        # cached primary (PSYNC2): replicationCacheMasterUsingMyself when a primary turns into a replica.
        self.psync: tuple[str, int] | None = None
        self.down_since: float | None = None    # repl_down_since: when an established link was lost
        self.last_io = time.monotonic()
        self.payload: PayloadReader | None = None   # the RDB transfer in progress
        self.transfer_file: Any = None
        self.transfer_mem: bytearray | None = None
        self.transfer_path = ""
        self.timer: asyncio.TimerHandle | None = None
        self.stopped = False

    # -- lifecycle ---------------------------------------------------------------------------------------

    def start(self, was_primary: bool = True) -> None:
        if was_primary:
            self.server.log.notice("Before turning into a replica, using my own master parameters to synthesize "
                                   "a cached master: I may be able to synchronize with the new master with just "
                                   "a partial transfer.")
        self.connect()
        loop = self.server.loop
        if loop is not None:
            self.timer = loop.call_later(1.0, self.cron)

    def stop(self) -> None:
        """REPLICAOF NO ONE / another primary: drop the link for good."""
        self.stopped = True
        if self.timer is not None:
            self.timer.cancel()
        if self.connect_task is not None:
            self.connect_task.cancel()
        self._abort_transfer()
        proto = self.proto
        self.proto = None
        if proto is not None:
            proto.close()
        self._free_client()

    def connect(self, reconnect: bool = False) -> None:
        """connectWithMaster."""
        loop = self.server.loop
        cron = self.server.cron_handle
        if loop is None or self.stopped or (cron is not None and cron.cancelled()):
            return      # REPLICAOF NO ONE, or the server is shutting down
        log = self.server.log
        log.notice(f"{'Reconnecting' if reconnect else 'Connecting'} to MASTER {self.host}:{self.port}")
        self.state = ReplState.CONNECTING
        self.last_io = time.monotonic()
        log.notice("MASTER <-> REPLICA sync started")
        self.connect_task = loop.create_task(self._connect())

    async def _connect(self) -> None:
        loop = asyncio.get_running_loop()
        proto = _Protocol(self)
        try:
            await asyncio.wait_for(loop.create_connection(lambda: proto, self.host, self.port),
                                   timeout=int(self.server.config["repl-timeout"]))
        except asyncio.CancelledError:
            raise
        except asyncio.TimeoutError:
            self.server.log.warning("Timeout connecting to the MASTER...")
            self.state = ReplState.CONNECT
            return
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            self.server.log.warning(f"Error condition on socket for SYNC: {reason}")
            self.state = ReplState.CONNECT
            return
        finally:
            self.connect_task = None
        if self.stopped:
            proto.close()
            return
        self.proto = proto
        self.server.log.notice("Non blocking connect for SYNC fired the event.")
        cfg = self.server.config
        self.handshake = Handshake(
            listening_port=int(cfg["replica-announce-port"]) or self.server.port,
            masterauth=cfg["masterauth"] or None, masteruser=cfg["masteruser"] or None,
            announce_ip=cfg["replica-announce-ip"] or None, psync=self.psync)
        self.buf.clear()
        self.last_io = time.monotonic()
        proto.write(self.handshake.start())
        self.state = self.handshake.state

    def on_lost(self) -> None:
        """The connection closed (either side): cache the primary for a PSYNC, go back to CONNECT."""
        proto = self.proto
        self.proto = None
        if proto is not None and not proto.closed:
            proto.close()
        if self.stopped:
            return
        log = self.server.log
        was = self.state
        self._abort_transfer()
        self.handshake = None
        self.state = ReplState.CONNECT
        if was == ReplState.CONNECTED:
            log.warning("Connection with master lost.")
            log.notice("Caching the disconnected master state.")
            repl = self.server.repl
            self.psync = (repl.replid, repl.offset + 1)
            self.down_since = time.monotonic()
            self._free_client()
            self.connect(reconnect=True)

    # -- cron --------------------------------------------------------------------------------------------

    def cron(self) -> None:
        """replicationCron's replica half, once a second."""
        if self.stopped:
            return
        loop = self.server.loop
        if loop is not None:
            self.timer = loop.call_later(1.0, self.cron)
        try:
            self._cron()
        except Exception as exc:  # the cron must never die
            self.server.log.warning(f"replicationCron error: {exc!r}")

    def _cron(self) -> None:
        now = time.monotonic()
        timeout = int(self.server.config["repl-timeout"])
        state = self.state
        log = self.server.log
        if ReplState.CONNECTING <= state < ReplState.TRANSFER and now - self.last_io > timeout:
            log.warning("Timeout connecting to the MASTER...")
            self._drop()
        elif state == ReplState.TRANSFER and now - self.last_io > timeout:
            log.warning("Timeout receiving bulk data from MASTER... If the problem persists try to set the "
                        "'repl-timeout' parameter in redis.conf to a larger value.")
            self._drop()
        elif state == ReplState.CONNECTED and now - self.last_io > timeout:
            log.warning("MASTER timeout: no data nor PING received...")
            self._drop()
        if self.state == ReplState.CONNECT and self.connect_task is None:
            self.connect()
        if self.state == ReplState.CONNECTED:
            self.send_ack()

    def _drop(self) -> None:
        proto = self.proto
        if proto is not None:
            proto.close()
        else:
            self._abort_transfer()
            if self.connect_task is not None:
                self.connect_task.cancel()
                self.connect_task = None
            self.state = ReplState.CONNECT

    def send_ack(self) -> None:
        """replicationSendAck: REPLCONF ACK <applied offset>."""
        if self.proto is not None:
            self.proto.write(encode("REPLCONF", "ACK", str(self.server.repl.offset)))

    # -- input -------------------------------------------------------------------------------------------

    def on_data(self, data: bytes) -> None:
        self.last_io = time.monotonic()
        if self.state == ReplState.CONNECTED:
            self._apply(data)
            return
        self.buf += data
        while self.proto is not None and self.buf:
            if self.state == ReplState.TRANSFER:
                if not self._transfer():
                    return
            elif self.connected():
                rest = bytes(self.buf)
                self.buf.clear()
                self._apply(rest)
                return
            else:
                end = self.buf.find(b"\n")
                if end < 0:
                    return
                line = bytes(self.buf[:end]).rstrip(b"\r")
                del self.buf[:end + 1]
                self._handshake_line(line)

    def _handshake_line(self, line: bytes) -> None:
        hs = self.handshake
        assert hs is not None
        step = hs.on_line(line)
        log = self.server.log
        for text in step.notices:
            log.notice(text)
        for text in step.warnings:
            log.warning(text)
        if step.send and self.proto is not None:
            self.proto.write(step.send)
        self.state = hs.state
        outcome = step.outcome
        if outcome is None:
            return
        if isinstance(outcome, Failed) or (isinstance(outcome, FullResync) and outcome.offset < 0):
            if self.proto is not None:
                self.proto.close()
            return
        if isinstance(outcome, FullResync):
            self.full_replid = outcome.replid
            self.full_offset = outcome.offset
            self.state = ReplState.TRANSFER
            self.payload = PayloadReader()
            return
        assert isinstance(outcome, Continue)
        self._continue(outcome)

    def _continue(self, outcome: Continue) -> None:
        """replicationResurrectCachedMaster: keep our data and offset, go on with the stream."""
        repl = self.server.repl
        log = self.server.log
        if outcome.new_replid is not None:
            # PSYNC2: the primary's history continues under a new id; ours becomes replid2.
            repl.replid2 = repl.replid
            repl.second_offset = repl.offset + 1
            repl.replid = outcome.new_replid
            log.notice(f"Master replication ID changed to {outcome.new_replid}")
            self._disconnect_replicas()
        log.notice("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
        if repl.backlog is None:
            repl.create_backlog()
        self._attach_client()

    # -- RDB transfer --------------------------------------------------------------------------------------

    def _transfer(self) -> bool:
        """Consume payload bytes from self.buf (payload.py frames them); False when more are needed."""
        reader = self.payload
        assert reader is not None
        log = self.server.log
        for event in reader.feed(self.buf):
            if isinstance(event, Abort):
                log.warning(event.message)
                self._drop()
                return False
            if isinstance(event, Header):
                self._open_transfer_file()
                if event.size < 0:
                    log.notice(f"MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF "
                               f"{self._target()}")
                else:
                    log.notice(f"MASTER <-> REPLICA sync: receiving {event.size} bytes from master "
                               f"{self._target()}")
                continue
            self._write_transfer(event.data)
            if event.last:
                self._finish_transfer()
                return True
        return False

    def _open_transfer_file(self) -> None:
        """Where the payload goes: memory when repl-diskless-load applies (useDisklessLoad), else a temp file."""
        mode = self.server.config["repl-diskless-load"]
        self.transfer_mem = None
        if mode == "swapdb" or (mode == "on-empty-db" and not any(len(db) for db in self.server.dbs)):
            self.transfer_mem = bytearray()
        else:
            path = self.server.config.path_in_dir(f"temp-{int(time.time())}.{os.getpid()}.rdb")
            self.transfer_path = path
            self.transfer_file = open(path, "wb")  # noqa: SIM115  (closed by _finish/_abort_transfer)

    def _target(self) -> str:
        return "to parser" if self.transfer_mem is not None else "to disk"

    def _write_transfer(self, data: bytes) -> None:
        if data:
            if self.transfer_mem is not None:
                self.transfer_mem += data
            else:
                self.transfer_file.write(data)

    def _abort_transfer(self) -> None:
        if self.transfer_file is not None:
            self.transfer_file.close()
            self.transfer_file = None
            try:
                os.unlink(self.transfer_path)
            except OSError:
                pass
        self.transfer_mem = None
        self.payload = None

    def _finish_transfer(self) -> None:
        """readSyncBulkPayload's end: flush the old data (or set it aside: swapdb), load the RDB, attach."""
        from ..persistence.snapshot import RdbLoadError, empty_data, load_buffer, load_file, rdb_path

        server = self.server
        log = server.log
        fh, mem = self.transfer_file, self.transfer_mem
        self.transfer_file = self.transfer_mem = None
        self.payload = None
        if fh is not None:
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        if self.psync is not None:
            log.notice("Discarding previously cached master state.")
        self.psync = None
        repl = server.repl
        self._disconnect_replicas()
        repl.free_backlog()
        swap = mem is not None and server.config["repl-diskless-load"] == "swapdb"
        backups: list[Db] = []
        if swap:
            # The old dataset waits aside and comes back if the new one fails to load.
            for db in server.dbs:
                if server.flush_hook is not None and len(db):
                    server.flush_hook(db)
                backup = Db(server.ctx, db.id)
                db.swap_with(backup)
                backups.append(backup)
        else:
            log.notice("MASTER <-> REPLICA sync: Flushing old data")
            empty_data(server)
        log.notice("MASTER <-> REPLICA sync: Loading DB in memory")
        ctx = server.ctx
        try:
            ctx.expired_visible = True     # a replica keeps keys already expired: the primary DELs them
            try:
                if mem is not None:
                    load_buffer(server, memoryview(mem), replica=True)
                else:
                    target = rdb_path(server)
                    os.replace(self.transfer_path, target)
                    load_file(server, target, replica=True)
            finally:
                ctx.expired_visible = False
        except (RdbLoadError, OSError) as exc:
            where = "socket" if mem is not None else "disk"
            log.warning(f"Failed trying to load the MASTER synchronization DB from {where}, check server logs.")
            log.debug(f"load error: {exc}")
            empty_data(server)
            if swap:
                log.notice("MASTER <-> REPLICA sync: Discarding the half-loaded data")
                for db, backup in zip(server.dbs, backups, strict=True):
                    db.swap_with(backup)
            self._drop()
            return
        if swap:
            log.notice("MASTER <-> REPLICA sync: Swapping active DB with loaded DB")
            for backup in backups:
                backup.clear()
        # The stream goes on in the db the RDB names (rdbSaveInfo's repl-stream-db).
        aux = getattr(server.persistence, "last_load_aux", {})
        try:
            self.stream_dbid = max(0, int(aux.get("repl-stream-db", b"0")))
        except ValueError:
            self.stream_dbid = 0
        repl.replid = self.full_replid
        repl.offset = self.full_offset
        repl.clear_replid2()
        repl.create_backlog()
        self._attach_client()
        log.notice("MASTER <-> REPLICA sync: Finished with success")
        # A diskless primary puts us online on our first ACK: send it now (readSyncBulkPayload).
        self.send_ack()

    def _disconnect_replicas(self) -> None:
        """disconnectSlaves: our sub-replicas must resync against the new history."""
        for link in list(self.server.repl.replicas):
            close = getattr(link, "close", None)
            if close is not None:
                close()

    # -- the stream ----------------------------------------------------------------------------------------

    def _attach_client(self) -> None:
        """replicationCreateMasterClient: the stream runs as a client flagged PRIMARY."""
        server = self.server
        proto = self.proto
        assert proto is not None and proto.transport is not None
        sock = proto.transport.get_extra_info("socket")
        local = proto.transport.get_extra_info("sockname")
        laddr = f"{local[0]}:{local[1]}" if isinstance(local, tuple) else "?:0"
        c = server.new_client(f"{self.host}:{self.port}", laddr, sock.fileno() if sock is not None else -1)
        c.flags |= ClientFlag.PRIMARY
        c.authenticated = True
        c.conn = proto
        if self.stream_dbid < len(server.dbs):
            c.select(self.stream_dbid)
        self.client = c
        self.parser = RequestParser(1 << 62, 1 << 62)
        self.pending.clear()
        self.applied = 0
        self.read_reploff = server.repl.offset
        self.state = ReplState.CONNECTED
        self.down_since = None
        self.psync = None

    def _free_client(self) -> None:
        c = self.client
        self.client = None
        self.parser = None
        self.pending.clear()
        self.applied = 0
        if c is not None:
            self.stream_dbid = c.db.id
            self.server.free_client(c)

    def _apply(self, data: bytes) -> None:
        """Run the primary's commands as the primary client, then feed exactly the applied bytes onward
        (replicationFeedStreamFromMasterStream), so our offset and sub-replicas follow the primary's."""
        c = self.client
        parser = self.parser
        if c is None or parser is None or not data:
            return
        server = self.server
        self.read_reploff += len(data)
        self.pending += data
        c.tot_net_in += len(data)
        c.last_interaction = time.monotonic()
        ctx = server.ctx
        ctx.now_ms = server.clock.now_ms()
        ctx.expired_visible = True
        self.applying = True
        # Bytes applied by earlier calls but held back (a transaction still open) stay at the front of pending.
        done = self.applied
        try:
            for argv in parser.feed(data):
                size = _encoded_len(argv)
                # REPLCONF GETACK answers with send_ack(): the offset before it, as our feed comes after.
                process_command(c, argv)
                c.tot_cmds += 1
                done += size
                # A transaction reaches the offset (and our sub-replicas) whole, once EXEC ran.
                if not c.flags & ClientFlag.MULTI and done:
                    self._feed(bytes(self.pending[:done]))
                    del self.pending[:done]
                    done = 0
                if self.client is not c:
                    done = 0
                    return  # the command dropped the link (REPLICAOF NO ONE inside the stream, CLIENT KILL)
        finally:
            self.applied = done
            ctx.expired_visible = False
            self.applying = False
            if len(c.out):
                c.out.take()
        if parser.error is not None:
            server.log.warning(f"Protocol error from MASTER: {parser.error!r}")
            self._drop()
            return
        cluster = getattr(server, "cluster", None)
        if cluster is not None and cluster.state.mf_end:
            from ..cluster.failover import on_stream_applied

            on_stream_applied(cluster)     # a manual failover may be waiting for this offset

    def _feed(self, chunk: bytes) -> None:
        repl = self.server.repl
        if repl.backlog is None:
            repl.offset += len(chunk)
        else:
            repl.feed(chunk)

    # -- INFO / ROLE -----------------------------------------------------------------------------------------

    def info_lines(self) -> list[str]:
        """INFO replication's replica fields (role:slave ... replica_announced)."""
        now = time.monotonic()
        cfg = self.server.config
        connected = self.state == ReplState.CONNECTED
        # Without a primary: the cached primary's offset, else 1 (as 7.0's INFO).
        cached = self.psync[1] - 1 if self.psync is not None else 1
        lines = [
            "role:slave",
            f"master_host:{self.host}",
            f"master_port:{self.port}",
            f"master_link_status:{'up' if connected else 'down'}",
            f"master_last_io_seconds_ago:{int(now - self.last_io) if self.client is not None else -1}",
            f"master_sync_in_progress:{int(self.state == ReplState.TRANSFER)}",
            f"slave_read_repl_offset:{self.read_reploff if self.client is not None else cached}",
            f"slave_repl_offset:{self.server.repl.offset if self.client is not None else cached}",
        ]
        if self.state == ReplState.TRANSFER:
            payload = self.payload
            total = payload.size if payload is not None else -1
            read = payload.read if payload is not None else 0
            perc = (read * 100.0 / total) if total > 0 else 0.0
            lines += [
                f"master_sync_total_bytes:{total}",
                f"master_sync_read_bytes:{read}",
                f"master_sync_left_bytes:{total - read}",
                f"master_sync_perc:{perc:.2f}",
                f"master_sync_last_io_seconds_ago:{int(now - self.last_io)}",
            ]
        if not connected:
            since = self.down_since
            lines.append(f"master_link_down_since_seconds:{int(now - since) if since is not None else -1}")
        lines += [
            f"slave_priority:{cfg['replica-priority']}",
            f"slave_read_only:{int(bool(cfg['replica-read-only']))}",
            f"replica_announced:{int(bool(cfg['replica-announced']))}",
        ]
        return lines

    def connected(self) -> bool:
        return self.state == ReplState.CONNECTED

    def role_offset(self) -> int:
        return self.server.repl.offset if self.client is not None else -1


# -- becoming a replica / a primary (replicationSetMaster / replicationUnsetMaster) ------------------------


def set_primary(server: Server, host: str, port: int, *, from_config: bool = False,
                cached: tuple[str, int, int] | None = None) -> None:
    """Follow host:port from now on (keeping the data until a full sync replaces it). `cached` is a
    (replid, offset, stream db) history to offer in the first PSYNC (start-up from a replica's own dump)."""
    from ..log import ROLE_REPLICA

    repl = server.repl
    old = repl.link
    # replicationCacheMasterUsingMyself: a primary turning replica offers its own history for a PSYNC;
    # the `replicaof` directive at start-up has none to offer.
    psync: tuple[str, int] | None = None if from_config else (repl.replid, repl.offset + 1)
    if old is not None:
        # Another primary: PSYNC with what we had from the old one (its cached state, if any).
        if old.client is None:
            psync = old.psync
        old.stop()
    link = ReplicaLink(server, host, port)
    if cached is not None:
        repl.replid, repl.offset, link.stream_dbid = cached
        psync = (repl.replid, repl.offset + 1)
    link.psync = psync
    repl.link = link
    server.role = "slave"
    server.log.role = ROLE_REPLICA
    server.ctx.expire_on_read = False
    # The fast path knows nothing of READONLY / MASTERDOWN: every request takes the pipeline meanwhile.
    server.fastpath.enabled = False
    server.config.set_internal("replicaof", (host, port))
    link.start(was_primary=old is None and not from_config)


def unset_primary(server: Server) -> None:
    """REPLICAOF NO ONE: keep the data, start a new history (PSYNC2: replid2 lets old siblings continue)."""
    from ..log import ROLE_MASTER

    repl = server.repl
    link = repl.link
    if link is None:
        return
    connected = link.client is not None
    had_cache = link.psync is not None and not connected
    link.stop()
    repl.link = None
    if connected:
        # freeClient(server.master) caches the primary, which replicationUnsetMaster then discards.
        server.log.warning("Connection with master lost.")
        server.log.notice("Caching the disconnected master state.")
    if had_cache or connected:
        server.log.notice("Discarding previously cached master state.")
    repl.shift_replid()
    server.log.warning(f"Setting secondary replication ID to {repl.replid2}, valid up to offset: "
                       f"{repl.second_offset}. New replication ID is {repl.replid}")
    repl.stream_db = -1
    server.role = "master"
    server.log.role = ROLE_MASTER
    server.ctx.expire_on_read = True
    persistence = getattr(server, "persistence", None)
    server.fastpath.enabled = not (persistence is not None and persistence.deny_writes)   # MISCONF keeps it off
    server.config.set_internal("replicaof", None)


def start_from_config(server: Server) -> None:
    """The `replicaof` directive: start as a replica of it (called once the listeners are up). When the dump
    loaded at start-up carries our primary's replication id and offset, they become a cached primary, so
    the first PSYNC can continue partially (loadDataFromDisk + replicationCacheMasterUsingMyself)."""
    target = server.config["replicaof"]
    if server.config["cluster-enabled"]:
        # A cluster replica follows the primary its nodes.conf names (clusterCron starts it otherwise).
        cluster = getattr(server, "cluster", None)
        if cluster is not None:
            from ..cluster.failover import start_replication

            start_replication(cluster, at_boot=True)
        return
    if target is None:
        return
    set_primary(server, str(target[0]), int(target[1]), from_config=True, cached=_history_from_dump(server))


def _history_from_dump(server: Server) -> tuple[str, int, int] | None:
    """(repl-id, repl-offset, repl-stream-db) from the aux fields of the dump loaded at start-up, if usable."""
    aux = getattr(server.persistence, "last_load_aux", {})
    try:
        replid = aux["repl-id"].decode()
        offset = int(aux["repl-offset"])
        stream_db = int(aux.get("repl-stream-db", b"-1"))
    except (KeyError, ValueError, UnicodeDecodeError):
        return None
    # Older dumps may say repl-stream-db -1 ("not important"): Redis does not trust those for a PSYNC.
    if len(replid) != 40 or offset < 0 or stream_db < 0:
        return None
    return replid, offset, stream_db


def info_fields(server: Server) -> list[str] | None:
    """INFO replication's replica part, or None on a primary."""
    link = server.repl.link
    return link.info_lines() if link is not None else None
