"""The processCommand pipeline: lookup, arity, auth, MULTI, context checks, then call() with timing/stats.

The one place where behaviour for all commands lives. It reads only the command row and client/server
state; command handlers never repeat these checks.
"""
from __future__ import annotations

import time
import traceback
from typing import TYPE_CHECKING

from .. import errors
from ..commands.table import TABLE, CommandSpec, Flag, KeyFlag
from ..errors import ReplyError
from .client import ClientFlag, ReplyMode
from .memory import argv_bytes

if TYPE_CHECKING:
    from .client import Client

_perf_ns = time.perf_counter_ns

# Raw command names as clients send them ("GET", "get", "Get") → row; filled on first sight of each spelling.
_name_cache: dict[bytes, CommandSpec] = {}
_NAME_CACHE_MAX = 4096

# Commands that run immediately inside MULTI instead of being queued (processCommand's list).
_MULTI_IMMEDIATE = frozenset({b"exec", b"discard", b"multi", b"watch", b"quit", b"reset"})
# RESP2 subscribed context: only these may run.
_PUBSUB_ALLOWED = frozenset({
    b"ping", b"subscribe", b"ssubscribe", b"unsubscribe", b"sunsubscribe", b"psubscribe",
    b"punsubscribe", b"quit", b"reset",
})

_NO_AUTH = Flag.NO_AUTH
_NO_MULTI = Flag.NO_MULTI
_SKIP_SLOWLOG = Flag.SKIP_SLOWLOG
_PROTECTED = Flag.PROTECTED
_BLOCKING = Flag.BLOCKING
_MOVABLE = Flag.MOVABLE_KEYS
_NOT_MONITORED = Flag.SKIP_MONITOR | Flag.ADMIN
_MULTI = ClientFlag.MULTI
_ASKING = ClientFlag.ASKING
_PUBSUB = ClientFlag.PUBSUB
_DIRTY = ClientFlag.DIRTY_EXEC | ClientFlag.DIRTY_CAS

_ERR_INTERNAL = b"ERR internal error while executing the command (see the server log)"
_ALLOW_BUSY = Flag.ALLOW_BUSY
_BUSY_SCRIPT = errors.BUSY_SCRIPT.encode()
_OOM = errors.OOM.encode()
_DENYOOM = Flag.DENYOOM
_MISCONF = errors.MISCONF.encode()
_WRITE = Flag.WRITE
_STALE = Flag.STALE
_PRIMARY = ClientFlag.PRIMARY
_READONLY = errors.READONLY_REPLICA.encode()
_MASTERDOWN = errors.MASTERDOWN.encode()
_NOREPLICAS = errors.NOREPLICAS.encode()
_OOM_MULTI_EXEMPT = frozenset({b"exec", b"discard", b"quit", b"reset"})
_EVAL_NAMES = frozenset({b"eval", b"evalsha", b"eval_ro", b"evalsha_ro"})


def lookup_spec(name: bytes) -> CommandSpec | None:
    spec = _name_cache.get(name)
    if spec is None:
        spec = TABLE.get(name.lower())
        if spec is not None and len(_name_cache) < _NAME_CACHE_MAX:
            _name_cache[bytes(name)] = spec
    return spec


def reject(c: Client, message: str | bytes, spec: CommandSpec | None = None) -> None:
    """Answer a pipeline rejection; an open MULTI becomes EXECABORT (flagDirtyExec)."""
    if isinstance(message, str):
        message = message.encode()
    if spec is not None and spec.name == b"exec" and spec.parent is None:
        # rejectCommand on EXEC is execCommandAbort: the transaction goes, the reason is wrapped.
        from ..commands.transactions import exec_abort_message

        message = exec_abort_message(c, message)
    c.out.error(message)
    if spec is not None:
        c.server.stats.commands[spec.index].rejected_calls += 1
    if c.flags & ClientFlag.MULTI:
        c.flags |= ClientFlag.DIRTY_EXEC
    c.server.stats.count_error(message)


