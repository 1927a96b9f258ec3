"""Server commands (group "server"): INFO CONFIG FLUSHDB FLUSHALL DBSIZE TIME SHUTDOWN SLOWLOG MONITOR MEMORY.

COMMAND lives in command_docs.py and DEBUG in debug.py; INFO's sections are built by server/info.py.
"""
from __future__ import annotations

import ipaddress
import sys
import time
from typing import TYPE_CHECKING, Final

from .. import errors
from ..config import ConfigReplyError
from ..config_directives import lookup as lookup_directive
from ..errors import ReplyError
from ..persistence.snapshot import flushall_save
from ..replication import propagate
from ..server.client import ClientFlag
from ..server.info import build_info, process_rss
from ..server.memory import MemoryReport
from .args import parse_int
from .table import command, container, key_range, subcommand

if TYPE_CHECKING:
    from .._speedups.keyspace import Db
    from ..server.client import Client
    from ..server.instance import Server

_OK: Final = b"+OK\r\n"
_SHARED_REFCOUNT: Final = 2147483647


def lookup_notouch(c: Client, key: bytes) -> object | None:
    """objectCommandLookup: no LRU touch and no keymiss event, but keyspace hits/misses are counted."""
    value = c.db.peek(key)
    ctx = c.server.ctx
    if value is None:
        ctx.misses += 1
    else:
        ctx.hits += 1
    return value


def help_reply(c: Client, name: str, lines: tuple[str, ...]) -> None:
    """addReplyHelp: the usage line, the subcommand lines, then HELP itself, as status replies."""
    out = c.out
    out.array_header(len(lines) + 3)
    out.simple(f"{name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:".encode())
    for line in lines:
        out.simple(line.encode())
    out.simple(b"HELP")
    out.simple(b"    Prints this help.")


def is_local_client(c: Client) -> bool:
    """islocalClient: a unix-socket client or one connected from a loopback address."""
    addr = c.addr
    if addr.startswith("/") or addr.startswith("unix:"):
        return True
    host = addr.rsplit(":", 1)[0].strip("[]")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


# ---------------------------------------------------------------------------------------------- MONITOR


def monitor_line(server: Server, c: Client, argv: list[bytes]) -> bytes:
    """The line MONITOR clients receive: +<unix time.µs> [<db> <addr>] "arg" ..."""
    us = time.time_ns() // 1000
    addr = c.addr
    if addr.startswith("/"):
        addr = "unix:" + str(server.config["unixsocket"])
    parts = " ".join('"' + _repr_arg(a) + '"' for a in argv)
    return f"+{us // 1_000_000}.{us % 1_000_000:06d} [{c.db.id} {addr}] {parts}\r\n".encode()


_REPR_ESCAPES: Final = {0x5C: "\\\\", 0x22: '\\"', 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x07: "\\a", 0x08: "\\b"}


def _repr_arg(arg: bytes) -> str:
    """sdscatrepr without the surrounding quotes: C escapes, printable ASCII, \\xNN for the rest."""
    out = []
    for b in arg:
        esc = _REPR_ESCAPES.get(b)
        if esc is not None:
            out.append(esc)
        elif 32 <= b < 127:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return "".join(out)


@command("monitor", 1, "ADMIN NOSCRIPT LOADING STALE", group="server", since="1.0.0",
         summary="Listen for all requests received by the server in real time")
def monitor_command(c: Client, argv: list[bytes]) -> None:
    """MONITOR"""
    if c.flags & ClientFlag.MULTI:
        # EXEC runs its queue with CLIENT_DENY_BLOCKING, and a monitor never gets one reply per command.
        raise ReplyError(errors.MONITOR_DENY_BLOCKING)
    if c.flags & (ClientFlag.MONITOR | ClientFlag.REPLICA):
        return      # Redis ignores a repeated MONITOR without replying
    c.flags |= ClientFlag.MONITOR
    c.server.monitors.append(c)
    c.out.raw(_OK)


# ---------------------------------------------------------------------------------------------- INFO


@command("info", -1, "LOADING STALE", acl="@dangerous", group="server", since="1.0.0", complexity="O(1)",
         summary="Get information and statistics about the server", args="[section:string...]",
         history=(("7.0.0", "Added support for taking multiple section arguments."),),
         tips=("nondeterministic_output", "request_policy:all_shards", "response_policy:special"))
