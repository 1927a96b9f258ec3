"""The Server: owns config, databases, clients, stats and the cron; starts listeners and shuts down.

Command handlers reach server state through `c.server`; sockets stay in listener/connection modules.
"""
from __future__ import annotations

import asyncio
import ipaddress
import os
import signal
import time
from typing import TYPE_CHECKING, Any

from .. import commands as _commands  # noqa: F401  (fills the command table)
from .._speedups.fastpath import FastPath
from .._speedups.keyspace import Context, Db
from ..clock import Clock
from ..config import ConfigApplyError
from ..errors import ReplyError, WrongTypeError
from ..log import Logger
from ..persistence.snapshot import Persistence, load_at_startup, prepare_shutdown_save
from ..replication.state import Replication
from .client import Client, ClientFlag
from .eviction import Evictor
from .info import process_rss
from .listener import BindError, Listeners, bind_sockets
from .memory import refresh as refresh_memory
from .output_limits import OutputLimits
from .stats import SlowLog, Stats

if TYPE_CHECKING:
    from ..config import Config
    from .connection import ClientProtocol

PROTECTED_MODE_DENIED = (
    b"DENIED Redis is running in protected mode because protected mode is enabled and no password is set "
    b"for the default user. In this mode connections are only accepted from the loopback interface. If you "
    b"want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just "
    b"disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface "
    b"by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not "
    b"publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
    b"Alternatively you can just disable the protected mode by editing the Redis configuration file, and "
    b"setting the protected mode option to 'no', and then restarting the server. 3) If you started the "
    b"server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an "
    b"authentication password for the default user. NOTE: You only need to do one of the above things in "
    b"order for the server to start accepting connections from the outside."
)
MAX_CLIENTS_REACHED = b"ERR max number of clients reached"

# activeExpireCycle's slow-cycle CPU share (ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC).
_ACTIVE_EXPIRE_CPU_PERCENT = 25


class EncodingLimits:
    """The encoding-conversion directives as plain attributes: write commands read them on every call, and an
    attribute costs a fraction of a Config lookup. CONFIG SET keeps them fresh through apply hooks."""

    DIRECTIVES = ("hash-max-listpack-entries", "hash-max-listpack-value", "set-max-intset-entries",
                  "zset-max-listpack-entries", "zset-max-listpack-value")
    __slots__ = ("hash_max_entries", "hash_max_value", "set_max_intset", "zset_max_entries", "zset_max_value")
    hash_max_entries: int
    hash_max_value: int
    set_max_intset: int
    zset_max_entries: int
    zset_max_value: int

    def __init__(self, config: Config) -> None:
        self.refresh(config)

    def refresh(self, config: Config) -> None:
        self.hash_max_entries = config["hash-max-listpack-entries"]
        self.hash_max_value = config["hash-max-listpack-value"]
        self.set_max_intset = config["set-max-intset-entries"]
        self.zset_max_entries = config["zset-max-listpack-entries"]
        self.zset_max_value = config["zset-max-listpack-value"]


