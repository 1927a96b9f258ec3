"""SAVE / BGSAVE / LASTSAVE, save points, SHUTDOWN saving, DEBUG RELOAD, MISCONF, start-up loading.

Replies are compared with a real redis-server 7.0.15 wherever both can be put in the same state; the
fork/reap/rename machinery is checked on private pyredcache processes (files stay in their temp dirs).
"""
from __future__ import annotations

import os
import shutil
import signal
import time
from typing import Any

import pytest
from helpers.oracle import Oracle
from helpers.procs import ServerProcess
from helpers.rawclient import RawClient
from helpers.wait import wait_until

MISCONF = (b"-MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. "
           b"Commands that may modify the data set are disabled, because this instance is configured to report "
           b"errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the "
           b"Redis logs for details about the RDB error.\r\n")


def info_field(client: RawClient, name: str) -> str:
    raw = client.command("INFO", "persistence" if name.startswith(("rdb_", "loading")) else "stats")
    for line in raw.decode().split("\r\n"):
        if line.startswith(name + ":"):
            return line.split(":", 1)[1]
    raise AssertionError(f"{name} not in INFO")


def wait_bgsave_done(client: RawClient, timeout: float = 20.0) -> None:
    wait_until(lambda: info_field(client, "rdb_bgsave_in_progress") == "0", timeout=timeout,
               message="the BGSAVE child to finish")


def dump_path(sp: ServerProcess) -> str:
    return os.path.join(sp.workdir, "dump.rdb")


def log_text(sp: ServerProcess) -> str:
    with open(sp.logfile, errors="replace") as fh:
        return fh.read()


def wait_exit(sp: ServerProcess, timeout: float = 15.0) -> int:
    wait_until(lambda: sp.proc.poll() is not None, timeout=timeout, message=f"{sp.kind} to exit")
    return int(sp.proc.returncode)


def populate(client: RawClient, n: int) -> None:
    assert client.command("DEBUG", "POPULATE", n) == b"+OK\r\n"


# ---------------------------------------------------------------------------------------------- replies


def test_save_lastsave_replies_match_redis(oracle: Oracle) -> None:
    oracle.do("SET", "k", "v")
    oracle.do("SAVE")
    oracle.approx("LASTSAVE", delta=2)
    assert abs(int(oracle.ours.command("LASTSAVE")[1:-2]) - time.time()) < 3
    for args in (("SAVE", "x"), ("LASTSAVE", "x"), ("BGSAVE", "x"), ("BGSAVE", "SCHEDULE", "x"),
                 ("BGSAVE", "now")):
        oracle.error(*args)


def test_save_resets_changes_and_counts(oracle: Oracle) -> None:
    oracle.do("SET", "a", "1")
    oracle.do("SAVE")
    assert info_field(oracle.ours, "rdb_changes_since_last_save") == "0"
    before = int(info_field(oracle.ours, "rdb_saves"))
    oracle.do("INCR", "n")
    assert info_field(oracle.ours, "rdb_changes_since_last_save") == "1"
    oracle.do("SAVE")
    assert int(info_field(oracle.ours, "rdb_saves")) == before + 1
    assert info_field(oracle.ours, "rdb_last_bgsave_status") == "ok"


def test_bgsave_reply_and_completion_match_redis(oracle: Oracle) -> None:
    oracle.do("SET", "a", "1")
    oracle.do("BGSAVE")
    wait_bgsave_done(oracle.ours)
    wait_bgsave_done(oracle.redis)
    for client in (oracle.ours, oracle.redis):
        assert info_field(client, "rdb_last_bgsave_status") == "ok"
        assert info_field(client, "rdb_changes_since_last_save") == "0"
        assert int(info_field(client, "rdb_last_bgsave_time_sec")) >= 0
        assert int(info_field(client, "total_forks")) >= 1
    oracle.do("BGSAVE", "SCHEDULE")
    wait_bgsave_done(oracle.ours)
    wait_bgsave_done(oracle.redis)