def process_command(c: Client, argv: list[bytes]) -> None:
    """Run one request from a client through Redis's checks, then execute or queue it.

    _speedups.fastpath runs, without coming here, the requests for which every check below passes
    trivially (is_plain row, right arity, client with no flags, reply mode ON, authenticated, no pause).
    A new check must either depend only on that state, or switch the fast path off where it applies.
    """
    if c.flags & _ASKING:
        _process_asking(c, argv)
        return
    spec = _name_cache.get(argv[0])
    if spec is None:
        spec = lookup_spec(argv[0])
        if spec is None:
            _unknown(c, argv)
            return
    if spec.subcommands and len(argv) > 1:
        # A container called alone falls through to its own arity check (COMMAND alone runs).
        sub = spec.subcommands.get(argv[1].lower())
        if sub is None:
            reject(c, _sanitize(errors.unknown_subcommand(argv[1], spec.fullname)))
            return
        spec = sub
    arity = spec.arity
    n = len(argv)
    if (arity > 0 and n != arity) or n < -arity:
        reject(c, errors.wrong_arity(spec.fullname), spec)
        return
    if spec.flags & _PROTECTED and not _protected_allowed(c, spec):
        return
    if not c.authenticated and not spec.flags & _NO_AUTH:
        reject(c, errors.NOAUTH, spec)
        return
    server = c.server
    if server.cluster is not None and not c.flags & _PRIMARY and (
            spec.key_specs or spec.flags & _MOVABLE or spec.name == b"exec"):
        # processCommand's cluster redirection (NO_MULTI is refused before it, as in Redis).
        if c.flags & _MULTI and spec.flags & _NO_MULTI:
            reject(c, errors.NOT_ALLOWED_IN_MULTI, spec)
            return
        from ..cluster.routing import route

        if route(server.cluster, c, spec, argv):
            return
    if server.script_busy is not None and not spec.flags & _ALLOW_BUSY:
        # A script ran past busy-reply-threshold (scripting/runner.py): only ALLOW_BUSY commands run.
        reject(c, _BUSY_SCRIPT, spec)
        return
    if server.maxmemory_on and not c.flags & _PRIMARY and server.evictor.out_of_memory(argv) \
            and _needs_memory(c, spec, argv):
        reject(c, _OOM, spec)
        return
    if server.persistence.deny_writes and _denied_by_disk_error(c, spec, argv):
        # stop-writes-on-bgsave-error after a failed BGSAVE (the fast path is off meanwhile).
        reject(c, _MISCONF, spec)
        return
    if server.fastpath.hold and _no_good_replicas(c, spec, argv):
        # min-replicas-to-write / min-replicas-max-lag (the fast path holds every request meanwhile).
        reject(c, _NOREPLICAS, spec)
        return
    if server.repl.link is not None and not c.flags & _PRIMARY and _replica_refuses(c, spec, argv):
        return
    flags = c.flags
    if flags:
        # MULTI and subscribed (PUBSUB) clients are rare: one test of the flags keeps them off the hot path.
        if flags & _MULTI and spec.flags & _NO_MULTI:
            reject(c, errors.NOT_ALLOWED_IN_MULTI, spec)
            return
        if flags & _PUBSUB and c.resp == 2 and (spec.parent or spec).name not in _PUBSUB_ALLOWED:
            _reject_pubsub(c, spec)
            return
        if flags & _MULTI and (spec.parent or spec).name not in _MULTI_IMMEDIATE:
            # queueMultiCommand: an already failed transaction keeps no more commands (still +QUEUED).
            if not flags & _DIRTY:
                assert c.multi_queue is not None
                c.multi_queue.append((spec, argv))
                queued = argv_bytes(argv)
                c.multi_bytes += queued
                server.memory_extra += queued
            c.out.raw(b"+QUEUED\r\n")
            return
    call(c, spec, argv)
    if server.ready_keys and server.script_busy is None:
        # handleClientsBlockedOnKeys: clients blocked on keys this command (or EXEC, or script) made ready.
        server.serve_ready_keys()


