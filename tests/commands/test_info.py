"""INFO: section selection, the reply layout, and the values behind each section's fields."""
from __future__ import annotations

import os
import re
from collections.abc import Iterator

import pytest
import redis
from helpers.procs import ServerProcess, start_server
from helpers.rawclient import RawClient
from helpers.wait import wait_until

DEFAULT = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Errorstats",
           "Cluster", "Keyspace"]
ALL = ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Commandstats",
       "Errorstats", "Latencystats", "Cluster", "Keyspace"]


@pytest.fixture(scope="module")
def private() -> Iterator[ServerProcess]:
    """A server for tests that reset statistics (CONFIG RESETSTAT is server-wide)."""
    sp = start_server("pyredcache")
    yield sp
    sp.cleanup()


@pytest.fixture
def p(private: ServerProcess) -> Iterator[redis.Redis]:
    client = redis.Redis(port=private.port, socket_timeout=10)
    client.flushall()
    client.config_resetstat()
    yield client
    client.close()


def info_text(raw: RawClient, *sections: str) -> str:
    reply = raw.command("INFO", *sections)
    assert reply.startswith(b"$"), reply
    header, _, body = reply.partition(b"\r\n")
    assert len(body) == int(header[1:]) + 2
    return body[:-2].decode()


def headers(text: str) -> list[str]:
    return [line[2:] for line in text.split("\r\n") if line.startswith("# ")]


def fields(text: str) -> dict[str, str]:
    out = {}
    for line in text.split("\r\n"):
        if line and not line.startswith("#"):
            key, _, value = line.partition(":")
            out[key] = value
    return out


# ---------------------------------------------------------------------------------------------- sections


def test_info_default_sections(raw: RawClient) -> None:
    assert headers(info_text(raw)) == DEFAULT
    assert headers(info_text(raw, "default")) == DEFAULT


@pytest.mark.parametrize("arg", ["all", "ALL", "everything", "Everything"])
def test_info_all_and_everything(raw: RawClient, arg: str) -> None:
    assert headers(info_text(raw, arg)) == ALL


def test_info_several_sections_come_out_in_redis_order(raw: RawClient) -> None:
    assert headers(info_text(raw, "keyspace", "CPU", "server")) == ["Server", "CPU", "Keyspace"]
    assert headers(info_text(raw, "commandstats", "default")) == ALL[:8] + ["Commandstats"] + ALL[9:10] + ALL[11:]
    assert headers(info_text(raw, "keyspace", "keyspace")) == ["Keyspace"]
    assert headers(info_text(raw, "all", "keyspace")) == ALL


@pytest.mark.parametrize("section", ["server", "clients", "memory", "persistence", "stats", "replication", "cpu",
                                     "modules", "commandstats", "errorstats", "latencystats", "cluster",
                                     "keyspace"])
def test_info_each_section_alone(raw: RawClient, section: str) -> None:
    name = {"cpu": "CPU"}.get(section, section.capitalize())
    assert headers(info_text(raw, section.upper())) == [name]


def test_info_module_list_is_the_modules_section(raw: RawClient) -> None:
    assert raw.command("INFO", "module_list") == b"$11\r\n# Modules\r\n\r\n"


@pytest.mark.parametrize("args", [("foo",), ("",), ("foo", "bar")])
def test_info_unknown_section_is_empty(raw: RawClient, args: tuple[str, ...]) -> None:
    assert raw.command("INFO", *args) == b"$0\r\n\r\n"


def test_info_layout_crlf_and_blank_line_between_sections(raw: RawClient) -> None:
    reply = raw.command("INFO", "cluster", "modules")
    assert reply == b"$43\r\n# Modules\r\n\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n"
    text = info_text(raw)
    assert "\n" not in text.replace("\r\n", "")
    assert text.endswith("\r\n") and not text.endswith("\r\n\r\n")
    assert "\r\n\r\n# Clients\r\n" in text


def test_info_resp3_is_a_verbatim_string(raw: RawClient) -> None:
    raw.command("HELLO", "3")
    reply = raw.command("INFO", "cluster")
    assert reply == b"=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n"


# ---------------------------------------------------------------------------------------------- server


def test_info_server_fields(pyredcache_proc: ServerProcess, raw: RawClient) -> None:
    f = fields(info_text(raw, "server"))
    assert f["redis_version"] == "7.0.15"
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", f["pyredcache_version"])
    assert f["redis_mode"] == "standalone"
    assert f["arch_bits"] == "64"
    assert int(f["process_id"]) == pyredcache_proc.pid
    assert re.fullmatch(r"[0-9a-f]{40}", f["run_id"])
    assert int(f["tcp_port"]) == pyredcache_proc.port
    assert f["hz"] == f["configured_hz"] == "10"
    assert abs(int(f["server_time_usec"]) / 1e6 - __import__("time").time()) < 5
    assert int(f["uptime_in_days"]) == int(f["uptime_in_seconds"]) // 86400
    assert int(f["lru_clock"]) < 1 << 24
    assert os.path.isabs(f["executable"])
    assert f["config_file"] == ""
    assert list(f)[:3] == ["redis_version", "redis_git_sha1", "redis_git_dirty"]