def test_bgsave_inside_multi_is_scheduled(oracle: Oracle) -> None:
    oracle.do("MULTI")
    oracle.do("BGSAVE")
    oracle.do("EXEC")
    for client in (oracle.ours, oracle.redis):
        wait_until(lambda c=client: info_field(c, "rdb_bgsave_in_progress") == "0"
                   and info_field(c, "rdb_changes_since_last_save") == "0", timeout=10,
                   message="the scheduled BGSAVE")


def test_info_persistence_has_redis_fields(oracle: Oracle) -> None:
    def names(raw: bytes) -> list[str]:
        return [line.split(":")[0] for line in raw.decode().split("\r\n") if ":" in line]

    assert names(oracle.ours.command("INFO", "persistence")) == names(oracle.redis.command("INFO", "persistence"))


# ---------------------------------------------------------------------------------------------- BGSAVE on a busy server


def test_bgsave_keeps_serving_and_snapshots_fork_time(server_factory: Any) -> None:
    sp = server_factory(enable_debug_command="yes")
    c = RawClient(sp.port)
    populate(c, 150_000)                       # DEBUG POPULATE does not count as changes (as in Redis)
    assert c.command("SET", "before-fork", "1") == b"+OK\r\n"
    assert c.command("BGSAVE") == b"+Background saving started\r\n"
    # The parent answers while the child writes; writes made now are not in the snapshot.
    assert c.command("SET", "after-fork", "1") == b"+OK\r\n"
    assert c.command("SAVE") == b"-ERR Background save already in progress\r\n"
    assert c.command("BGSAVE") == b"-ERR Background save already in progress\r\n"
    assert info_field(c, "rdb_bgsave_in_progress") == "1"
    assert info_field(c, "rdb_changes_since_last_save") == "2"
    wait_bgsave_done(c, timeout=40)
    # dirty -= dirty at fork: the SET after the fork still counts.
    assert info_field(c, "rdb_changes_since_last_save") == "1"
    assert "Background saving terminated with success" in log_text(sp)
    assert int(info_field(c, "rdb_last_cow_size")) > 0
    assert not [f for f in os.listdir(sp.workdir) if f.startswith("temp-")]
    c.close()
    # Restart on the dump: the fork-time dataset, without the later key.
    assert sp.stop() == 0
    sp2 = server_factory(dir=sp.workdir, logfile=os.path.join(sp.workdir, "second.log"))
    c2 = RawClient(sp2.port)
    assert c2.command("DBSIZE") == b":150001\r\n"
    assert c2.command("EXISTS", "after-fork") == b":0\r\n"
    assert info_field(c2, "rdb_last_load_keys_loaded") == "150001"
    c2.close()


def test_bgsave_child_killed_keeps_previous_dump(server_factory: Any) -> None:
    sp = server_factory(enable_debug_command="yes")
    c = RawClient(sp.port)
    c.command("SET", "good", "1")
    assert c.command("SAVE") == b"+OK\r\n"
    with open(dump_path(sp), "rb") as fh:
        good = fh.read()
    populate(c, 200_000)
    assert c.command("BGSAVE") == b"+Background saving started\r\n"
    pid = int(log_text(sp).split("Background saving started by pid ")[1].split()[0])
    os.kill(pid, signal.SIGKILL)
    wait_bgsave_done(c)
    assert info_field(c, "rdb_last_bgsave_status") == "err"
    assert "Background saving terminated by signal 9" in log_text(sp)
    with open(dump_path(sp), "rb") as fh:
        assert fh.read() == good
    assert not os.path.exists(os.path.join(sp.workdir, f"temp-{pid}.rdb"))
    # No save points here ("save ''"), so no MISCONF.
    assert c.command("SET", "x", "1") == b"+OK\r\n"
    c.close()


# ---------------------------------------------------------------------------------------------- errors vs redis


