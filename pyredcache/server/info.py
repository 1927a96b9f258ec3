"""INFO section builders: field names, order and number formats exactly as redis-server 7.0.15 prints them.

Each builder returns the section's lines (header first); build_info joins the requested sections with
Redis's CRLF layout. Values come from the server, its Stats, the keyspace Context and the process (/proc,
getrusage). Subsystems that do not exist yet (replication, pub/sub, scripting, persistence) report what a
freshly started Redis with that feature idle reports.
"""
from __future__ import annotations

import hashlib
import os
import platform
import resource
import sys
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .. import REDIS_VERSION, __version__
from .._speedups.fastpath import CommandStat
from ..commands.table import CommandSpec, all_specs
from .client import ClientFlag
from .memory import MemoryReport
from .output_limits import output_memory

if TYPE_CHECKING:
    from .instance import Server

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_BUILD_ID = hashlib.sha1(f"pyredcache-{__version__}".encode()).hexdigest()[:15]
_OS = " ".join((platform.system(), platform.release(), platform.machine()))


# ---------------------------------------------------------------------------------------------- helpers


def bytes_to_human(n: int) -> str:
    """bytesToHuman: 1023B, 1.00K, 11.80M, 23.54G, ..."""
    if n < 1024:
        return f"{n}B"
    for i, unit in enumerate("KMGTP", start=1):
        if n < 1024 ** (i + 1):
            return f"{n / 1024 ** i:.2f}{unit}"
    return f"{n}B"


