"""Start-up and shutdown of `python -m pyredcache`: config files, fatal config errors, the log, signals.

These tests start their own processes (a config file must be the first argument), on ports chosen at
runtime, and compare with Debian's redis-server where it is installed.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from helpers.procs import REDIS_SERVER, ServerProcess, free_port, ping
from helpers.rawclient import RawClient
from helpers.wait import wait_until

DEBIAN_CONF = Path("/etc/redis/redis.conf")
needs_redis = pytest.mark.skipif(REDIS_SERVER is None, reason="Debian's redis-server is not installed")


def command_for(kind: str, args: list[str]) -> list[str]:
    if kind == "pyredcache":
        return [sys.executable, "-m", "pyredcache", *args]
    assert REDIS_SERVER is not None
    return [REDIS_SERVER, *args]


def run_to_exit(kind: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    """Run a server that is expected to refuse to start; bounded by a timeout."""
    return subprocess.run(command_for(kind, args), cwd=cwd, capture_output=True, timeout=30)


class Launched:
    """Processes started by a test, stopped by PID at the end."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.procs: list[ServerProcess] = []

    def start(self, args: list[str], port: int, kind: str = "pyredcache", logfile: str | None = None,
              wait: bool = True) -> ServerProcess:
        workdir = self.tmp_path / f"{kind}-{port}"
        workdir.mkdir(exist_ok=True)
        stderr = open(workdir / "stderr", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(command_for(kind, args), cwd=workdir, stdout=subprocess.DEVNULL, stderr=stderr)
        stderr.close()
        sp = ServerProcess(kind, port, proc, str(workdir), logfile or str(workdir / "server.log"), args)
        self.procs.append(sp)
        if wait:
            wait_until(lambda: ping(port) or proc.poll() is not None, timeout=20, message=f"{kind} to start")
            assert proc.poll() is None, (workdir / "stderr").read_text() + sp.log_tail()
        return sp

    def cleanup(self) -> None:
        for sp in self.procs:
            sp.stop()


@pytest.fixture
def launched(tmp_path: Path) -> Iterator[Launched]:
    procs = Launched(tmp_path)
    yield procs
    procs.cleanup()


def write_conf(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def debian_conf(tmp_path: Path, port: int, name: str) -> Path:
    """Debian's full redis.conf with its process-specific lines pointed at a private directory."""
    workdir = tmp_path / name
    workdir.mkdir()
    replacements = {
        "port": f"port {port}",
        "daemonize": "daemonize no",
        "supervised": "supervised no",
        "pidfile": f"pidfile {workdir / 'redis.pid'}",
        "logfile": f"logfile {workdir / 'server.log'}",
        "dir": f"dir {workdir}",
        "unixsocket": f"unixsocket {workdir / 'redis.sock'}",
    }
    out = []
    for line in DEBIAN_CONF.read_text().splitlines():
        word = line.split(" ", 1)[0]
        out.append(replacements.get(word, line))
    return write_conf(workdir / "redis.conf", "\n".join(out) + "\n")


# ---------------------------------------------------------------------------------------------- fatal errors

BAD_CONFIGS = {
    "unknown directive": "foo bar\n",
    "bad integer": "hz abc\n",
    "bad enum": "loglevel loud\n",
    "bad bool": "appendonly maybe\n",
    "wrong argument count": "maxmemory\n",
    "unbalanced quotes": 'requirepass "abc\n',
}


@pytest.mark.parametrize("name", sorted(BAD_CONFIGS))
def test_startup_bad_config_file_exits_with_fatal_block(tmp_path: Path, name: str) -> None:
    conf = write_conf(tmp_path / "bad.conf", f"port {free_port()}\n{BAD_CONFIGS[name]}")
    ours = run_to_exit("pyredcache", [str(conf)], tmp_path)
    assert ours.returncode == 1
    err = ours.stderr.decode()
    assert err.startswith("\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, "
                          "at line 2\n>>> '"), err
    if REDIS_SERVER is not None:
        theirs = run_to_exit("redis", [str(conf)], tmp_path)
        assert theirs.returncode == 1
        assert ours.stderr == theirs.stderr


def test_startup_bad_command_line_option(tmp_path: Path) -> None:
    args = ["--port", str(free_port()), "--nonexistent", "1"]
    ours = run_to_exit("pyredcache", args, tmp_path)
    assert ours.returncode == 1
    assert b">>> 'nonexistent \"1\"'\nBad directive or wrong number of arguments\n" in ours.stderr
    if REDIS_SERVER is not None:
        assert ours.stderr == run_to_exit("redis", args, tmp_path).stderr


def test_startup_missing_config_file(tmp_path: Path) -> None:
    path = str(tmp_path / "nope.conf")
    ours = run_to_exit("pyredcache", [path], tmp_path)
    assert ours.returncode == 1
    # Redis logs this one (to stdout, the default logfile) instead of printing the fatal block
    expected = f"# Fatal error, can't open config file '{path}': No such file or directory\n"
    assert ours.stdout.decode().endswith(expected)


def test_startup_version_flag(tmp_path: Path) -> None:
    out = subprocess.run(command_for("pyredcache", ["-v"]), capture_output=True, timeout=30)
    assert out.returncode == 0
    assert re.match(rb"Redis server v=7\.0\.15 sha=\S+ malloc=\S+ bits=64 build=\S+\n", out.stdout)


# ---------------------------------------------------------------------------------------------- log and signals


def test_startup_log_banner(launched: Launched, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    sp = launched.start(["--port", str(port), "--save", "", "--logfile", str(log)], port, logfile=str(log))
    # PING may be answered before the last listener is bound and the "Ready" line written
    wait_until(lambda: "Ready to accept connections" in log.read_text(), timeout=10, message="Ready line")
    text = log.read_text()
    assert re.search(r"^\d+:C .* # oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo$", text, re.M)
    assert re.search(rf"^{sp.pid}:C \d\d \w{{3}} \d{{4}} \d\d:\d\d:\d\d\.\d{{3}} # Redis version=7\.0\.15, bits=64, "
                     rf"commit=00000000, modified=0, pid={sp.pid}, just started$", text, re.M), text
    assert re.search(rf"^{sp.pid}:M .* # Server initialized$", text, re.M)
    assert re.search(rf"^{sp.pid}:M .* \* Ready to accept connections", text, re.M)
    order = [text.index(s) for s in ("Redis is starting", "Redis version=", "Server initialized",
                                     "Ready to accept connections")]
    assert order == sorted(order)


@pytest.mark.parametrize("sig,name", [(signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")])
def test_startup_signal_gives_a_clean_exit(launched: Launched, tmp_path: Path, sig: int, name: str) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    pidfile = tmp_path / "server.pid"
    sp = launched.start(["--port", str(port), "--save", "", "--logfile", str(log), "--pidfile", str(pidfile)],
                        port, logfile=str(log))
    wait_until(pidfile.exists, timeout=5, message="pidfile")
    client = RawClient(port)
    assert client.command("SET", "k", "v") == b"+OK\r\n"
    sp.proc.send_signal(sig)
    assert sp.proc.wait(15) == 0
    assert client.is_closed()
    text = log.read_text()
    assert re.search(rf"^{sp.pid}:signal-handler \(\d+\) Received {name} scheduling shutdown\.\.\.$", text, re.M)
    tail = text[text.index("scheduling shutdown"):]
    lines = [line.split(" ", 5)[-1] for line in tail.splitlines()[1:]]
    assert lines == ["# User requested shutdown...", "* Removing the pid file.",
                     "# Redis is now ready to exit, bye bye..."], tail
    assert not pidfile.exists()
    client.close()


# ---------------------------------------------------------------------------------------------- config files


@pytest.mark.skipif(not DEBIAN_CONF.exists(), reason="Debian's /etc/redis/redis.conf is not installed")
def test_startup_with_debian_full_config_file(launched: Launched, tmp_path: Path) -> None:
    port = free_port()
    conf = debian_conf(tmp_path, port, "ours")
    logfile = str(conf.parent / "server.log")
    sp = launched.start([str(conf)], port, logfile=logfile)
    r = redis.Redis(port=port, socket_timeout=10)
    assert r.ping() is True
    cfg = r.config_get("*")
    assert cfg["tcp-keepalive"] == "300"
    assert cfg["databases"] == "16"
    assert cfg["proc-title-template"] == "{title} {listen-addr} {server-mode}"
    assert cfg["client-output-buffer-limit"] == "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
    assert r.info("server")["config_file"] == str(conf)
    if REDIS_SERVER is not None:
        # the same file read by redis-server 7.0.15 gives the same values for every directive
        rport = free_port()
        rconf = debian_conf(tmp_path, rport, "redis")
        launched.start([str(rconf)], rport, kind="redis", logfile=str(rconf.parent / "server.log"))
        rr = redis.Redis(port=rport, socket_timeout=10)
        theirs = rr.config_get("*")
        differ = {"port", "pidfile", "logfile", "dir", "unixsocket"}
        mismatched = {k: (cfg.get(k), v) for k, v in theirs.items() if k not in differ and cfg.get(k) != v}
        assert mismatched == {}
        rr.close()
    r.close()
    assert sp.alive()


def test_startup_command_line_overrides_the_file(launched: Launched, tmp_path: Path) -> None:
    file_port = free_port()
    port = free_port()
    conf = write_conf(tmp_path / "redis.conf",
                      f"port {file_port}\nmaxmemory 1mb\nhz 20\nsave \"\"\nlogfile {tmp_path / 'server.log'}\n")
    launched.start([str(conf), "--port", str(port), "--maxmemory", "2mb"], port)
    r = redis.Redis(port=port, socket_timeout=10)
    assert r.config_get("maxmemory") == {"maxmemory": "2097152"}
    assert r.config_get("hz") == {"hz": "20"}
    assert r.config_get("port") == {"port": str(port)}
    assert not ping(file_port)
    r.close()


def test_startup_writes_the_pidfile_from_the_config_file(launched: Launched, tmp_path: Path) -> None:
    port = free_port()
    pidfile = tmp_path / "x.pid"
    conf = write_conf(tmp_path / "redis.conf",
                      f"port {port}\npidfile {pidfile}\nsave \"\"\nlogfile {tmp_path / 'server.log'}\n")
    sp = launched.start([str(conf)], port)
    wait_until(pidfile.exists, timeout=5, message="pidfile")
    assert int(pidfile.read_text()) == sp.pid


# ---------------------------------------------------------------------------------------------- CONFIG REWRITE


def test_config_rewrite_updates_the_file(launched: Launched, tmp_path: Path) -> None:
    port = free_port()
    conf = write_conf(tmp_path / "redis.conf",
                      f"# my comment\nport {port}\nhz 20\nsave \"\"\nlogfile {tmp_path / 'server.log'}\n")
    sp = launched.start([str(conf)], port, logfile=str(tmp_path / "server.log"))
    r = redis.Redis(port=port, socket_timeout=10)
    r.config_set("hz", "30")
    r.config_set("maxmemory", "5mb")
    assert r.config_rewrite() == b"OK"
    text = conf.read_text()
    assert "# my comment" in text
    assert "\nhz 30\n" in text and "\nhz 20\n" not in text
    assert "# Generated by CONFIG REWRITE" in text and "maxmemory 5mb" in text
    wait_until(lambda: "CONFIG REWRITE executed with success." in sp.log_tail(), timeout=5, message="log line")
    r.close()


def test_config_rewrite_failure_is_reported(launched: Launched, tmp_path: Path) -> None:
    port = free_port()
    confdir = tmp_path / "conf"
    confdir.mkdir()
    conf = write_conf(confdir / "redis.conf", f"port {port}\nsave \"\"\nlogfile {tmp_path / 'server.log'}\n")
    sp = launched.start([str(conf)], port, logfile=str(tmp_path / "server.log"))
    shutil.rmtree(confdir)
    c = RawClient(port)
    reply = c.command("CONFIG", "REWRITE")
    assert reply == b"-ERR Rewriting config file: No such file or directory\r\n"
    wait_until(lambda: "CONFIG REWRITE failed: No such file or directory" in sp.log_tail(), timeout=5,
               message="log line")
    c.close()


@needs_redis
def test_config_rewrite_matches_redis(launched: Launched, tmp_path: Path) -> None:
    texts = []
    for kind in ("pyredcache", "redis"):
        port = free_port()
        d = tmp_path / kind
        d.mkdir()
        conf = write_conf(d / "redis.conf", f"port {port}\nsave \"\"\nhz 20\nlogfile {d / 'server.log'}\n"
                                            f"dir {d}\n# a comment\nmaxmemory 1mb\nmaxmemory 2mb\n")
        launched.start([str(conf)], port, kind=kind)
        r = redis.Redis(port=port, socket_timeout=10)
        r.config_set("hz", "15")
        r.config_set("maxmemory-policy", "allkeys-lru")
        r.config_set("slowlog-max-len", "64")
        assert r.config_rewrite() == b"OK"
        r.close()
        text = conf.read_text().replace(str(port), "PORT").replace(str(d), "DIR")
        # Redis appends the generated lines in its config dict's (hash) order, and the ACL "user" lines come
        # from the ACL subsystem: compare the lines as a set, without the user lines.
        texts.append(sorted(line for line in text.splitlines() if not line.startswith("user ")))
    assert texts[0] == texts[1]


def test_startup_environment_is_untouched(tmp_path: Path) -> None:
    # nothing written outside the private directory by a refused start
    before = set(os.listdir(tmp_path))
    run_to_exit("pyredcache", ["--port", str(free_port()), "--hz", "x"], tmp_path)
    assert set(os.listdir(tmp_path)) == before