class Server:
    """One pyredcache instance: state plus the asyncio shell around it."""

    def __init__(self, config: Config, logger: Logger | None = None) -> None:
        self.config = config
        self.log = logger or Logger()
        self.log.level = config["loglevel"]
        self.log.logfile = config["logfile"]
        self.clock = Clock(controllable=bool(config["pyredcache-time-control"]))
        self.ctx = Context()
        self.ctx.wrongtype = WrongTypeError
        self.ctx.now_ms = self.clock.now_ms()
        self.dbs: list[Db] = [Db(self.ctx, i) for i in range(config["databases"])]
        if config["cluster-enabled"]:
            self.ctx.cluster_mode = True    # the per-slot key index; set while the dbs are still empty
        self.clients: dict[int, Client] = {}
        self.next_client_id = 1
        self.stats = Stats()
        self.slowlog = SlowLog(config["slowlog-max-len"])
        self.slowlog_threshold_us: int = config["slowlog-log-slower-than"]
        self.limits = EncodingLimits(config)
        self.latency_tracking: bool = config["latency-tracking"]
        self.monitors: list[Client] = []
        self.waiting: set[ClientProtocol] = set()
        self.pause_end: float | None = None     # CLIENT PAUSE deadline (monotonic), None when not paused
        self.pause_all = False
        self.dirty = 0
        self.start_time = time.time()
        self.start_monotonic = time.monotonic()
        self.run_id = os.urandom(20).hex()
        self.repl = Replication(self)          # replication ids, offsets, backlog, links (pyredcache/replication)
        self.lastsave = int(self.start_time)   # LASTSAVE / rdb_last_save_time: a server that never saved
        # server/memory.py: the empty databases are the startup figure; the non-keyspace part of used_memory
        # (client buffers, scripts) is re-measured each cron tick.
        self.used_memory_startup = self.ctx.keyspace_bytes
        self.rss_at_start = process_rss()
        self.memory_extra = 0
        self.memory_clients_normal = 0
        self.memory_clients_replicas = 0
        self.maxmemory_on = False
        self.listeners: Listeners | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.cron_handle: asyncio.TimerHandle | None = None
        self.cron_loops = 0
        self.stopped: asyncio.Event | None = None
        self.shutdown_requested: str | None = None
        self.role = "master"
        # Later subsystems (pub/sub, blocking, replication) register here instead of patching these methods.
        self.free_client_hooks: list[Any] = []
        # RESET (clearClientConnectionState) calls hook(c) so pub/sub, WATCH and tracking forget the client's
        # state without notifying it; commands/connection.py resets the Client fields itself.
        self.reset_client_hooks: list[Any] = []
        # Ids of clients let in only because requirepass was cleared at runtime (see set_requirepass).
        self.auth_guests: set[int] = set()
        self.cron_hooks: list[Any] = []
        self.swapdb_hooks: list[Any] = []
        # WATCH and keyspace notifications install these (keyspace/notify.signal_write calls them).
        self.watch_hook: Any = None
        self.notify_hook: Any = None
        # Called as flush_hook(db) before FLUSHDB/FLUSHALL empty a db (WATCH marks its watched keys dirty).
        self.flush_hook: Any = None
        # server/watch.py's WatchRegistry, created (and its hooks installed) by the first WATCH.
        self.watches: Any = None
        # Keys made ready for blocked clients (server/blocking.py fills it); never rebound, so the fast path
        # can hold it and serve the blocked clients right after the command that pushed, as Redis does.
        self.ready_keys: list[Any] = []
        self.serve_ready_keys: Any = None
        # scripting/runner.py: the script running past busy-reply-threshold (None normally); dispatch answers
        # BUSY meanwhile. `scripting` is the ScriptingEngine, made by the first scripting command.
        self.script_busy: Any = None
        self.scripting: Any = None
        self.fastpath = self._make_fastpath()
        self.repl.attach_fastpath(self.fastpath)   # propagation hook and min-replicas hold
        self.config_hooks()
        self.evictor = Evictor(self)
        # client-output-buffer-limit: OutputLimits keeps obuf_mask (the client flags whose class has a limit;
        # see output_limits.CHECK_NORMAL) in step with the config.
        self.obuf_mask = 0
        self.obuf = OutputLimits(self)
        # persistence/snapshot.py: SAVE/BGSAVE state, save points (a cron hook), INFO persistence fields.
        self.persistence = Persistence(self)
        # pyredcache/cluster: None when standalone; the runtime reads/creates nodes.conf here, before the RDB.
        self.cluster: Any = None
        if config["cluster-enabled"]:
            from ..cluster.manager import Cluster

            self.cluster = Cluster(self)

    # ----------------------------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Bind the listeners (raising OSError if a required address can't be bound) and start the cron."""
        self.loop = asyncio.get_running_loop()
        self.stopped = asyncio.Event()
        self.log.server_initialized()
        load_at_startup(self)   # raises RdbLoadError (logged) on a dump that cannot be loaded
        if self.cluster is not None:
            self.cluster.verify_config_with_data()
        await self._listen()
        if self.cluster is not None:
            await self.cluster.start()
        # 7.0.15 prints "Ready to accept connections"; the issue asks for 7.2's wording with " tcp",
        # which still contains the 7.0 text that scripts grep for.
        self.log.notice("Ready to accept connections tcp")
        self._schedule_cron()
        from ..replication.replica import start_from_config

        start_from_config(self)     # the `replicaof` directive

    async def _listen(self) -> None:
        from .connection import ClientProtocol

        assert self.loop is not None
        self.listeners = Listeners(self.loop, lambda: ClientProtocol(self))
        port = self.config["port"]
        if port == 0:
            return   # Redis: port 0 means no TCP listener
        try:
            sockets = bind_sockets(list(self.config["bind"]), port, self.config["tcp-backlog"])
        except BindError as exc:
            self.log.warning(f"Warning: {exc.strerror}")
            raise
        await self.listeners.serve(sockets)

    def _rebind(self, port: int, binds: list[str], error: str) -> None:
        """CONFIG SET port/bind: bind the new addresses first; only then drop the old listeners."""
        if self.listeners is None:
            return
        if port == 0:
            self.listeners.close()
            return
        try:
            sockets = bind_sockets(binds, port, self.config["tcp-backlog"])
        except BindError as exc:
            self.log.warning(str(exc.strerror))
            raise ConfigApplyError(error) from None
        self.listeners.replace(sockets)

    @property
    def port(self) -> int:
        """The TCP port actually bound (useful when started with an ephemeral port)."""
        bound = self.listeners.port() if self.listeners is not None else None
        return bound if bound is not None else int(self.config["port"])

    async def serve_forever(self) -> None:
        await self.start()
        assert self.stopped is not None
        await self.stopped.wait()

    def install_signal_handlers(self) -> None:
        assert self.loop is not None
        for sig, name in ((signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")):
            self.loop.add_signal_handler(sig, self._on_signal, name)

    def _on_signal(self, name: str) -> None:
        if self.shutdown_requested is not None and name == "SIGINT":
            self.log.warning("You insist... exiting now.")
            os._exit(1)
        self.log.from_signal_handler(f"Received {name} scheduling shutdown...")
        self.shutdown_requested = name
        assert self.loop is not None
        self.loop.call_soon(self._shutdown_from_signal, name)

    def _shutdown_from_signal(self, name: str) -> None:
        if not self.shutdown():
            self.shutdown_requested = None
            self.log.warning(f"{name} received but errors trying to shut down the server, check the logs for "
                             "more information")

    def shutdown(self, save: bool = False, nosave: bool = False, force: bool = False) -> bool:
        """prepareForShutdown + the final steps: final RDB save, close listeners and clients, then signal stop.

        False when the final save failed (without ``force``): the server keeps running."""
        self.log.warning("User requested shutdown...")
        if not prepare_shutdown_save(self, save, nosave, force):
            return False
        if self.cron_handle is not None:
            self.cron_handle.cancel()
        if self.listeners is not None:
            self.listeners.close()
        if self.cluster is not None:
            self.cluster.stop()
        primary = getattr(self, "primary", None)
        if primary is not None:
            primary.flush_links()   # the stream gathered for replicas this loop turn goes out first
        for c in list(self.clients.values()):
            c.flush()
            c.close()
        pidfile = self.config["pidfile"]
        if pidfile:
            self.log.notice("Removing the pid file.")
            try:
                os.unlink(pidfile)
            except OSError:
                pass
        self.log.warning("Redis is now ready to exit, bye bye...")
        if self.stopped is not None:
            self.stopped.set()
        return True

    def _make_fastpath(self) -> FastPath:
        """The plain-request fast path, taught every plain command under its usual spellings."""
        from ..commands.table import TABLE, Flag
        from .dispatch import fast_keys, internal_error, is_plain

        fast = FastPath(ReplyError, self.stats.count_error, internal_error, self.ready_keys,
                        self._serve_ready_keys)
        rows = self.stats.commands
        for spec in TABLE.values():
            if spec.handler is None or not is_plain(spec):
                continue
            slowlog_ok = not spec.flags & Flag.SKIP_SLOWLOG
            monitor_ok = not spec.flags & (Flag.SKIP_MONITOR | Flag.ADMIN)
            key_first, key_last, key_step = fast_keys(spec)
            for name in {spec.name, spec.name.upper()}:
                fast.learn(name, spec.handler, spec.arity, rows[spec.index], spec.log_name, slowlog_ok,
                           monitor_ok, key_first, key_last, key_step)
        return fast

    def _serve_ready_keys(self) -> None:
        if self.serve_ready_keys is not None:
            self.serve_ready_keys()

    # ----------------------------------------------------------------------------------- clients

    def new_client(self, addr: str, laddr: str, fd: int) -> Client:
        c = Client(self, self.next_client_id, addr, laddr, fd)
        self.next_client_id += 1
        self.clients[c.id] = c
        self.stats.numconnections += 1
        return c

    def refuse_reason(self, c: Client, peer: Any) -> bytes | None:
        if len(self.clients) > self.config["maxclients"]:
            self.stats.rejected_conn += 1
            return MAX_CLIENTS_REACHED
        if self.config["protected-mode"] and not self.requires_auth() and isinstance(peer, tuple):
            try:
                ip = ipaddress.ip_address(peer[0])
            except ValueError:
                return None
            if not ip.is_loopback and not (
                isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None and ip.ipv4_mapped.is_loopback
            ):
                self.stats.rejected_conn += 1
                return PROTECTED_MODE_DENIED
        return None

    def free_client(self, c: Client) -> None:
        """freeClient: forget the client everywhere it is registered."""
        if self.clients.pop(c.id, None) is None:
            return
        self.stats.net_input_bytes += c.tot_net_in
        self.stats.net_output_bytes += c.tot_net_out
        if c.flags & ClientFlag.MONITOR and c in self.monitors:
            self.monitors.remove(c)
        for hook in self.free_client_hooks:
            hook(c)

    def requires_auth(self) -> bool:
        return bool(self.config["requirepass"])

    def set_authenticated(self, c: Client, value: bool) -> None:
        """Log a client in or out (AUTH, HELLO AUTH, RESET); its parser's header limits follow."""
        c.authenticated = value
        self.auth_guests.discard(c.id)
        if c.parser is not None:
            c.parser.authenticated = value

    def protocol_error(self, c: Client, message: bytes) -> None:
        self.log.verbose(f"Protocol error ({message.decode(errors='replace')}) from client: {self.client_info(c)}")

    def client_info(self, c: Client) -> str:
        from ..commands.connection import client_info_line

        return client_info_line(c)


    def must_wait(self, c: Client, argv: list[bytes]) -> bool:
        """CLIENT PAUSE: does this request wait until the pause ends?"""
        if self.pause_end is None:
            return False
        if time.monotonic() >= self.pause_end:
            self.unpause()
            return False
        if c.flags & (ClientFlag.REPLICA | ClientFlag.PRIMARY):
            return False
        if self.pause_all:
            return True
        from ..commands.table import Flag
        from .dispatch import lookup_spec

        spec = lookup_spec(argv[0])
        if spec is None:
            return False
        if spec.subcommands and len(argv) > 1:
            spec = spec.subcommands.get(argv[1].lower(), spec)
        # WRITE pause holds writes and commands that may replicate (EVAL, PUBLISH, ...), and an EXEC whose
        # queue holds one (processCommand's is_may_replicate_command).
        if spec.flags & (Flag.WRITE | Flag.MAY_REPLICATE):
            return True
        if spec.name == b"exec" and c.multi_queue:
            return any(queued.flags & (Flag.WRITE | Flag.MAY_REPLICATE) for queued, _ in c.multi_queue)
        return False

    def pause(self, duration_s: float, pause_all: bool) -> None:
        end = time.monotonic() + duration_s
        # A later PAUSE never shortens the current one, but may widen it to ALL (pauseClients).
        if self.pause_end is None or end > self.pause_end:
            self.pause_end = end
        self.pause_all = pause_all or (self.pause_all and self.pause_end is not None)

    def unpause(self) -> None:
        self.pause_end = None
        self.pause_all = False
        for conn in list(self.waiting):
            if conn.client is not None and conn.client.blocked is None:
                conn.resume()

    def feed_monitors(self, c: Client, argv: list[bytes]) -> None:
        from ..commands.server import monitor_line

        line = monitor_line(self, c, argv)
        for m in list(self.monitors):
            m.out.raw(line)
            self.mark_pending_write(m)

    def mark_pending_write(self, c: Client) -> None:
        if c.pending_write:
            return
        c.pending_write = True
        if self.loop is not None:
            self.loop.call_soon(c.flush)

    # ----------------------------------------------------------------------------------- cron

    def _schedule_cron(self) -> None:
        assert self.loop is not None
        hz = max(1, min(500, int(self.config["hz"])))
        self.cron_handle = self.loop.call_later(1.0 / hz, self._cron)

    def _cron(self) -> None:
        """serverCron: active expiry, client timeouts, metrics, pause expiry; runs `hz` times a second."""
        try:
            self.cron_loops += 1
            now = time.monotonic()
            self.ctx.now_ms = self.clock.now_ms()
            # A replica waits for its primary's DELs; during a pause the dataset stays still (activeExpireCycle's
            # checkClientPauseTimeoutAndReturnIfPaused), so a manual failover's offset can be reached.
            if self.ctx.active_expire_enabled and self.repl.link is None and self.pause_end is None:
                hz = max(1, int(self.config["hz"]))
                budget_us = 1_000_000 * _ACTIVE_EXPIRE_CPU_PERCENT // hz // 100
                per_db = max(1, budget_us // max(1, len(self.dbs)))
                for db in self.dbs:
                    if db.expires_count():
                        db.active_expire_cycle(per_db)
            self._track_metrics()
            refresh_memory(self)
            if self.pause_end is not None and now >= self.pause_end:
                self.unpause()
            timeout = self.config["timeout"]
            if timeout:
                self._close_idle_clients(now, timeout)
            for hook in self.cron_hooks:
                hook()
        except Exception as exc:  # the cron must never die
            self.log.warning(f"serverCron error: {exc!r}")
        finally:
            if self.stopped is None or not self.stopped.is_set():
                self._schedule_cron()

    def _track_metrics(self) -> None:
        st = self.stats
        st.track("ops", st.numcommands)
        net_in = st.net_input_bytes + sum(c.tot_net_in for c in self.clients.values())
        net_out = st.net_output_bytes + sum(c.tot_net_out for c in self.clients.values())
        st.track("net_in", net_in)
        st.track("net_out", net_out)

    def _close_idle_clients(self, now: float, timeout: int) -> None:
        for c in list(self.clients.values()):
            if c.flags & (ClientFlag.REPLICA | ClientFlag.PRIMARY | ClientFlag.MONITOR):
                continue
            if c.blocked is not None or c.sub_channels or c.sub_patterns or c.sub_shard_channels:
                continue
            if now - c.last_interaction > timeout:
                self.log.verbose("Closing idle client")
                c.close()

    # ----------------------------------------------------------------------------------- config

    def config_hooks(self) -> None:
        """Apply CONFIG SET changes that need more than storing the value."""
        cfg = self.config

        def set_slowlog_threshold(old: Any, new: Any) -> None:
            self.slowlog_threshold_us = int(new)

        def set_slowlog_len(old: Any, new: Any) -> None:
            self.slowlog.trim(int(new))

        def set_latency_tracking(old: Any, new: Any) -> None:
            self.latency_tracking = bool(new)

        def set_loglevel(old: Any, new: Any) -> None:
            self.log.level = new

        def set_logfile(old: Any, new: Any) -> None:
            self.log.logfile = new

        def set_parser_limits(old: Any, new: Any) -> None:
            for c in self.clients.values():
                if c.parser is not None:
                    c.parser.max_bulk_len = cfg["proto-max-bulk-len"]
                    c.parser.query_buffer_limit = cfg["client-query-buffer-limit"]

        def refresh_limits(old: Any, new: Any) -> None:
            self.limits.refresh(cfg)

        for name in EncodingLimits.DIRECTIVES:
            cfg.add_apply_hook(name, refresh_limits)
        cfg.add_apply_hook("slowlog-log-slower-than", set_slowlog_threshold)
        cfg.add_apply_hook("slowlog-max-len", set_slowlog_len)
        def set_port(old: Any, new: Any) -> None:
            self._rebind(int(new), list(cfg["bind"]), "Unable to listen on this port")

        def set_bind(old: Any, new: Any) -> None:
            self._rebind(int(cfg["port"]), list(new), "Failed to bind to specified addresses.")

        cfg.add_apply_hook("port", set_port)
        cfg.add_apply_hook("bind", set_bind)
        cfg.add_apply_hook("latency-tracking", set_latency_tracking)
        cfg.add_apply_hook("loglevel", set_loglevel)
        cfg.add_apply_hook("logfile", set_logfile)
        cfg.add_apply_hook("proto-max-bulk-len", set_parser_limits)
        cfg.add_apply_hook("client-query-buffer-limit", set_parser_limits)

        def set_requirepass(old: Any, new: Any) -> None:
            # With no password the default user is "nopass" and Redis's authRequired() is false for every
            # client, even one that never logged in; such "guests" need AUTH again once a password is back.
            # Clients that connected or authenticated meanwhile stay logged in.
            if not new:
                for c in self.clients.values():
                    if not c.authenticated:
                        self.set_authenticated(c, True)
                        self.auth_guests.add(c.id)
            elif not old:
                for client_id in list(self.auth_guests):
                    guest = self.clients.get(client_id)
                    if guest is not None:
                        self.set_authenticated(guest, False)
                self.auth_guests.clear()

        cfg.add_apply_hook("requirepass", set_requirepass)

    def uptime_seconds(self) -> int:
        return int(time.monotonic() - self.start_monotonic)