@pytest.fixture
def pair(server_factory: Any) -> Any:
    """pyredcache and redis-server with save points and DEBUG enabled, each in its own dir."""
    opts = {"save": "3600 1", "enable_debug_command": "yes", "enable_protected_configs": "yes"}
    ours = server_factory(**opts)
    theirs = server_factory("redis", **opts)
    o = Oracle(ours.port, theirs.port)
    yield o, ours, theirs
    o.close()


def _break_dir(o: Oracle, ours: ServerProcess, theirs: ServerProcess) -> None:
    """Point dir at a directory that then disappears: every save fails to open its temp file."""
    for sp, client in ((ours, o.ours), (theirs, o.redis)):
        gone = os.path.join(sp.workdir, "gone")
        os.mkdir(gone)
        assert client.command("CONFIG", "SET", "dir", gone) == b"+OK\r\n"
        os.rmdir(gone)


def test_failed_saves_misconf_and_shutdown_errors_match_redis(pair: Any) -> None:
    o, ours, theirs = pair
    o.do("SET", "k", "v")
    _break_dir(o, ours, theirs)
    o.do("SAVE")                      # -ERR (the reason is in the log)
    assert "Failed opening the temp RDB file" in log_text(ours)
    o.do("BGSAVE")
    for client in (o.ours, o.redis):
        wait_until(lambda c=client: info_field(c, "rdb_last_bgsave_status") == "err", timeout=10,
                   message="the failed BGSAVE")
    assert o.do("SET", "k", "v2") == MISCONF
    o.do("GET", "k")
    o.do("PING")
    o.do("DEL", "k")
    o.do("MULTI")
    o.do("INCR", "n")
    o.do("EXEC")
    o.do("SHUTDOWN")                  # save fails: the shutdown is refused
    assert "Error trying to save the DB, can't exit." in log_text(ours)
    os.kill(ours.pid, signal.SIGTERM)  # so is a SIGTERM's
    wait_until(lambda: "SIGTERM received but errors trying to shut down the server" in log_text(ours),
               timeout=10, message="the refused SIGTERM shutdown")
    o.do("PING")
    assert o.ours.command("SET", "k", "x") == MISCONF
    o.do("CONFIG", "SET", "stop-writes-on-bgsave-error", "no")
    o.do("SET", "k", "v3")
    o.do("CONFIG", "SET", "stop-writes-on-bgsave-error", "yes")
    assert o.do("SET", "k", "v4") == MISCONF
    o.do("CONFIG", "SET", "save", "")
    o.do("SET", "k", "v5")
    assert ours.alive()
    o.ours.send(b"SHUTDOWN FORCE\r\n")
    assert wait_exit(ours) == 0


def test_debug_reload_errors_match_redis(pair: Any) -> None:
    o, ours, theirs = pair
    o.error("DEBUG", "RELOAD", "BOGUS")
    o.do("SET", "k", "v")
    o.do("DEBUG", "RELOAD")
    o.do("GET", "k")
    _break_dir(o, ours, theirs)
    o.do("DEBUG", "RELOAD")
    o.do("CONFIG", "SET", "save", "")      # or SIGTERM at teardown could not save either


def test_debug_reload_touches_watched_keys_but_fires_no_events(pair: Any) -> None:
    o, ours, theirs = pair
    o.do("SET", "k", "v")
    o.do("CONFIG", "SET", "notify-keyspace-events", "KEA")
    watcher = Oracle(ours.port, theirs.port)
    subscriber = Oracle(ours.port, theirs.port)
    subscriber.do("PSUBSCRIBE", "*")
    watcher.do("WATCH", "k")
    o.do("DEBUG", "RELOAD")
    watcher.do("MULTI")
    watcher.do("GET", "k")
    watcher.do("EXEC")                 # emptyData touched the watched key: the transaction fails
    subscriber.do("PING")              # no keyspace event was published by the load
    o.do("SET", "k2", "v")
    subscriber.do("PING")
    watcher.close()
    subscriber.close()