def _process_asking(c: Client, argv: list[bytes]) -> None:
    """A client flagged by ASKING: its next command (or, in MULTI, up to EXEC) may use an importing slot;
    then the flag goes (resetClient), unless that command was ASKING again."""
    c.flags = (c.flags & ~_ASKING) | ClientFlag.ASKING_NOW
    try:
        process_command(c, argv)
    finally:
        c.flags &= ~ClientFlag.ASKING_NOW
        if c.flags & _MULTI or argv[0].lower() == b"asking":
            c.flags |= _ASKING


def _needs_memory(c: Client, spec: CommandSpec, argv: list[bytes]) -> bool:
    """Whether processCommand refuses this command when out of memory: DENYOOM ones (for EVAL*, as the
    script's shebang flags say), EXEC of a transaction holding one, and anything but EXEC/DISCARD/QUIT/RESET
    inside MULTI (queueing takes memory too)."""
    name = (spec.parent or spec).name
    if c.flags & _MULTI and name not in _OOM_MULTI_EXEMPT:
        return True
    if name == b"exec":
        return any(command_flags(c, queued, queued_argv) & _DENYOOM for queued, queued_argv in c.multi_queue or ())
    return bool(command_flags(c, spec, argv) & _DENYOOM)


def _denied_by_disk_error(c: Client, spec: CommandSpec, argv: list[bytes]) -> bool:
    """processCommand's MISCONF test: writes (EXEC of a queue holding one) and PING; never the primary link."""
    if c.flags & ClientFlag.PRIMARY:
        return False
    name = (spec.parent or spec).name
    if name == b"ping":
        return True
    if name == b"exec":
        return any(command_flags(c, queued, queued_argv) & _WRITE for queued, queued_argv in c.multi_queue or ())
    return bool(command_flags(c, spec, argv) & _WRITE)


def _no_good_replicas(c: Client, spec: CommandSpec, argv: list[bytes]) -> bool:
    """processCommand's checkGoodReplicasStatus test, for writes (EXEC of a queue holding one)."""
    if (spec.parent or spec).name == b"exec":
        write = any(command_flags(c, q, qargv) & _WRITE for q, qargv in c.multi_queue or ())
    else:
        write = bool(command_flags(c, spec, argv) & _WRITE)
    if not write:
        return False
    from ..replication.primary import primary_of

    return primary_of(c.server).writes_refused()


def _replica_refuses(c: Client, spec: CommandSpec, argv: list[bytes]) -> bool:
    """processCommand on a replica: READONLY for writes (replica-read-only), MASTERDOWN for commands without
    STALE while the link is down (replica-serve-stale-data no); for EXEC, as its queue says. The fast path is
    off while we are a replica (replication/replica.py), so every request comes here."""
    server = c.server
    cfg = server.config
    is_exec = (spec.parent or spec).name == b"exec"
    if cfg["replica-read-only"]:
        if is_exec:
            write = any(command_flags(c, q, qargv) & _WRITE for q, qargv in c.multi_queue or ())
        else:
            write = bool(command_flags(c, spec, argv) & _WRITE)
        if write:
            reject(c, _READONLY, spec)
            return True
    if not cfg["replica-serve-stale-data"] and not server.repl.link.connected():
        if is_exec:
            stale_denied = any(not q.flags & _STALE for q, _ in c.multi_queue or ())
        else:
            stale_denied = not spec.flags & _STALE
        if stale_denied:
            reject(c, _MASTERDOWN, spec)
            return True
    return False