def info_command(c: Client, argv: list[bytes]) -> None:
    """INFO [section [section ...]]"""
    c.out.verbatim(build_info(c.server, argv[1:]).encode())


# ---------------------------------------------------------------------------------------------- CONFIG

container("config", -2, group="server", since="2.0.0", complexity="Depends on subcommand.",
          summary="A container for server configuration commands")

_CONFIG_HELP: Final = (
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
)

_CONFIG_ADMIN: Final = "ADMIN NOSCRIPT LOADING STALE"


def _text(raw: bytes) -> str:
    # Config values are text; surrogateescape keeps arbitrary bytes (passwords) round-trippable.
    return raw.decode("utf-8", "surrogateescape")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


@subcommand("config", "help", 2, "LOADING STALE", since="5.0.0", complexity="O(1)",
            summary="Show helpful text about the different subcommands")
def config_help_command(c: Client, argv: list[bytes]) -> None:
    """CONFIG HELP"""
    help_reply(c, "CONFIG", _CONFIG_HELP)


@subcommand("config", "get", -3, _CONFIG_ADMIN, since="2.0.0",
            complexity="O(N) when N is the number of configuration parameters provided",
            summary="Get the values of configuration parameters", args="parameter:{parameter:string}...",
            history=(("7.0.0", "Added the ability to pass multiple pattern parameters in one call"),))
def config_get_command(c: Client, argv: list[bytes]) -> None:
    """CONFIG GET parameter [parameter ...]"""
    pairs = c.server.config.get([_text(a) for a in argv[2:]])
    out = c.out
    out.map_header(len(pairs))
    for name, value in pairs:
        out.bulk(_bytes(name))
        out.bulk(_bytes(value))


@subcommand("config", "set", -4, _CONFIG_ADMIN, since="2.0.0",
            complexity="O(N) when N is the number of configuration parameters provided",
            summary="Set configuration parameters to the given values",
            args="parameter_value:{parameter:string value:string}...",
            history=(("7.0.0", "Added the ability to set multiple parameters in one call."),),
            tips=("request_policy:all_nodes", "response_policy:all_succeeded"))