def test_info_server_run_id_is_stable(raw: RawClient) -> None:
    assert fields(info_text(raw, "server"))["run_id"] == fields(info_text(raw, "server"))["run_id"]


def test_info_server_uptime_grows(raw: RawClient) -> None:
    start = int(fields(info_text(raw, "server"))["server_time_usec"])
    wait_until(lambda: int(fields(info_text(raw, "server"))["server_time_usec"]) > start, timeout=5,
               message="server time to move")


# ---------------------------------------------------------------------------------------------- clients


def test_info_clients_connected_and_maxclients(port: int, raw: RawClient) -> None:
    before = int(fields(info_text(raw, "clients"))["connected_clients"])
    extra = [RawClient(port) for _ in range(3)]
    for c in extra:
        assert c.command("PING") == b"+PONG\r\n"
    f = fields(info_text(raw, "clients"))
    assert int(f["connected_clients"]) == before + 3
    assert f["maxclients"] == "10000"
    assert f["blocked_clients"] == "0"
    for c in extra:
        c.close()
    wait_until(lambda: int(fields(info_text(raw, "clients"))["connected_clients"]) == before, timeout=5,
               message="clients to disconnect")


# ---------------------------------------------------------------------------------------------- memory


def test_info_memory_fields(raw: RawClient) -> None:
    f = fields(info_text(raw, "memory"))
    used = int(f["used_memory"])
    assert used > 0 and int(f["used_memory_rss"]) > 0
    assert int(f["used_memory_peak"]) >= used
    assert int(f["used_memory_startup"]) <= used
    assert re.fullmatch(r"\d+(\.\d\d[KMGTP])?B?", f["used_memory_human"])
    assert f["maxmemory"] == "0" and f["maxmemory_human"] == "0B"
    assert f["maxmemory_policy"] == "noeviction"
    assert re.fullmatch(r"\d+\.\d\d%", f["used_memory_peak_perc"])
    assert int(f["total_system_memory"]) > 0


def test_info_memory_human_units(private: ServerProcess, p: redis.Redis) -> None:
    p.config_set("maxmemory", "1536")
    try:
        assert p.info("memory")["maxmemory_human"] == "1.50K"
        p.config_set("maxmemory", str(3 * 1024 * 1024 * 1024))
        assert p.info("memory")["maxmemory_human"] == "3.00G"
        p.config_set("maxmemory", "1023")
        assert p.info("memory")["maxmemory_human"] == "1023B"
    finally:
        p.config_set("maxmemory", "0")


# ---------------------------------------------------------------------------------------------- persistence


def test_info_persistence_counts_changes(r: redis.Redis) -> None:
    before = r.info("persistence")
    assert before["loading"] == 0 and before["rdb_bgsave_in_progress"] == 0
    assert before["rdb_last_bgsave_status"] == "ok" and before["aof_enabled"] == 0
    r.set("a", 1)
    r.set("b", 2)
    r.get("a")
    assert r.info("persistence")["rdb_changes_since_last_save"] == before["rdb_changes_since_last_save"] + 2


# ---------------------------------------------------------------------------------------------- stats


def test_info_stats_commands_and_connections(private: ServerProcess, p: redis.Redis) -> None:
    s = p.info("stats")
    # CONFIG RESETSTAT itself is counted after it ran; this INFO only after it replied
    assert s["total_commands_processed"] == 1
    c = RawClient(private.port)
    c.command("PING")
    c.command("PING")
    s = p.info("stats")
    assert s["total_commands_processed"] == 4
    assert s["total_connections_received"] == 1
    assert s["total_net_input_bytes"] > 0 and s["total_net_output_bytes"] > 0
    c.close()


def test_info_stats_keyspace_hits_and_misses(private: ServerProcess, p: redis.Redis) -> None:
    p.set("a", 1)
    p.get("a")
    p.get("a")
    p.get("nokey")
    s = p.info("stats")
    assert s["keyspace_hits"] == 2 and s["keyspace_misses"] == 1


def test_info_stats_error_replies(private: ServerProcess, p: redis.Redis) -> None:
    c = RawClient(private.port)
    c.command("GET")
    c.command("NOSUCHCOMMAND")
    c.command("SET", "k", "v")
    c.command("INCR", "k")
    c.close()
    assert p.info("stats")["total_error_replies"] == 3