def command_flags(c: Client, spec: CommandSpec, argv: list[bytes]) -> int:
    """getCommandFlags: the row's flags, or for EVAL* of a script with a shebang the flags it declares."""
    if spec.name in _EVAL_NAMES:
        from ..commands.scripting import eval_command_flags

        return eval_command_flags(c, argv, int(spec.flags))
    return int(spec.flags)


def call(c: Client, spec: CommandSpec, argv: list[bytes]) -> None:
    """Execute a command: handler, timing, commandstats/errorstats, slowlog, monitors."""
    row = c.cmdstats[spec.index]
    server = c.server
    prop = server.repl.prop
    saved = None
    if prop.on:
        # replication/propagate.py: what the command changed goes to the stream when the outermost call ends.
        saved = prop.enter()
        dirty = server.dirty
    start = _perf_ns()
    try:
        spec.handler(c, argv)  # type: ignore[misc]
    except ReplyError as exc:
        c.out.error(exc.message)
        row.failed_calls += 1
        server.stats.count_error(exc.message)
    except Exception:
        internal_error(c, argv)
        row.failed_calls += 1
    duration_us = (_perf_ns() - start) // 1000
    if saved is not None:
        prop.leave(c, argv, server.dirty - dirty, saved)
    row.record(duration_us, server.latency_tracking)
    c.last_cmd = spec.log_name
    if duration_us >= server.slowlog_threshold_us >= 0 and not spec.flags & _SKIP_SLOWLOG:
        server.slowlog.add(c, argv, duration_us)
    if server.monitors and not spec.flags & _NOT_MONITORED:
        server.feed_monitors(c, argv)


def internal_error(c: Client, argv: list[bytes]) -> None:
    """A handler raised something other than ReplyError: log the traceback, answer -ERR, live on."""
    c.server.log.warning(f"Unexpected error executing {argv[:3]!r}:\n{traceback.format_exc()}")
    c.out.error(_ERR_INTERNAL)
    c.server.stats.count_error(_ERR_INTERNAL)


def is_plain(spec: CommandSpec) -> bool:
    """Whether process_command runs no check specific to this row (its fast path may then run it).

    Blocking commands stay on the pipeline: after one, the connection must stop and defer the rest.
    """
    return not spec.subcommands and not spec.flags & (_PROTECTED | _BLOCKING)


def fast_keys(spec: CommandSpec) -> tuple[int, int, int]:
    """The fast path's view of a plain row's key positions, for cluster mode: (0, 0, 1) for no keys at all;
    (first, last, step) for one index+range key spec (last relative to first, or < 0 from the end); first
    -1 when only the pipeline can tell (movable keys, several specs, channels), so it routes them."""
    if not spec.key_specs and not spec.flags & Flag.MOVABLE_KEYS:
        return (0, 0, 1)
    if len(spec.key_specs) != 1 or spec.flags & Flag.MOVABLE_KEYS:
        return (-1, 0, 1)
    ks = spec.key_specs[0]
    if not ks.is_range or ks.limit or ks.flags & (KeyFlag.NOT_KEY | KeyFlag.INCOMPLETE) or ks.index < 1:
        return (-1, 0, 1)
    return (ks.index, ks.lastkey, ks.keystep)


def run_request(c: Client, argv: list[bytes]) -> None:
    """process_command plus CLIENT REPLY OFF/SKIP handling (the reply is produced, then dropped)."""
    mode = c.reply_mode
    if mode == ReplyMode.ON:
        process_command(c, argv)
        return
    mark = len(c.out)
    if mode == ReplyMode.SKIP_NEXT:
        c.reply_mode = ReplyMode.SKIP
    process_command(c, argv)
    if c.reply_mode != ReplyMode.ON and c.reply_mode != ReplyMode.SKIP_NEXT:
        c.out.discard_from(mark)
    if c.reply_mode == ReplyMode.SKIP:
        c.reply_mode = ReplyMode.ON