def test_flushall_with_save_points_saves(pair: Any) -> None:
    o, ours, theirs = pair
    o.do("SET", "a", "1")
    o.do("SET", "b", "2")
    o.do("FLUSHALL")
    assert info_field(o.ours, "rdb_changes_since_last_save") == info_field(o.redis, "rdb_changes_since_last_save")
    assert os.path.exists(dump_path(ours))
    o.do("SET", "c", "3")
    assert info_field(o.ours, "rdb_changes_since_last_save") == info_field(o.redis, "rdb_changes_since_last_save")


# ---------------------------------------------------------------------------------------------- save points, shutdown


def test_save_point_triggers_bgsave(server_factory: Any) -> None:
    sp = server_factory(save="1 1")
    c = RawClient(sp.port)
    c.command("SET", "k", "v")
    wait_until(lambda: "1 changes in 1 seconds. Saving..." in log_text(sp), timeout=10,
               message="the save point to fire")
    wait_until(lambda: info_field(c, "rdb_changes_since_last_save") == "0", timeout=10, message="the BGSAVE")
    assert os.path.exists(dump_path(sp))
    c.close()


def test_shutdown_saves_with_save_points_and_restart_loads(server_factory: Any) -> None:
    sp = server_factory(save="3600 1")
    c = RawClient(sp.port)
    c.command("SET", "k", "v")
    c.command("PEXPIRE", "k", 100_000)
    c.command("SELECT", 5)
    c.command("RPUSH", "l", "a", "b")
    c.send(b"SHUTDOWN\r\n")
    assert c.is_closed()
    assert wait_exit(sp) == 0
    log = log_text(sp)
    assert "Saving the final RDB snapshot before exiting." in log and "DB saved on disk" in log
    sp2 = server_factory(dir=sp.workdir, logfile=os.path.join(sp.workdir, "second.log"))
    c2 = RawClient(sp2.port)
    assert c2.command("GET", "k") == b"$1\r\nv\r\n"
    assert 0 < int(c2.command("PTTL", "k")[1:-2]) <= 100_000
    c2.command("SELECT", 5)
    assert c2.command("LRANGE", "l", 0, -1) == b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"
    with open(os.path.join(sp.workdir, "second.log")) as fh:
        second = fh.read()
    assert "Done loading RDB, keys loaded: 2, keys expired: 0." in second
    assert "DB loaded from disk:" in second
    c2.close()


def test_shutdown_nosave_and_sigterm(server_factory: Any) -> None:
    sp = server_factory(save="3600 1")
    c = RawClient(sp.port)
    c.command("SET", "k", "v")
    c.send(b"SHUTDOWN NOSAVE\r\n")
    assert wait_exit(sp) == 0
    assert not os.path.exists(dump_path(sp))
    sp2 = server_factory(save="3600 1")
    c2 = RawClient(sp2.port)
    c2.command("SET", "k", "v")
    os.kill(sp2.pid, signal.SIGTERM)
    assert wait_exit(sp2) == 0
    assert os.path.exists(dump_path(sp2))


def test_shutdown_save_without_save_points(server_factory: Any) -> None:
    sp = server_factory()
    c = RawClient(sp.port)
    c.command("SET", "k", "v")
    c.send(b"SHUTDOWN SAVE\r\n")
    assert wait_exit(sp) == 0
    assert os.path.exists(dump_path(sp))


# ---------------------------------------------------------------------------------------------- DEBUG RELOAD


