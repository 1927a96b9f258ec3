"""The primary side of replication: replica links, full and partial resync, the RDB transfer, ACKs, WAIT.

Follows replication.c (syncCommand, masterTryPartialResynchronization, startBgsaveForReplication,
rdbSaveToSlavesSockets, updateSlavesWaitingBgsave, replconfCommand, replicationCron, waitCommand). A replica
is an ordinary client connection flagged REPLICA after SYNC/PSYNC; the stream and the RDB are written to its
transport directly. Full syncs fork a child: diskless (repl-diskless-sync yes and the replica said
`capa eof`) writes `$EOF:<mark>` + RDB + mark into a pipe the event loop forwards; disk-based reuses the
BGSAVE of persistence/snapshot.py and sends the file as `$<len>` + bytes.
"""
from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING, Any

from ..server.client import ClientFlag

if TYPE_CHECKING:
    from ..server.client import Client
    from ..server.instance import Server

# Replica states (SLAVE_STATE_*), named as INFO shows them where it does.
WAIT_BGSAVE_START = 0
WAIT_BGSAVE_END = 1
SEND_BULK = 2
ONLINE = 3
_STATE_NAMES = {WAIT_BGSAVE_START: "wait_bgsave", WAIT_BGSAVE_END: "wait_bgsave", SEND_BULK: "send_bulk",
                ONLINE: "online"}

_PING = b"*1\r\n$4\r\nPING\r\n"
_GETACK = b"*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"
_CHUNK = 1 << 16


class ReplicaLink:
    """One attached replica: its state, capabilities, acknowledged offset and the stream held for it."""

    __slots__ = ("primary", "c", "state", "capa_eof", "capa_psync2", "pre_psync", "listening_port",
                 "ip_address", "ack_off", "ack_time", "initial_offset", "held", "start_on_ack", "rdb_only",
                 "sync_started", "held_bytes", "early_ack", "out", "out_size", "flush_scheduled")

    def __init__(self, primary: Primary, c: Client) -> None:
        self.primary = primary
        self.c = c
        self.state = WAIT_BGSAVE_START
        info = primary.handshakes.pop(c.id, None) or {}
        self.capa_eof = bool(info.get("capa_eof"))
        self.capa_psync2 = bool(info.get("capa_psync2"))
        self.listening_port = int(info.get("listening_port", 0))
        self.ip_address: str | None = info.get("ip_address")
        self.rdb_only = bool(info.get("rdb_only"))
        self.pre_psync = False
        self.ack_off = 0
        self.ack_time = time.time()
        self.initial_offset = 0
        self.held: list[bytes] | None = []   # stream bytes waiting for the RDB to be delivered
        self.held_bytes = 0
        self.start_on_ack = False
        self.early_ack = False          # ACKed its diskless payload before we saw the pipe's end
        # What goes to the socket is gathered and written once per event-loop turn (Redis writes a replica's
        # output buffer in beforeSleep): a transaction leaves in one piece, not one send per command.
        self.out: list[bytes] = []
        self.out_size = 0
        self.flush_scheduled = False
        self.sync_started = time.monotonic()

    @property
    def ip(self) -> str:
        if self.ip_address:
            return self.ip_address
        return self.c.addr.rsplit(":", 1)[0]

    def write(self, data: bytes) -> None:
        c = self.c
        if len(c.out):
            # A reply produced before the link took over (REPLCONF's +OK) goes first.
            self.out.append(c.out.take())
        self.out.append(data)
        self.out_size += len(data)
        if not self.flush_scheduled:
            self.flush_scheduled = True
            loop = self.primary.server.loop
            if loop is not None:
                loop.call_soon(self.flush)

    def flush(self) -> None:
        self.flush_scheduled = False
        if not self.out:
            return
        if self.state == ONLINE:
            self._check_limit()
        data = b"".join(self.out)
        self.out.clear()
        self.out_size = 0
        conn = self.c.conn
        if conn is None or conn.closed or conn.transport is None:
            return
        self.c.tot_net_out += len(data)
        conn.transport.write(data)

    def feed(self, data: bytes) -> None:
        """The stream (replication/state.py feed): written when online, else held (nothing before the
        full resync point: WAIT_BGSAVE_START replicas are not fed, as canFeedReplicaReplBuffer)."""
        if self.state == WAIT_BGSAVE_START or self.rdb_only:
            return
        held = self.held
        if held is None:
            self.write(data)
            return
        held.append(data)
        before = self.held_bytes
        self.held_bytes = before + len(data)
        if (before ^ self.held_bytes) >> 16:
            # client-output-buffer-limit replica, for the stream held during the RDB transfer: checked every
            # 64 KiB (an online link is checked as it flushes).
            self._check_limit()

    def _check_limit(self) -> None:
        server = self.primary.server
        if server.obuf_mask & ClientFlag.REPLICA:
            server.obuf.check(self.c)

    def start_stream(self) -> None:
        """replicaStartCommandStream: send what was held since the resync point, then live bytes."""
        held = self.held
        self.held = None
        self.held_bytes = 0
        self.start_on_ack = False
        if held:
            self.write(b"".join(held))

    def close(self) -> None:
        self.flush()
        self.c.close()