def process_rss() -> int:
    """Resident set size of this process in bytes (from /proc/self/statm; 0 where unavailable)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE_SIZE
    except (OSError, ValueError, IndexError):
        return 0


def _total_system_memory() -> int:
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return 0


def _timeval(seconds: float) -> str:
    # Redis prints rusage times as "%ld.%06ld" (seconds and microseconds).
    us = int(round(seconds * 1_000_000))
    return f"{us // 1_000_000}.{us % 1_000_000:06d}"


def _count(obj: Any, name: str) -> int:
    """A size reported by a subsystem that may not be installed yet (0 when absent)."""
    value = getattr(obj, name, None)
    if value is None:
        return 0
    if callable(value):
        value = value()
    try:
        return len(value)
    except TypeError:
        return int(value)


# ---------------------------------------------------------------------------------------------- sections


def _server(server: Server) -> list[str]:
    cfg = server.config
    now_us = server.clock.now_us()
    uptime = server.uptime_seconds()
    supervised = cfg["supervised"]
    return [
        "# Server",
        f"redis_version:{REDIS_VERSION}",
        "redis_git_sha1:00000000",
        "redis_git_dirty:0",
        f"redis_build_id:{_BUILD_ID}",
        f"redis_mode:{'cluster' if cfg['cluster-enabled'] else 'standalone'}",
        f"os:{_OS}",
        "arch_bits:64",
        "monotonic_clock:POSIX clock_gettime",
        "multiplexing_api:epoll",
        "atomicvar_api:c11-builtin",
        "gcc_version:0.0.0",
        f"process_id:{os.getpid()}",
        f"process_supervised:{supervised if supervised in ('upstart', 'systemd') else 'no'}",
        f"run_id:{server.run_id}",
        f"tcp_port:{server.port}",
        f"server_time_usec:{now_us}",
        f"uptime_in_seconds:{uptime}",
        f"uptime_in_days:{uptime // 86400}",
        f"hz:{getattr(server, 'hz', cfg['hz'])}",
        f"configured_hz:{cfg['hz']}",
        f"lru_clock:{server.ctx.lru_clock()}",
        f"executable:{_executable()}",
        f"config_file:{cfg.info_config_file}",
        "io_threads_active:0",
        f"pyredcache_version:{__version__}",
    ]


def _executable() -> str:
    # Redis reports the absolute path of argv[0]; for `python -m pyredcache` that is the package's __main__.
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else sys.executable
    return os.path.abspath(argv0)


def _clients(server: Server) -> list[str]:
    connected = replicas = blocked = max_in = max_out = 0
    for c in server.clients.values():
        if c.flags & ClientFlag.REPLICA:   # counted under connected_slaves instead
            replicas += 1
        if c.blocked is not None:
            blocked += 1
        parser = c.parser
        if parser is not None:
            max_in = max(max_in, parser.pending_bytes())
        max_out = max(max_out, output_memory(c))
    connected = len(server.clients) - replicas
    return [
        "# Clients",
        f"connected_clients:{connected}",
        f"cluster_connections:{_cluster_connections(server)}",
        f"maxclients:{server.config['maxclients']}",
        f"client_recent_max_input_buffer:{max_in}",
        f"client_recent_max_output_buffer:{max_out}",
        f"blocked_clients:{blocked}",
        "tracking_clients:0",
        f"clients_in_timeout_table:{_count(server, 'blocked_with_timeout')}",
    ]


def _memory(server: Server) -> list[str]:
    cfg = server.config
    m = MemoryReport(server, process_rss())
    total_sys = _total_system_memory()
    maxmemory = cfg["maxmemory"]
    frag_bytes = m.rss - m.used
    scripting = getattr(server, "scripting", None)
    lua = scripting.lua_memory() if scripting is not None else 32768
    scripts_eval = scripting.cache.memory if scripting is not None else 0
    return [
        "# Memory",
        f"used_memory:{m.used}",
        f"used_memory_human:{bytes_to_human(m.used)}",
        f"used_memory_rss:{m.rss}",
        f"used_memory_rss_human:{bytes_to_human(m.rss)}",
        f"used_memory_peak:{m.peak}",
        f"used_memory_peak_human:{bytes_to_human(m.peak)}",
        f"used_memory_peak_perc:{m.peak_perc:.2f}%",
        f"used_memory_overhead:{m.overhead}",
        f"used_memory_startup:{m.startup}",
        f"used_memory_dataset:{m.dataset}",
        f"used_memory_dataset_perc:{m.dataset_perc:.2f}%",
        f"allocator_allocated:{m.used}",
        f"allocator_active:{m.rss}",
        f"allocator_resident:{m.rss}",
        f"total_system_memory:{total_sys}",
        f"total_system_memory_human:{bytes_to_human(total_sys)}",
        f"used_memory_lua:{lua}",
        f"used_memory_vm_eval:{lua}",
        f"used_memory_lua_human:{bytes_to_human(lua)}",
        f"used_memory_scripts_eval:{scripts_eval}",
        f"number_of_cached_scripts:{_count(server, 'scripts')}",
        "number_of_functions:0",
        "number_of_libraries:0",
        "used_memory_vm_functions:33792",
        f"used_memory_vm_total:{lua + 33792}",
        f"used_memory_vm_total_human:{bytes_to_human(lua + 33792)}",
        f"used_memory_functions:{m.functions}",
        f"used_memory_scripts:{m.functions + scripts_eval}",
        f"used_memory_scripts_human:{bytes_to_human(m.functions + scripts_eval)}",
        f"maxmemory:{maxmemory}",
        f"maxmemory_human:{bytes_to_human(maxmemory)}",
        f"maxmemory_policy:{cfg['maxmemory-policy']}",
        "allocator_frag_ratio:1.00",
        "allocator_frag_bytes:0",
        "allocator_rss_ratio:1.00",
        "allocator_rss_bytes:0",
        "rss_overhead_ratio:1.00",
        "rss_overhead_bytes:0",
        f"mem_fragmentation_ratio:{m.rss / (m.used or 1):.2f}",
        f"mem_fragmentation_bytes:{frag_bytes}",
        f"mem_not_counted_for_evict:{m.clients_replicas + m.backlog}",
        f"mem_replication_backlog:{m.backlog}",
        "mem_total_replication_buffers:0",
        f"mem_clients_slaves:{m.clients_replicas}",
        f"mem_clients_normal:{m.clients_normal}",
        f"mem_cluster_links:{_cluster_links_memory(server)}",
        "mem_aof_buffer:0",
        "mem_allocator:libc",
        "active_defrag_running:0",
        "lazyfree_pending_objects:0",
        f"lazyfreed_objects:{server.stats.lazyfreed_objects}",
    ]


def _persistence(server: Server) -> list[str]:
    from ..persistence.snapshot import info_fields

    rdb = info_fields(server)
    return [
        "# Persistence",
        f"loading:{rdb['loading']}",
        "async_loading:0",
        "current_cow_peak:0",
        "current_cow_size:0",
        "current_cow_size_age:0",
        "current_fork_perc:0.00",
        f"current_save_keys_processed:{rdb['current_save_keys_processed']}",
        f"current_save_keys_total:{rdb['current_save_keys_total']}",
        f"rdb_changes_since_last_save:{rdb['rdb_changes_since_last_save']}",
        f"rdb_bgsave_in_progress:{rdb['rdb_bgsave_in_progress']}",
        f"rdb_last_save_time:{rdb['rdb_last_save_time']}",
        f"rdb_last_bgsave_status:{rdb['rdb_last_bgsave_status']}",
        f"rdb_last_bgsave_time_sec:{rdb['rdb_last_bgsave_time_sec']}",
        f"rdb_current_bgsave_time_sec:{rdb['rdb_current_bgsave_time_sec']}",
        f"rdb_saves:{rdb['rdb_saves']}",
        f"rdb_last_cow_size:{rdb['rdb_last_cow_size']}",
        f"rdb_last_load_keys_expired:{rdb['rdb_last_load_keys_expired']}",
        f"rdb_last_load_keys_loaded:{rdb['rdb_last_load_keys_loaded']}",
        "aof_enabled:0",
        "aof_rewrite_in_progress:0",
        "aof_rewrite_scheduled:0",
        "aof_last_rewrite_time_sec:-1",
        "aof_current_rewrite_time_sec:-1",
        "aof_last_bgrewrite_status:ok",
        "aof_rewrites:0",
        "aof_rewrites_consecutive_failures:0",
        "aof_last_write_status:ok",
        "aof_last_cow_size:0",
        "module_fork_in_progress:0",
        "module_fork_last_cow_size:0",
    ]


def net_bytes(server: Server) -> tuple[int, int]:
    """total_net_input_bytes / total_net_output_bytes: closed clients' totals plus live clients' counters."""
    st = server.stats
    net_in = st.net_input_bytes
    net_out = st.net_output_bytes
    for c in server.clients.values():
        net_in += c.tot_net_in
        net_out += c.tot_net_out
    return net_in, net_out


def _stats(server: Server) -> list[str]:
    st = server.stats
    ctx = server.ctx
    net_in, net_out = net_bytes(server)
    pubsub = getattr(server, "pubsub", None)
    since = st.eviction_exceeded_since
    current_exceeded = time.perf_counter_ns() - since if since else 0
    return [
        "# Stats",
        f"total_connections_received:{st.numconnections}",
        f"total_commands_processed:{st.numcommands}",
        f"instantaneous_ops_per_sec:{int(st.instantaneous('ops'))}",
        f"total_net_input_bytes:{net_in}",
        f"total_net_output_bytes:{net_out}",
        "total_net_repl_input_bytes:0",
        "total_net_repl_output_bytes:0",
        f"instantaneous_input_kbps:{st.instantaneous('net_in') / 1024:.2f}",
        f"instantaneous_output_kbps:{st.instantaneous('net_out') / 1024:.2f}",
        "instantaneous_input_repl_kbps:0.00",
        "instantaneous_output_repl_kbps:0.00",
        f"rejected_connections:{st.rejected_conn}",
        *_sync_stats(server),
        f"expired_keys:{ctx.expired_keys}",
        f"expired_stale_perc:{ctx.expired_stale_perc * 100:.2f}",
        f"expired_time_cap_reached_count:{ctx.expired_time_cap_reached_count}",
        f"expire_cycle_cpu_milliseconds:{st.expire_cycle_time_used_us // 1000}",
        f"evicted_keys:{st.evicted_keys}",
        f"evicted_clients:{st.evicted_clients}",
        f"total_eviction_exceeded_time:{(st.eviction_exceeded_ns + current_exceeded) // 1_000_000}",
        f"current_eviction_exceeded_time:{current_exceeded // 1_000_000}",
        f"keyspace_hits:{ctx.hits}",
        f"keyspace_misses:{ctx.misses}",
        f"pubsub_channels:{_count(pubsub, 'channels')}",
        f"pubsub_patterns:{_count(pubsub, 'patterns')}",
        f"pubsubshard_channels:{_count(pubsub, 'shard_channels')}",
        f"latest_fork_usec:{server.persistence.latest_fork_usec}",
        f"total_forks:{server.persistence.total_forks}",
        "migrate_cached_sockets:0",
        "slave_expires_tracked_keys:0",
        "active_defrag_hits:0",
        "active_defrag_misses:0",
        "active_defrag_key_hits:0",
        "active_defrag_key_misses:0",
        "total_active_defrag_time:0",
        "current_active_defrag_time:0",
        "tracking_total_keys:0",
        "tracking_total_items:0",
        "tracking_total_prefixes:0",
        f"unexpected_error_replies:{st.unexpected_error_replies}",
        f"total_error_replies:{st.total_error_replies}",
        "dump_payload_sanitizations:0",
        f"total_reads_processed:{st.reads_processed}",
        f"total_writes_processed:{st.writes_processed}",
        "io_threaded_reads_processed:0",
        "io_threaded_writes_processed:0",
        "reply_buffer_shrinks:0",
        "reply_buffer_expands:0",
    ]


def _sync_stats(server: Server) -> list[str]:
    primary = getattr(server, "primary", None)     # replication/primary.py, made by the first replica
    if primary is None:
        return ["sync_full:0", "sync_partial_ok:0", "sync_partial_err:0"]
    return [f"sync_full:{primary.stat_sync_full}", f"sync_partial_ok:{primary.stat_sync_partial_ok}",
            f"sync_partial_err:{primary.stat_sync_partial_err}"]


def _replication(server: Server) -> list[str]:
    from ..replication.primary import info_lines as primary_info_lines
    from ..replication.replica import info_fields

    lines = ["# Replication", *primary_info_lines(server)]
    replica = info_fields(server)
    if replica is not None:
        # A replica: its link fields stand where "role:master" was (the rest is the same for both roles).
        lines = [part for line in lines for part in (replica if line.startswith("role:") else [line])]
    return lines


def _cpu(server: Server) -> list[str]:
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    thread_usage = getattr(resource, "RUSAGE_THREAD", None)
    main = resource.getrusage(thread_usage) if thread_usage is not None else me
    return [
        "# CPU",
        f"used_cpu_sys:{_timeval(me.ru_stime)}",
        f"used_cpu_user:{_timeval(me.ru_utime)}",
        f"used_cpu_sys_children:{_timeval(kids.ru_stime)}",
        f"used_cpu_user_children:{_timeval(kids.ru_utime)}",
        f"used_cpu_sys_main_thread:{_timeval(main.ru_stime)}",
        f"used_cpu_user_main_thread:{_timeval(main.ru_utime)}",
    ]


def _modules(server: Server) -> list[str]:
    return ["# Modules"]


def _counted_specs(server: Server) -> Iterable[tuple[CommandSpec, CommandStat]]:
    rows = server.stats.commands
    for spec in all_specs():
        row = rows[spec.index]
        if row.calls or row.failed_calls or row.rejected_calls:
            yield spec, row


def _commandstats(server: Server) -> list[str]:
    out = ["# Commandstats"]
    for spec, row in _counted_specs(server):
        per_call = row.usec / row.calls if row.calls else 0.0
        out.append(
            f"cmdstat_{spec.fullname}:calls={row.calls},usec={row.usec},usec_per_call={per_call:.2f},"
            f"rejected_calls={row.rejected_calls},failed_calls={row.failed_calls}"
        )
    return out


def _errorstats(server: Server) -> list[str]:
    # Redis keeps error codes in a rax, so they come out in byte order.
    out = ["# Errorstats"]
    for code, count in sorted(server.stats.errors.items()):
        out.append(f"errorstat_{code.decode(errors='replace')}:count={count}")
    return out


def _trim_double(value: float) -> str:
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _latencystats(server: Server) -> list[str]:
    out = ["# Latencystats"]
    rows = server.stats.commands
    percentiles = list(server.config["latency-tracking-info-percentiles"])
    labels = [f"p{_trim_double(p)}" for p in percentiles]
    for spec in all_specs():
        hist = rows[spec.index].latency_histogram()
        if not hist:
            continue
        values = server.stats.latency_percentiles(hist, percentiles)
        fields = ",".join(f"{label}={v / 1000.0:.3f}" for label, v in zip(labels, values, strict=True))
        out.append(f"latency_percentiles_usec_{spec.fullname}:{fields}")
    return out


def _cluster_connections(server: Server) -> int:
    """getClusterConnectionsCount (7.0): two links (in and out) per known node other than myself."""
    cluster = server.cluster
    return (len(cluster.state.nodes) - 1) * 2 if cluster is not None else 0


def _cluster_links_memory(server: Server) -> int:
    """stat_cluster_links_memory: per link, sizeof(clusterLink) (64), its receive buffer (1024 to start) and its
    send buffer allocation (getClusterLinkMemUsage)."""
    cluster = server.cluster
    if cluster is None:
        return 0
    total = 0
    for node in list(cluster.state.nodes.values()):
        for link in (node.link, node.inbound_link):
            if link is not None:
                total += 64 + max(1024, len(getattr(link, "rbuf", b""))) + int(getattr(link, "send_buffer_allocated", 0))
    return total


def _cluster(server: Server) -> list[str]:
    return ["# Cluster", f"cluster_enabled:{1 if server.config['cluster-enabled'] else 0}"]


def _keyspace(server: Server) -> list[str]:
    out = ["# Keyspace"]
    for db in server.dbs:
        keys = len(db)
        if keys:
            out.append(f"db{db.id}:keys={keys},expires={db.expires_count()},avg_ttl={db.avg_ttl()}")
    return out


# Section name -> builder, in the order Redis prints them.
SECTIONS: dict[str, Callable[[Server], list[str]]] = {
    "server": _server,
    "clients": _clients,
    "memory": _memory,
    "persistence": _persistence,
    "stats": _stats,
    "replication": _replication,
    "cpu": _cpu,
    "modules": _modules,
    "commandstats": _commandstats,
    "errorstats": _errorstats,
    "latencystats": _latencystats,
    "cluster": _cluster,
    "keyspace": _keyspace,
}
ALL_SECTIONS = frozenset(SECTIONS)
DEFAULT_SECTIONS = ALL_SECTIONS - {"commandstats", "latencystats"}
_ALIASES = {"module_list": "modules"}


def select_sections(args: list[bytes]) -> set[str]:
    """genInfoSectionDict: the sections INFO's arguments name ("all", "everything", "default" included)."""
    if not args:
        return set(DEFAULT_SECTIONS)
    chosen: set[str] = set()
    for raw in args:
        name = raw.decode("utf-8", "replace").lower()
        if name in ("all", "everything"):
            chosen |= ALL_SECTIONS
        elif name == "default":
            chosen |= DEFAULT_SECTIONS
        else:
            chosen.add(_ALIASES.get(name, name))
    return chosen


def build_info(server: Server, args: list[bytes]) -> str:
    """The INFO reply text for the requested sections: sections separated by a blank line, CRLF endings."""
    chosen = select_sections(args)
    parts: list[str] = []
    for name, builder in SECTIONS.items():
        if name in chosen:
            parts.append("\r\n".join(builder(server)) + "\r\n")
    return "\r\n".join(parts)


def info_fields(server: Server, section: str) -> dict[str, str]:
    """One section's fields as a dict (for other modules: ROLE, MEMORY STATS, tests)."""
    fields: dict[str, str] = {}
    for line in SECTIONS[section](server)[1:]:
        key, _, value = line.partition(":")
        fields[key] = value
    return fields