def test_debug_reload_keeps_types_encodings_ttls(pair: Any) -> None:
    o, ours, theirs = pair
    o.do("SET", "int", "12345")
    o.do("SET", "str", "x" * 100)
    o.do("RPUSH", "list", *[str(i) for i in range(200)])
    o.do("HSET", "hsmall", "f", "v")
    o.do("HSET", "hbig", *[x for i in range(200) for x in (f"f{i}", "v")])
    o.do("SADD", "sint", 1, 2, 3)
    o.do("SADD", "sbig", *[f"m{i}" for i in range(600)])
    o.do("ZADD", "zsmall", 1, "a", "2.5", "b")
    o.do("ZADD", "zbig", *[x for i in range(200) for x in (i, f"m{i}")])
    o.do("PFADD", "hll", "a", "b", "c")
    o.do("PEXPIRE", "list", 500_000)
    o.do("SELECT", 2)
    o.do("SET", "other", "db2")
    o.do("SELECT", 0)
    keys = ["int", "str", "list", "hsmall", "hbig", "sint", "sbig", "zsmall", "zbig", "hll"]
    digest = o.ours.command("DEBUG", "DIGEST")
    o.do("DEBUG", "RELOAD")
    for k in keys:
        o.do("OBJECT", "ENCODING", k)       # a small HLL comes back embstr, as in Redis
        o.do("TYPE", k)
    assert o.ours.command("DEBUG", "DIGEST") == digest
    assert 400_000 < int(o.ours.command("PTTL", "list")[1:-2]) <= 500_000
    o.do("SET", "extra", "1")
    o.do("DEBUG", "RELOAD", "NOSAVE")        # back to the saved file
    o.do("EXISTS", "extra")
    o.do("SET", "extra", "1")
    o.do("SET", "int", "changed")
    o.do("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE")
    o.do("EXISTS", "extra")
    o.do("GET", "int")
    o.do("DBSIZE")


# ---------------------------------------------------------------------------------------------- start-up loading


def test_expired_keys_are_skipped_at_load(server_factory: Any) -> None:
    sp = server_factory(enable_debug_command="yes")
    c = RawClient(sp.port)
    c.command("DEBUG", "SET-ACTIVE-EXPIRE", 0)
    c.command("SET", "gone", "1", "PX", 50)
    deadline = time.time() + 0.06
    c.command("SET", "kept", "1")
    assert c.command("SAVE") == b"+OK\r\n"
    wait_until(lambda: time.time() > deadline, timeout=2, message="the 50 ms TTL to pass")
    assert c.command("DEBUG", "RELOAD", "NOSAVE") == b"+OK\r\n"
    assert info_field(c, "rdb_last_load_keys_loaded") == "1"
    assert info_field(c, "rdb_last_load_keys_expired") == "1"
    c.close()


@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "empty"])
def test_corrupt_dump_refuses_to_start(server_factory: Any, tmp_path: Any, damage: str) -> None:
    sp = server_factory(enable_debug_command="yes")
    c = RawClient(sp.port)
    c.command("DEBUG", "POPULATE", 100)
    assert c.command("SAVE") == b"+OK\r\n"
    c.close()
    sp.stop()
    with open(dump_path(sp), "rb") as fh:
        data = bytearray(fh.read())
    if damage == "truncate":
        data = data[: len(data) // 2]
    elif damage == "flip":
        data[data.index(b"value:50") + 2] ^= 0x01     # a value byte: only the CRC64 notices
    elif damage == "garbage":
        data = bytearray(b"NOTREDIS" * 10)
    else:
        data = bytearray()
    bad_dir = tmp_path / "bad"
    bad_dir.mkdir()
    (bad_dir / "dump.rdb").write_bytes(bytes(data))
    bad = server_factory(dir=str(bad_dir), logfile=str(bad_dir / "log"), wait=False)
    assert wait_exit(bad) == 1
    log = (bad_dir / "log").read_text()
    assert "Ready to accept connections" not in log
    expected = {"truncate": "Short read or OOM loading DB. Unrecoverable error, aborting now.",
                "flip": "Wrong RDB checksum", "garbage": "Wrong signature trying to load DB from file",
                "empty": "Short read or OOM loading DB."}[damage]
    assert expected in log, log
    shutil.rmtree(bad_dir, ignore_errors=True)