def _protected_allowed(c: Client, spec: CommandSpec) -> bool:
    """A PROTECTED command (DEBUG, MODULE) runs only as its enable-<name>-command setting allows."""
    from ..commands.server import is_local_client

    root = (spec.parent or spec).fullname
    directive = f"enable-{root}-command"
    if c.server.config.protected_action_allowed(directive, is_local_client(c)):
        return True
    reject(c, errors.command_not_allowed(root.upper(), directive), spec)
    return False


def _unknown(c: Client, argv: list[bytes]) -> None:
    lname = argv[0].lower()
    if lname in (b"post", b"host:"):
        # securityWarningCommand: an HTTP request reached us; Redis logs it and drops the connection.
        c.server.log.warning(
            "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands "
            "to Redis. This is likely due to an attacker attempting to use Cross Protocol Scripting to "
            "compromise your Redis instance. Connection aborted."
        )
        c.flags |= ClientFlag.CLOSE_ASAP
        return
    reject(c, errors.unknown_command(argv))


def _reject_pubsub(c: Client, spec: CommandSpec) -> None:
    name = spec.fullname
    reject(
        c,
        f"ERR Can't execute '{name}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET "
        "are allowed in this context",
        spec,
    )


def _sanitize(text: str) -> str:
    return text.replace("\r", " ").replace("\n", " ")


# ------------------------------------------------------------------------------ redis.call() from scripts


_SCRIPT_UNKNOWN = errors.SCRIPT_UNKNOWN_COMMAND.encode()
_SCRIPT_ARITY = errors.SCRIPT_WRONG_ARITY.encode()
_SCRIPT_NOT_ALLOWED = errors.SCRIPT_NOT_ALLOWED.encode()
_SCRIPT_READ_ONLY = errors.SCRIPT_READ_ONLY.encode()


def script_call(c: Client, argv: list[bytes], read_only: bool, deny_oom: bool = False) -> int:
    """scriptCall: run one redis.call() for the lua client `c`; returns the command's flags.

    Its own checks (lookup, arity, NOSCRIPT, writes from a read-only script, and with `deny_oom` -- the
    server was out of memory when the script started and it has not written yet -- DENYOOM commands) raise
    ReplyError with Redis's script texts, counted as rejections; then call() runs it as for any client.
    """
    spec = lookup_spec(argv[0])
    if spec is not None and spec.subcommands and len(argv) > 1:
        spec = spec.subcommands.get(argv[1].lower())
    if spec is None:
        c.server.stats.count_error(_SCRIPT_UNKNOWN)
        raise ReplyError(_SCRIPT_UNKNOWN)
    arity = spec.arity
    n = len(argv)
    message = None
    if (arity > 0 and n != arity) or n < -arity:
        message = _SCRIPT_ARITY
    elif spec.flags & Flag.NOSCRIPT:
        message = _SCRIPT_NOT_ALLOWED
    elif read_only and spec.flags & (Flag.WRITE | Flag.MAY_REPLICATE):
        message = _SCRIPT_READ_ONLY
    elif spec.flags & _WRITE and _script_on_read_only_replica(c):
        message = _READONLY
    elif spec.flags & _WRITE and c.server.fastpath.hold and _no_good_replicas(c, spec, argv):
        message = _NOREPLICAS
    elif deny_oom and spec.flags & _DENYOOM:
        message = _OOM
    elif c.server.cluster is not None:
        from ..cluster.routing import script_check

        message = script_check(c.server.cluster, c, spec, argv)
    if message is not None:
        c.server.stats.count_error(message)
        c.cmdstats[spec.index].rejected_calls += 1
        raise ReplyError(message)
    call(c, spec, argv)
    return spec.flags


def _script_on_read_only_replica(c: Client) -> bool:
    """scriptVerifyWriteCommandAllow: a script's write on a read-only replica, unless the primary's stream
    runs it."""
    link = c.server.repl.link
    return link is not None and not link.applying and bool(c.server.config["replica-read-only"])