def config_set_command(c: Client, argv: list[bytes]) -> None:
    """CONFIG SET parameter value [parameter value ...]"""
    if len(argv) % 2:
        raise ReplyError(errors.SYNTAX)
    pairs = [(_text(argv[i]), _text(argv[i + 1])) for i in range(2, len(argv), 2)]
    try:
        c.server.config.set_many(pairs, client_is_local=is_local_client(c))
    except ConfigReplyError as exc:
        raise ReplyError(str(exc)) from None
    finally:
        # redactClientCommandArgument: sensitive values never reach the slow log or MONITOR.
        for i in range(2, len(argv), 2):
            d = lookup_directive(pairs[(i - 2) // 2][0])
            if d is not None and d.sensitive:
                argv[i + 1] = b"(redacted)"
    c.out.raw(_OK)


@subcommand("config", "resetstat", 2, _CONFIG_ADMIN, since="2.0.0", complexity="O(1)",
            summary="Reset the stats returned by INFO")
def config_resetstat_command(c: Client, argv: list[bytes]) -> None:
    """CONFIG RESETSTAT"""
    reset_stats(c.server)
    c.out.raw(_OK)


def reset_stats(server: Server) -> None:
    """resetServerStats + resetCommandTableStats + resetErrorTableStats (the slow log is kept)."""
    stats = server.stats
    stats.reset()
    # Live clients' byte counters keep growing; start the totals from zero by offsetting them.
    for cl in server.clients.values():
        stats.net_input_bytes -= cl.tot_net_in
        stats.net_output_bytes -= cl.tot_net_out
    ctx = server.ctx
    ctx.hits = 0
    ctx.misses = 0
    ctx.expired_keys = 0
    ctx.expired_stale_perc = 0.0
    ctx.expired_time_cap_reached_count = 0


@subcommand("config", "rewrite", 2, _CONFIG_ADMIN, since="2.8.0", complexity="O(1)",
            summary="Rewrite the configuration file with the in memory configuration")
def config_rewrite_command(c: Client, argv: list[bytes]) -> None:
    """CONFIG REWRITE"""
    server = c.server
    if server.config.config_file is None:
        raise ReplyError(errors.NO_CONFIG_FILE)
    try:
        server.config.rewrite()
    except ConfigReplyError as exc:
        message = str(exc)
        server.log.warning("CONFIG REWRITE failed: " + message.split(": ", 1)[-1])
        raise ReplyError(message) from None
    server.log.notice("CONFIG REWRITE executed with success.")
    c.out.raw(_OK)


# ---------------------------------------------------------------------------------------------- FLUSH*, TIME


def _flush_flags(argv: list[bytes]) -> None:
    """getFlushCommandFlags: nothing, SYNC or ASYNC (freeing is immediate either way here)."""
    if len(argv) > 2:
        raise ReplyError(errors.SYNTAX)
    if len(argv) == 2 and argv[1].lower() not in (b"sync", b"async"):
        raise ReplyError(errors.SYNTAX)


def empty_db(server: Server, db: Db) -> int:
    """Remove every key of one db, letting WATCH see it first; returns how many keys were removed."""
    if server.flush_hook is not None and len(db):
        server.flush_hook(db)
    return db.clear()


_FLUSH_ARGS: Final = "[async:{ASYNC<4.0.0>|SYNC<6.2.0>}]"
_FLUSH_HISTORY: Final = (("4.0.0", "Added the `ASYNC` flushing mode modifier."),
                         ("6.2.0", "Added the `SYNC` flushing mode modifier."))
_ALL_SHARDS_OK: Final = ("request_policy:all_shards", "response_policy:all_succeeded")


@command("flushdb", -1, "WRITE", acl="@keyspace @dangerous", group="server", since="1.0.0",
         complexity="O(N) where N is the number of keys in the selected database",
         summary="Remove all keys from the current database", args=_FLUSH_ARGS, history=_FLUSH_HISTORY,
         tips=_ALL_SHARDS_OK)
def flushdb_command(c: Client, argv: list[bytes]) -> None:
    """FLUSHDB [ASYNC|SYNC]"""
    _flush_flags(argv)
    server = c.server
    server.dirty += empty_db(server, c.db)
    propagate.force(c)      # replicated even when the db was already empty
    c.out.raw(_OK)


@command("flushall", -1, "WRITE", acl="@keyspace @dangerous", group="server", since="1.0.0",
         complexity="O(N) where N is the total number of keys in all databases",
         summary="Remove all keys from all databases", args=_FLUSH_ARGS, history=_FLUSH_HISTORY,
         tips=_ALL_SHARDS_OK)
def flushall_command(c: Client, argv: list[bytes]) -> None:
    """FLUSHALL [ASYNC|SYNC]"""
    _flush_flags(argv)
    server = c.server
    removed = 0
    for db in server.dbs:
        removed += empty_db(server, db)
    # 7.0 counts only the removed keys (an empty FLUSHALL is propagated by forcing it, not through dirty).
    server.dirty += removed
    propagate.force(c)
    # flushAllDataAndResetRDB: stop a BGSAVE child; with save points, rdbSave the empty dataset (dirty -> 0).
    flushall_save(server)
    c.out.raw(_OK)


@command("dbsize", 1, "READONLY FAST", acl="@keyspace", group="server", since="1.0.0", complexity="O(1)",
         summary="Return the number of keys in the selected database",
         tips=("request_policy:all_shards", "response_policy:agg_sum"))
def dbsize_command(c: Client, argv: list[bytes]) -> None:
    """DBSIZE"""
    c.out.integer(len(c.db))


@command("time", 1, "LOADING STALE FAST", group="server", since="2.6.0", complexity="O(1)",
         summary="Return the current server time", tips=("nondeterministic_output",))
def time_command(c: Client, argv: list[bytes]) -> None:
    """TIME"""
    us = c.server.clock.now_us()
    out = c.out
    out.array_header(2)
    out.bulk(b"%d" % (us // 1_000_000))
    out.bulk(b"%d" % (us % 1_000_000))


# ---------------------------------------------------------------------------------------------- SHUTDOWN

SHUTDOWN_NOSAVE: Final = 1
SHUTDOWN_SAVE: Final = 2
SHUTDOWN_NOW: Final = 4
SHUTDOWN_FORCE: Final = 8
_SHUTDOWN_WORDS: Final = {b"nosave": SHUTDOWN_NOSAVE, b"save": SHUTDOWN_SAVE, b"now": SHUTDOWN_NOW,
                          b"force": SHUTDOWN_FORCE}


@command("shutdown", -1, "ADMIN NOSCRIPT LOADING STALE NO_MULTI ALLOW_BUSY", group="server", since="1.0.0",
         complexity="O(N) when saving, where N is the total number of keys in all databases when saving data, "
                    "otherwise O(1)",
         summary="Synchronously save the dataset to disk and then shut down the server",
         args="[nosave_save:{NOSAVE|SAVE}] [NOW]<7.0.0> [FORCE]<7.0.0> [ABORT]<7.0.0>",
         history=(("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers."),))
def shutdown_command(c: Client, argv: list[bytes]) -> None:
    """SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]"""
    flags = 0
    abort = False
    for arg in argv[1:]:
        word = arg.lower()
        if word == b"abort":
            abort = True
            continue
        bit = _SHUTDOWN_WORDS.get(word)
        if bit is None:
            raise ReplyError(errors.SYNTAX)
        flags |= bit
    if (abort and len(argv) != 2) or (flags & SHUTDOWN_NOSAVE and flags & SHUTDOWN_SAVE):
        raise ReplyError(errors.SYNTAX)
    server = c.server
    if abort:
        # Shutdown never waits for lagging replicas here, so there is never one to abort.
        raise ReplyError(errors.NO_SHUTDOWN_IN_PROGRESS)
    if not server.shutdown(save=bool(flags & SHUTDOWN_SAVE), nosave=bool(flags & SHUTDOWN_NOSAVE),
                           force=bool(flags & SHUTDOWN_FORCE)):
        raise ReplyError(errors.SHUTDOWN_ERRORS)
    # Like redis-server, the client gets no reply: the connection is closed as the server exits.
    c.flags |= ClientFlag.CLOSE_ASAP


# ---------------------------------------------------------------------------------------------- SLOWLOG

container("slowlog", -2, group="server", since="2.2.12", complexity="Depends on subcommand.",
          summary="A container for slow log commands")

_SLOWLOG_HELP: Final = (
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
)


@subcommand("slowlog", "help", 2, "LOADING STALE", since="6.2.0", complexity="O(1)",
            summary="Show helpful text about the different subcommands")
def slowlog_help_command(c: Client, argv: list[bytes]) -> None:
    """SLOWLOG HELP"""
    help_reply(c, "SLOWLOG", _SLOWLOG_HELP)


@subcommand("slowlog", "get", -2, "ADMIN LOADING STALE", since="2.2.12",
            complexity="O(N) where N is the number of entries returned", summary="Get the slow log's entries",
            args="[count:integer]",
            history=(("4.0.0", "Added client IP address, port and name to the reply."),),
            tips=("request_policy:all_nodes", "nondeterministic_output"))
def slowlog_get_command(c: Client, argv: list[bytes]) -> None:
    """SLOWLOG GET [count]"""
    if len(argv) > 3:
        raise ReplyError(errors.subcommand_syntax(argv[1], argv[0]))
    count = 10
    if len(argv) == 3:
        count = parse_int(argv[2], errors.SLOWLOG_COUNT)
        if count < -1:
            raise ReplyError(errors.SLOWLOG_COUNT)
    entries = c.server.slowlog.entries
    n = len(entries) if count == -1 else min(count, len(entries))
    out = c.out
    out.array_header(n)
    for i in range(n):
        entry_id, timestamp, duration_us, args, addr, name = entries[i]
        out.array_header(6)
        out.integer(entry_id)
        out.integer(timestamp)
        out.integer(duration_us)
        out.array_header(len(args))
        for arg in args:
            out.bulk(arg)
        out.bulk(addr)
        out.bulk(name)


@subcommand("slowlog", "len", 2, "ADMIN LOADING STALE", since="2.2.12", complexity="O(1)",
            summary="Get the slow log's length",
            tips=("request_policy:all_nodes", "response_policy:agg_sum", "nondeterministic_output"))
def slowlog_len_command(c: Client, argv: list[bytes]) -> None:
    """SLOWLOG LEN"""
    c.out.integer(len(c.server.slowlog.entries))


@subcommand("slowlog", "reset", 2, "ADMIN LOADING STALE", since="2.2.12",
            complexity="O(N) where N is the number of entries in the slowlog",
            summary="Clear all entries from the slow log",
            tips=("request_policy:all_nodes", "response_policy:all_succeeded"))
def slowlog_reset_command(c: Client, argv: list[bytes]) -> None:
    """SLOWLOG RESET"""
    c.server.slowlog.reset()
    c.out.raw(_OK)


# ---------------------------------------------------------------------------------------------- MEMORY

container("memory", -2, group="server", since="4.0.0", complexity="Depends on subcommand.",
          summary="A container for memory diagnostics commands")

_MEMORY_HELP: Final = (
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
)
_SHARDS_SPECIAL: Final = ("nondeterministic_output", "request_policy:all_shards", "response_policy:special")
# A keyspace entry (key and value pointers, hash, expire, LRU, chain link) plus its bucket slot.


@subcommand("memory", "help", 2, "LOADING STALE", since="4.0.0", complexity="O(1)",
            summary="Show helpful text about the different subcommands")
def memory_help_command(c: Client, argv: list[bytes]) -> None:
    """MEMORY HELP"""
    help_reply(c, "MEMORY", _MEMORY_HELP)


@subcommand("memory", "usage", -3, "READONLY", keys=[key_range(2, "RO")], since="4.0.0",
            complexity="O(N) where N is the number of samples.", summary="Estimate the memory usage of a key",
            args="key:key [count:SAMPLES=integer]")
def memory_usage_command(c: Client, argv: list[bytes]) -> None:
    """MEMORY USAGE key [SAMPLES count]"""
    samples = 5
    i = 3
    n = len(argv)
    while i < n:
        if argv[i].lower() == b"samples" and i + 1 < n:
            samples = parse_int(argv[i + 1])
            if samples < 0:
                raise ReplyError(errors.SYNTAX)
            if samples == 0:
                samples = sys.maxsize
            i += 2
        else:
            raise ReplyError(errors.SYNTAX)
    # dictFind on the main table, as Redis: no lazy expiry, no access bookkeeping. Values keep exact running
    # sizes, so SAMPLES (Redis's sampling depth for nested values) is validated but needs no sampling.
    size = c.db.key_memory(argv[2])
    if size < 0:
        c.out.null()
        return
    c.out.integer(size)


@subcommand("memory", "stats", 2, since="4.0.0", complexity="O(1)", summary="Show memory usage details",
            tips=_SHARDS_SPECIAL)
def memory_stats_command(c: Client, argv: list[bytes]) -> None:
    """MEMORY STATS"""
    server = c.server
    m = MemoryReport(server, process_rss())
    fields: list[tuple[bytes, int]] = [
        (b"peak.allocated", m.peak),
        (b"total.allocated", m.used),
        (b"startup.allocated", m.startup),
        (b"replication.backlog", m.backlog),
        (b"clients.slaves", m.clients_replicas),
        (b"clients.normal", m.clients_normal),
        (b"cluster.links", 0),
        (b"aof.buffer", 0),
        (b"lua.caches", m.scripts),
        (b"functions.caches", m.functions),
    ]
    out = c.out
    out.map_header(len(fields) + len(m.dbs) + 17)
    for name, value in fields:
        out.bulk(name)
        out.integer(value)
    for dbid, main, expires in m.dbs:
        out.bulk(b"db.%d" % dbid)
        out.map_header(2)
        out.bulk(b"overhead.hashtable.main")
        out.integer(main)
        out.bulk(b"overhead.hashtable.expires")
        out.integer(expires)
    out.bulk(b"overhead.total")
    out.integer(m.overhead)
    out.bulk(b"keys.count")
    out.integer(m.keys)
    out.bulk(b"keys.bytes-per-key")
    out.integer(m.bytes_per_key)
    out.bulk(b"dataset.bytes")
    out.integer(m.dataset)
    out.bulk(b"dataset.percentage")
    out.put_double(m.dataset_perc)
    out.bulk(b"peak.percentage")
    out.put_double(m.peak_perc)
    for name in (b"allocator.allocated", b"allocator.active", b"allocator.resident"):
        out.bulk(name)
        out.integer(m.used if name == b"allocator.allocated" else m.rss)
    for name in (b"allocator-fragmentation", b"allocator-rss", b"rss-overhead"):
        out.bulk(name + b".ratio")
        out.put_double(1.0)
        out.bulk(name + b".bytes")
        out.integer(0)
    out.bulk(b"fragmentation")
    out.put_double(m.rss / (m.used or 1))
    out.bulk(b"fragmentation.bytes")
    out.integer(m.rss - m.used)


@subcommand("memory", "doctor", 2, since="4.0.0", complexity="O(1)", summary="Outputs memory problems report",
            tips=_SHARDS_SPECIAL)
def memory_doctor_command(c: Client, argv: list[bytes]) -> None:
    """MEMORY DOCTOR"""
    c.out.verbatim(memory_doctor_report(c.server).encode())


def memory_doctor_report(server: Server) -> str:
    """getMemoryDoctorReport's checks on our figures. Fragmentation is judged on the RSS grown since start-up:
    the interpreter's own resident memory is neither dataset nor fragmentation."""
    m = MemoryReport(server, process_rss())
    if m.used < _DOCTOR_EMPTY_BYTES:
        return _DOCTOR_EMPTY
    issues = []
    if m.peak / m.used > 1.5:
        issues.append(_DOCTOR_PEAK)
    grown_rss = m.rss - server.rss_at_start
    if grown_rss / m.used > 1.4 and grown_rss - m.used > _DOCTOR_FRAG_BYTES:
        issues.append(_DOCTOR_FRAG)
    replicas = sum(1 for cl in server.clients.values() if cl.flags & ClientFlag.REPLICA)
    normal = len(server.clients) - replicas
    if normal and m.clients_normal / normal > 200 * 1024:
        issues.append(_DOCTOR_CLIENT_BUF)
    if replicas and m.clients_replicas / replicas > 10 * 1024 * 1024:
        issues.append(_DOCTOR_REPLICA_BUF)
    scripting = server.scripting
    if scripting is not None and len(scripting.cache) > 1000:
        issues.append(_DOCTOR_SCRIPTS)
    if not issues:
        return _DOCTOR_FINE
    return ("Sam, I detected a few issues in this Redis instance memory implants:\n\n" + "".join(issues)
            + "I'm here to keep you safe, Sam. I want to help you.\n")


_DOCTOR_EMPTY_BYTES: Final = 5 * 1024 * 1024
_DOCTOR_FRAG_BYTES: Final = 10 << 20
_DOCTOR_EMPTY: Final = (
    "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these "
    "conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be "
    "back to our programming as soon as I finished rebooting.\n")
_DOCTOR_FINE: Final = ("Hi Sam, I can't find any memory issue in your instance. I can only account for what "
                       "occurs on this base.\n")
_DOCTOR_PEAK: Final = (
    " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The "
    "allocator is normally not able to release memory after a peak, so you can expect to see a big "
    "fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the "
    "Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon "
    "as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try "
    "to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown "
    "and restart the instance.\n\n")
_DOCTOR_FRAG: Final = (
    " * High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means "
    "that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations "
    "Redis performed). This problem is usually due either to a large peak memory (check if there is a peak "
    "memory entry above in the report) or may result from a workload that causes the allocator to fragment "
    "memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are "
    "using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is "
    "\"libc\".\n\n")
_DOCTOR_REPLICA_BUF: Final = (
    " * Big replica buffers: The replica output buffers in this instance are greater than 10MB for each replica "
    "(on average). This likely means that there is some replica instance that is struggling receiving data, "
    "either because it is too slow or because of networking issues. As a result, data piles on the master "
    "output buffers. Please try to identify what replica is not receiving data correctly and why. You can use "
    "the INFO output in order to check the replicas delays and the CLIENT LIST command to check the output "
    "buffers of each replica.\n\n")
_DOCTOR_CLIENT_BUF: Final = (
    " * Big client buffers: The clients output buffers in this instance are greater than 200K per client (on "
    "average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not "
    "receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending "
    "commands with large replies or very large sequences of commands in the same pipeline. Please use the "
    "CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to "
    "understand better why certain clients are using a big amount of memory.\n\n")
_DOCTOR_SCRIPTS: Final = (
    " * Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be "
    "because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT "
    "LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up "
    "consuming most of your memory.\n\n")


@subcommand("memory", "malloc-stats", 2, since="4.0.0",
            complexity="Depends on how much memory is allocated, could be slow",
            summary="Show allocator internal stats", tips=_SHARDS_SPECIAL)
def memory_malloc_stats_command(c: Client, argv: list[bytes]) -> None:
    """MEMORY MALLOC-STATS"""
    c.out.verbatim(b"Stats not supported for the current allocator")


@subcommand("memory", "purge", 2, since="4.0.0", complexity="Depends on how much memory is allocated, could be slow",
            summary="Ask the allocator to release memory", tips=_ALL_SHARDS_OK)
def memory_purge_command(c: Client, argv: list[bytes]) -> None:
    """MEMORY PURGE"""
    c.out.raw(_OK)