def test_info_stats_expired_keys(private: ServerProcess, p: redis.Redis) -> None:
    p.set("k", 1, px=1)
    wait_until(lambda: p.info("stats")["expired_keys"] == 1, timeout=10, message="the key to expire")


def test_info_stats_instantaneous_ops(private: ServerProcess, p: redis.Redis) -> None:
    def busy() -> bool:
        for _ in range(50):
            p.ping()
        return bool(p.info("stats")["instantaneous_ops_per_sec"] > 0)

    wait_until(busy, timeout=10, message="instantaneous_ops_per_sec to rise")


# ---------------------------------------------------------------------------------------------- replication, cpu


def test_info_replication_as_a_lone_master(raw: RawClient) -> None:
    f = fields(info_text(raw, "replication"))
    assert f["role"] == "master" and f["connected_slaves"] == "0"
    assert f["master_failover_state"] == "no-failover"
    assert re.fullmatch(r"[0-9a-f]{40}", f["master_replid"])
    assert f["master_replid2"] == "0" * 40
    assert f["master_repl_offset"] == "0" and f["second_repl_offset"] == "-1"
    assert f["repl_backlog_size"] == "1048576"


def test_info_cpu_times_format(raw: RawClient) -> None:
    f = fields(info_text(raw, "cpu"))
    assert list(f) == ["used_cpu_sys", "used_cpu_user", "used_cpu_sys_children", "used_cpu_user_children",
                       "used_cpu_sys_main_thread", "used_cpu_user_main_thread"]
    for value in f.values():
        assert re.fullmatch(r"\d+\.\d{6}", value)
    assert float(f["used_cpu_user"]) > 0


# ---------------------------------------------------------------------------------------------- commandstats


def test_info_commandstats_counts_calls_failures_and_rejections(private: ServerProcess, p: redis.Redis) -> None:
    c = RawClient(private.port)
    c.command("SET", "k", "v")
    c.command("GET", "k")
    c.command("GET", "k")
    c.command("GET")                       # rejected: arity
    c.command("INCR", "k")                 # failed: not an integer
    c.command("CONFIG", "GET", "port")
    c.command("CONFIG")                    # rejected on the container
    c.close()
    text = info_text(RawClient(private.port), "commandstats")
    stats = {k: v for k, v in fields(text).items()}
    assert re.fullmatch(r"calls=2,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=1,failed_calls=0",
                        stats["cmdstat_get"])
    assert re.fullmatch(r"calls=1,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=1",
                        stats["cmdstat_incr"])
    assert stats["cmdstat_config|get"].startswith("calls=1,")
    assert stats["cmdstat_config"] == "calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0"
    assert "cmdstat_del" not in stats


def test_info_errorstats_by_error_code(private: ServerProcess, p: redis.Redis) -> None:
    c = RawClient(private.port)
    c.command("GET")
    c.command("GET")
    c.command("SET", "k", "v")
    c.command("INCR", "k")
    assert c.command("HELLO", "4").startswith(b"-NOPROTO ")
    c.close()
    text = info_text(RawClient(private.port), "errorstats")
    # Redis keeps the codes in a rax: byte order
    assert text.split("\r\n")[1:] == ["errorstat_ERR:count=3", "errorstat_NOPROTO:count=1", ""]


def test_info_latencystats_section_header(raw: RawClient) -> None:
    assert info_text(raw, "latencystats").startswith("# Latencystats\r\n")


# ---------------------------------------------------------------------------------------------- cluster, keyspace


def test_info_cluster_disabled(raw: RawClient) -> None:
    assert info_text(raw, "cluster") == "# Cluster\r\ncluster_enabled:0\r\n"


def test_info_keyspace_lines(port: int, r: redis.Redis) -> None:
    assert r.info("keyspace") == {}
    r.set("a", 1)
    r.set("b", 2, ex=1000)
    other = redis.Redis(port=port, db=3)
    other.set("c", 1)
    raw = RawClient(port)
    text = info_text(raw, "keyspace")
    lines = text.split("\r\n")
    assert lines[0] == "# Keyspace"
    assert re.fullmatch(r"db0:keys=2,expires=1,avg_ttl=\d+", lines[1])
    assert lines[2] == "db3:keys=1,expires=0,avg_ttl=0"
    assert lines[3:] == [""]
    other.close()
    raw.close()


def test_info_does_not_count_keyspace_hits(private: ServerProcess, p: redis.Redis) -> None:
    p.info("keyspace")
    assert p.info("stats")["keyspace_hits"] == 0