class Primary:
    """server.primary: the replica links and the full-sync machinery; created by the first replica contact."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.repl = server.repl
        self.handshakes: dict[int, dict[str, Any]] = {}   # REPLCONF settings of clients not yet replicas
        self.links: dict[int, ReplicaLink] = {}
        self.cron_loops = 0
        self.no_replicas_since = time.monotonic()
        self.good_replicas = 0
        # the diskless child: pid, read fd, the links it serves
        self.socket_child = -1
        self.socket_fd = -1
        self.socket_links: list[ReplicaLink] = []
        self.socket_done = False
        self.disk_child = False      # the running persistence BGSAVE was started for replication
        self.getack_scheduled = False
        self.waiters: list[tuple[Client, int, int, Any]] = []   # WAIT: (client, offset, numreplicas, its block)
        self.stat_sync_full = 0
        self.stat_sync_partial_ok = 0
        self.stat_sync_partial_err = 0
        server.free_client_hooks.append(self.forget)
        server.cron_hooks.append(self.cron)
        self.repl.role_replicas = self.role_replicas  # type: ignore[attr-defined]
        server.obuf.replica_memory = self.output_memory

    # -- bookkeeping ---------------------------------------------------------------------------------------

    def forget(self, c: Client) -> None:
        self.handshakes.pop(c.id, None)
        if self.waiters:
            self.waiters = [entry for entry in self.waiters if entry[0] is not c]
        self.repl.prop.woff.pop(c.id, None)
        link = self.links.pop(c.id, None)
        if link is None:
            return
        if link in self.repl.replicas:
            self.repl.replicas.remove(link)
        if link in self.socket_links:
            self.socket_links.remove(link)
        self.server.log.notice(f"Connection with replica {self.name(link)} lost.")
        if not self.repl.replicas:
            self.no_replicas_since = time.monotonic()
        self.refresh_good()

    def flush_links(self) -> None:
        """Write what every link gathered (SHUTDOWN: before the connections close)."""
        for link in self.links.values():
            link.flush()

    def output_memory(self, c: Client) -> int:
        """What the replica class limit compares: the stream held for it (while its RDB is prepared or sent)
        plus, once online, what its transport has not sent yet. The RDB payload itself is not counted."""
        from ..server.output_limits import pending_output, reply_list_bytes

        link = self.links.get(c.id)
        if link is None:
            return 0
        pending = link.held_bytes
        if link.state == ONLINE and link.held is None:
            pending += pending_output(c) + link.out_size
        return reply_list_bytes(pending)

    def name(self, link: ReplicaLink) -> str:
        """replicationGetSlaveName."""
        if link.listening_port:
            return f"{link.ip}:{link.listening_port}"
        return f"client id #{link.c.id}"

    def refresh_good(self) -> None:
        """refreshGoodSlavesCount."""
        cfg = self.server.config
        max_lag = cfg["min-replicas-max-lag"]
        if not cfg["min-replicas-to-write"] or not max_lag:
            return
        now = time.time()
        self.good_replicas = sum(1 for link in self.links.values()
                                 if link.state == ONLINE and now - link.ack_time <= max_lag)

    def writes_refused(self) -> bool:
        """processCommand's min-replicas check (only asked while both directives are set)."""
        if self.repl.link is not None:
            return False
        self.refresh_good()
        return self.good_replicas < int(self.server.config["min-replicas-to-write"])

    # -- PSYNC / SYNC --------------------------------------------------------------------------------------

    def sync(self, c: Client, psync: tuple[str, int] | None) -> None:
        """syncCommand after the argument checks; `psync` is (replid, offset), None for SYNC."""
        server = self.server
        link = ReplicaLink(self, c)
        server.log.notice(f"Replica {self.name(link)} asks for synchronization")
        if psync is not None:
            replid, offset = psync
            if self.try_partial(link, replid, offset):
                self.stat_sync_partial_ok += 1
                return
            if not replid.startswith("?"):
                self.stat_sync_partial_err += 1
        else:
            link.pre_psync = True
        self.stat_sync_full += 1
        c.flags |= ClientFlag.REPLICA
        self.links[c.id] = link
        repl = self.repl
        repl.replicas.append(link)
        if len(repl.replicas) == 1 and repl.backlog is None:
            repl.change_replid()
            repl.clear_replid2()
            repl.create_backlog()
            server.log.notice(f"Replication backlog created, my new replication IDs are '{repl.replid}' and "
                              f"'{repl.replid2}'")
        persistence = server.persistence
        if persistence.child_pid != -1 and self.disk_child:
            peer = next((o for o in self.links.values() if o is not link and o.state == WAIT_BGSAVE_END
                         and not o.rdb_only), None)
            if peer is not None and not link.rdb_only and peer.held is not None:
                link.held = list(peer.held)
                link.held_bytes = peer.held_bytes
                self.setup_full_resync(link, peer.initial_offset)
                server.log.notice("Waiting for end of BGSAVE for SYNC")
            else:
                server.log.notice("Can't attach the replica to the current BGSAVE. Waiting for next BGSAVE for "
                                  "SYNC")
        elif self.socket_child != -1:
            server.log.notice("Current BGSAVE has socket target. Waiting for next BGSAVE for SYNC")
        elif server.config["repl-diskless-sync"] and link.capa_eof and server.config["repl-diskless-sync-delay"]:
            server.log.notice("Delay next BGSAVE for diskless SYNC")
        elif persistence.child_pid != -1:
            server.log.notice("No BGSAVE in progress, but another BG operation is active. BGSAVE for replication "
                              "delayed")
        else:
            self.start_bgsave(link.capa_eof)

    def try_partial(self, link: ReplicaLink, replid: str, offset: int) -> bool:
        """masterTryPartialResynchronization."""
        repl = self.repl
        log = self.server.log
        name = self.name(link)
        if replid != repl.replid and (replid != repl.replid2 or offset > repl.second_offset):
            if replid.startswith("?"):
                log.notice(f"Full resync requested by replica {name}")
            elif replid != repl.replid2:
                log.notice(f"Partial resynchronization not accepted: Replication ID mismatch (Replica asked for "
                           f"'{replid}', my replication IDs are '{repl.replid}' and '{repl.replid2}')")
            else:
                log.notice(f"Partial resynchronization not accepted: Requested offset for second ID was {offset}, "
                           f"but I can reply up to {repl.second_offset}")
            return False
        backlog = repl.backlog
        if backlog is None or not backlog.covers(offset):
            log.notice(f"Unable to partial resync with replica {name} for lack of backlog (Replica request was: "
                       f"{offset}).")
            if backlog is not None and offset > repl.offset:
                log.warning(f"Warning: replica {name} tried to PSYNC with an offset that is greater than the "
                            "master replication offset.")
            return False
        c = link.c
        c.flags |= ClientFlag.REPLICA
        link.state = ONLINE
        link.held = None
        link.ack_time = time.time()
        self.links[c.id] = link
        repl.replicas.append(link)
        link.write(b"+CONTINUE %s\r\n" % repl.replid.encode() if link.capa_psync2 else b"+CONTINUE\r\n")
        data = backlog.since(offset)
        if data:
            link.write(data)
        log.notice(f"Partial resynchronization request from {name} accepted. Sending {len(data)} bytes of "
                   f"backlog starting from offset {offset}.")
        self.refresh_good()
        return True

    def setup_full_resync(self, link: ReplicaLink, offset: int) -> None:
        """replicationSetupSlaveForFullResync."""
        link.initial_offset = offset
        link.state = WAIT_BGSAVE_END
        self.repl.stream_db = -1
        if not link.pre_psync:
            link.write(b"+FULLRESYNC %s %d\r\n" % (self.repl.replid.encode(), offset))

    def start_bgsave(self, capa_eof: bool) -> None:
        """startBgsaveForReplication for every replica waiting for a BGSAVE to start."""
        server = self.server
        socket_target = bool(server.config["repl-diskless-sync"]) and capa_eof
        waiting = [link for link in self.links.values() if link.state == WAIT_BGSAVE_START]
        if not waiting:
            return
        server.log.notice(f"Starting BGSAVE for SYNC with target: {'replicas sockets' if socket_target else 'disk'}")
        if socket_target:
            waiting = [link for link in waiting if link.capa_eof]
            self._fork_to_sockets(waiting)
            return
        from ..persistence.snapshot import start_bgsave

        if not start_bgsave(server, self._disk_done):
            for link in waiting:
                link.write(b"-ERR BGSAVE failed, replication can't continue\r\n")
                link.c.flags |= ClientFlag.CLOSE_AFTER_REPLY
                link.close()
            return
        self.disk_child = True
        for link in waiting:
            self.setup_full_resync(link, self.repl.offset)

    # -- diskless: the child writes into a pipe, the loop forwards it ---------------------------------------

    def _fork_to_sockets(self, links: list[ReplicaLink]) -> None:
        server = self.server
        from ..persistence.snapshot import aux_fields

        aux = aux_fields(server)
        for link in links:
            self.setup_full_resync(link, self.repl.offset)
        rfd, wfd = os.pipe()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        try:
            pid = os.fork()
        except OSError as exc:
            os.close(rfd)
            os.close(wfd)
            server.log.warning(f"Can't save in background: fork: {exc}")
            for link in links:
                link.close()
            return
        if pid == 0:
            os.close(rfd)
            self._socket_child(wfd, aux)   # never returns
        os.close(wfd)
        os.set_blocking(rfd, False)
        self.socket_child = pid
        self.socket_fd = rfd
        self.socket_links = list(links)
        self.socket_done = False
        persistence = server.persistence
        persistence.total_forks += 1
        server.log.notice(f"Background RDB transfer started by pid {pid}")
        assert server.loop is not None
        server.loop.add_reader(rfd, self._pipe_readable)

    def _socket_child(self, wfd: int, aux: dict[str, bytes | int]) -> None:
        code = 1
        try:
            from ..persistence.snapshot import prepare_fork_child, write_snapshot

            prepare_fork_child()
            mark = os.urandom(20).hex().encode()
            with os.fdopen(wfd, "wb", buffering=1 << 20) as out:
                out.write(b"$EOF:" + mark + b"\r\n")
                write_snapshot(self.server, out, aux)
                out.write(mark)
            code = 0
        except BaseException:
            code = 1
        finally:
            os._exit(code)

    def _pipe_readable(self) -> None:
        try:
            data = os.read(self.socket_fd, _CHUNK)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            for link in self.socket_links:
                link.write(data)
            return
        loop = self.server.loop
        assert loop is not None
        loop.remove_reader(self.socket_fd)
        os.close(self.socket_fd)
        self.socket_fd = -1
        self.socket_done = True
        self._reap_socket_child()

    def _reap_socket_child(self) -> None:
        pid = self.socket_child
        if pid == -1 or not self.socket_done:
            return
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 1 << 8
        if done == 0:
            return    # the cron tries again
        self.socket_child = -1
        ok = os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
        log = self.server.log
        links, self.socket_links = self.socket_links, []
        if ok:
            log.notice("Background RDB transfer terminated with success")
        else:
            log.warning("Background transfer error")
        for link in links:
            if not ok or link.rdb_only:
                # REPLCONF rdb-only (redis-cli --rdb): the payload was all it wanted.
                link.close()
                continue
            # The replica reads an EOF-marked payload blindly: nothing more is sent before its first ACK.
            link.state = ONLINE
            link.start_on_ack = True
            link.ack_time = time.time()
            if link.early_ack:
                link.start_stream()
            log.notice(f"Streamed RDB transfer with replica {self.name(link)} succeeded (socket). Waiting for "
                       "REPLCONF ACK from replica to enable streaming")
        self.refresh_good()
        self._start_pending()

    # -- disk-based: the BGSAVE file, then the held stream --------------------------------------------------

    def _disk_done(self, ok: bool) -> None:
        """updateSlavesWaitingBgsave for a disk target."""
        from ..persistence.snapshot import rdb_path

        self.disk_child = False
        server = self.server
        links = [link for link in self.links.values() if link.state == WAIT_BGSAVE_END]
        payload = b""
        if ok:
            try:
                with open(rdb_path(server), "rb") as fh:
                    payload = fh.read()
            except OSError as exc:
                server.log.warning(f"SYNC failed. Can't open/stat DB after BGSAVE: {exc}")
                ok = False
        for link in links:
            if not ok:
                server.log.warning("SYNC failed. BGSAVE child returned an error")
                link.close()
                continue
            link.state = SEND_BULK
            link.write(b"$%d\r\n" % len(payload))
            link.write(payload)
            if link.rdb_only:
                link.c.flags |= ClientFlag.CLOSE_AFTER_REPLY
                link.close()
                continue
            link.state = ONLINE
            link.ack_time = time.time()
            link.start_stream()
            server.log.notice(f"Synchronization with replica {self.name(link)} succeeded")
        self.refresh_good()
        self._start_pending()

    def _start_pending(self) -> None:
        """Replicas that arrived during the last transfer get the next one (as after checkChildrenDone)."""
        waiting = [link for link in self.links.values() if link.state == WAIT_BGSAVE_START]
        if not waiting or self.socket_child != -1 or self.server.persistence.child_pid != -1:
            return
        cfg = self.server.config
        if cfg["repl-diskless-sync"] and cfg["repl-diskless-sync-delay"]:
            return    # the cron starts it after the delay
        self.start_bgsave(all(link.capa_eof for link in waiting))

    # -- REPLCONF ---------------------------------------------------------------------------------------------

    def handshake(self, c: Client) -> dict[str, Any]:
        info = self.handshakes.get(c.id)
        if info is None:
            info = self.handshakes[c.id] = {}
        return info

    def ack(self, c: Client, offset: int) -> None:
        link = self.links.get(c.id)
        if link is None:
            return
        if offset > link.ack_off:
            link.ack_off = offset
        link.ack_time = time.time()
        if link.state == WAIT_BGSAVE_END and link in self.socket_links:
            # The replica loaded its payload (it ACKs only then) before we saw the pipe end or reaped the child.
            if self.socket_done:
                self.socket_links.remove(link)
                link.state = ONLINE
                link.start_on_ack = True
            else:
                link.early_ack = True
        if link.start_on_ack and link.state == ONLINE:
            link.start_stream()
            self.server.log.notice(f"Synchronization with replica {self.name(link)} succeeded")
        self.refresh_good()
        if self.waiters:
            self._serve_waiters()

    # -- WAIT -------------------------------------------------------------------------------------------------

    def count_acks(self, offset: int) -> int:
        """replicationCountAcksByOffset."""
        return sum(1 for link in self.links.values() if link.state == ONLINE and link.ack_off >= offset)

    def request_acks(self) -> None:
        """get_ack_from_slaves: one REPLCONF GETACK * per event-loop turn, whatever the number of WAITs."""
        if self.getack_scheduled:
            return
        self.getack_scheduled = True
        loop = self.server.loop
        if loop is not None:
            loop.call_soon(self._send_getack)

    def _send_getack(self) -> None:
        self.getack_scheduled = False
        if self.repl.link is None and self.repl.backlog is not None and self.server.pause_end is None:
            self.repl.feed(_GETACK)

    def block_wait(self, c: Client, offset: int, numreplicas: int, timeout_ms: int) -> None:
        from ..server.blocking import registry

        def timed_out(c: Client) -> None:
            # The timeout, or CLIENT UNBLOCK (replyToBlockedClientTimedOut): the count reached so far.
            c.out.integer(self.count_acks(offset))

        def never(c: Client, db: Any, key: bytes) -> bool:
            return False

        registry(self.server).block(c, [], timeout_ms / 1000.0, never, timed_out)
        self.waiters.append((c, offset, numreplicas, c.blocked))
        self.request_acks()

    def _serve_waiters(self) -> None:
        """processClientsWaitingReplicas."""
        from ..server.blocking import registry

        reg = registry(self.server)
        for entry in list(self.waiters):
            c, offset, numreplicas, state = entry
            if c.blocked is not state:
                self.waiters.remove(entry)     # timed out, unblocked or gone meanwhile
                continue
            acks = self.count_acks(offset)
            if acks >= numreplicas:
                self.waiters.remove(entry)
                c.out.integer(acks)
                reg.unblock(c)

    # -- cron ---------------------------------------------------------------------------------------------------

    def cron(self) -> None:
        """replicationCron's primary part, once a second (serverCron calls hooks `hz` times a second)."""
        server = self.server
        self._reap_socket_child()
        if self.waiters:
            self.waiters = [entry for entry in self.waiters if entry[0].blocked is entry[3]]
        self.cron_loops += 1
        hz = max(1, int(server.config["hz"]))
        if self.cron_loops % hz:
            self._maybe_start_diskless()
            return
        seconds = self.cron_loops // hz
        repl = self.repl
        cfg = server.config
        now = time.time()
        if repl.link is None and self.links and seconds % max(1, int(cfg["repl-ping-replica-period"])) == 0 \
                and server.pause_end is None:
            repl.feed(_PING)
        for link in self.links.values():
            # Keepalive newlines while a replica waits for its RDB (replicas accept them before the payload);
            # a diskless transfer's pipe is streaming meanwhile, so it gets none.
            if link.state == WAIT_BGSAVE_START or (link.state == WAIT_BGSAVE_END and link not in self.socket_links):
                link.write(b"\n")
        timeout = int(cfg["repl-timeout"])
        for link in list(self.links.values()):
            if link.state == ONLINE and not link.pre_psync and now - link.ack_time > timeout:
                server.log.warning(f"Disconnecting timedout replica (streaming sync): {self.name(link)}")
                link.close()
        ttl = int(cfg["repl-backlog-ttl"])
        if not repl.replicas and ttl and repl.backlog is not None and repl.link is None \
                and time.monotonic() - self.no_replicas_since > ttl:
            repl.change_replid()
            repl.clear_replid2()
            repl.free_backlog()
            server.log.notice(f"Replication backlog freed after {ttl} seconds without connected replicas.")
        self.refresh_good()
        self._maybe_start_diskless()

    def _maybe_start_diskless(self) -> None:
        """replicationStartPendingFork: start the delayed diskless transfer when its time has come."""
        waiting = [link for link in self.links.values() if link.state == WAIT_BGSAVE_START]
        if not waiting or self.socket_child != -1 or self.server.persistence.child_pid != -1:
            return
        cfg = self.server.config
        delay = int(cfg["repl-diskless-sync-delay"])
        max_replicas = int(cfg["repl-diskless-sync-max-replicas"])
        oldest = min(link.sync_started for link in waiting)
        if time.monotonic() - oldest >= delay or (max_replicas and len(waiting) >= max_replicas):
            self.start_bgsave(all(link.capa_eof for link in waiting))

    # -- INFO / ROLE ----------------------------------------------------------------------------------------------

    def replica_lines(self) -> list[str]:
        lines = [f"connected_slaves:{len(self.links)}"]
        now = time.time()
        for i, link in enumerate(self.links.values()):
            lines.append(f"slave{i}:ip={link.ip},port={link.listening_port},state={_STATE_NAMES[link.state]},"
                         f"offset={link.ack_off},lag={int(now - link.ack_time)}")
        return lines

    def role_replicas(self) -> list[tuple[str, int, int]]:
        """ROLE's replica list (commands/replica_of.py): online replicas as (ip, listening port, acked offset)."""
        return [(link.ip, link.listening_port, link.ack_off) for link in self.links.values() if link.state == ONLINE]


def primary_of(server: Server) -> Primary:
    primary: Primary | None = getattr(server, "primary", None)
    if primary is None:
        primary = Primary(server)
        server.primary = primary  # type: ignore[attr-defined]
    return primary


def info_lines(server: Server) -> list[str]:
    """The INFO replication section (its fields, without the header)."""
    repl = server.repl
    backlog = repl.backlog
    primary: Primary | None = getattr(server, "primary", None)
    lines = ["role:master"]     # server/info.py puts the replica side's lines in its place on a replica
    if primary is not None:
        lines.extend(primary.replica_lines())
    else:
        lines.append("connected_slaves:0")
    lines += [
        "master_failover_state:no-failover",
        f"master_replid:{repl.replid}",
        f"master_replid2:{repl.replid2}",
        f"master_repl_offset:{repl.offset}",
        f"second_repl_offset:{repl.second_offset}",
        f"repl_backlog_active:{int(backlog is not None)}",
        f"repl_backlog_size:{server.config['repl-backlog-size']}",
        f"repl_backlog_first_byte_offset:{backlog.first_byte_offset if backlog is not None else 0}",
        f"repl_backlog_histlen:{backlog.histlen if backlog is not None else 0}",
    ]
    return lines
