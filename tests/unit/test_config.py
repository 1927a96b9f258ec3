"""Unit tests for pyredcache.config: directive table, redis.conf parsing, CONFIG GET/SET/REWRITE semantics.

Expected texts and values were taken from a real redis-server 7.0.15.
"""
from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest

from pyredcache.config import (
    DIRECTIVES,
    BufferLimit,
    Config,
    ConfigApplyError,
    ConfigFileError,
    ConfigRewriteError,
    ConfigSetError,
    KeyspaceEvents,
    Kind,
    args_to_config_text,
    cli_action,
    format_keyspace_events,
    lookup,
    memtoull,
    parse_keyspace_events,
    quote_repr,
    split_args,
    string2ll,
)

# `CONFIG GET *` of redis-server 7.0.15 started with only --port (port and dir left out), one "name=value" a line.
REDIS_7_0_15_DEFAULTS = """
acl-pubsub-default=resetchannels
aclfile=
acllog-max-len=128
active-defrag-cycle-max=25
active-defrag-cycle-min=1
active-defrag-ignore-bytes=104857600
active-defrag-max-scan-fields=1000
active-defrag-threshold-lower=10
active-defrag-threshold-upper=100
active-expire-effort=1
activedefrag=no
activerehashing=yes
always-show-logo=no
aof-disable-auto-gc=no
aof-load-truncated=yes
aof-rewrite-incremental-fsync=yes
aof-timestamp-enabled=no
aof-use-rdb-preamble=yes
aof_rewrite_cpulist=
appenddirname=appendonlydir
appendfilename=appendonly.aof
appendfsync=everysec
appendonly=no
auto-aof-rewrite-min-size=67108864
auto-aof-rewrite-percentage=100
bgsave_cpulist=
bind=127.0.0.1 -::1
bind-source-addr=
bio_cpulist=
busy-reply-threshold=5000
client-output-buffer-limit=normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60
client-query-buffer-limit=1073741824
cluster-allow-pubsubshard-when-down=yes
cluster-allow-reads-when-down=no
cluster-allow-replica-migration=yes
cluster-announce-bus-port=0
cluster-announce-hostname=
cluster-announce-ip=
cluster-announce-port=0
cluster-announce-tls-port=0
cluster-config-file=nodes.conf
cluster-enabled=no
cluster-link-sendbuf-limit=0
cluster-migration-barrier=1
cluster-node-timeout=15000
cluster-port=0
cluster-preferred-endpoint-type=ip
cluster-replica-no-failover=no
cluster-replica-validity-factor=10
cluster-require-full-coverage=yes
cluster-slave-no-failover=no
cluster-slave-validity-factor=10
crash-log-enabled=yes
crash-memcheck-enabled=yes
daemonize=no
databases=16
dbfilename=dump.rdb
disable-thp=yes
dynamic-hz=yes
enable-debug-command=no
enable-module-command=no
enable-protected-configs=no
hash-max-listpack-entries=512
hash-max-listpack-value=64
hash-max-ziplist-entries=512
hash-max-ziplist-value=64
hll-sparse-max-bytes=3000
hz=10
ignore-warnings=
io-threads=1
io-threads-do-reads=no
jemalloc-bg-thread=yes
latency-monitor-threshold=0
latency-tracking=yes
latency-tracking-info-percentiles=50 99 99.9
lazyfree-lazy-eviction=no
lazyfree-lazy-expire=no
lazyfree-lazy-server-del=no
lazyfree-lazy-user-del=no
lazyfree-lazy-user-flush=no
lfu-decay-time=1
lfu-log-factor=10
list-compress-depth=0
list-max-listpack-size=-2
list-max-ziplist-size=-2
logfile=
loglevel=notice
lua-time-limit=5000
masterauth=
masteruser=
maxclients=10000
maxmemory=0
maxmemory-clients=0
maxmemory-eviction-tenacity=10
maxmemory-policy=noeviction
maxmemory-samples=5
min-replicas-max-lag=10
min-replicas-to-write=0
min-slaves-max-lag=10
min-slaves-to-write=0
no-appendfsync-on-rewrite=no
notify-keyspace-events=
oom-score-adj=no
oom-score-adj-values=0 200 800
pidfile=
proc-title-template={title} {listen-addr} {server-mode}
propagation-error-behavior=ignore
protected-mode=yes
proto-max-bulk-len=536870912
rdb-del-sync-files=no
rdb-save-incremental-fsync=yes
rdbchecksum=yes
rdbcompression=yes
repl-backlog-size=1048576
repl-backlog-ttl=3600
repl-disable-tcp-nodelay=no
repl-diskless-load=disabled
repl-diskless-sync=yes
repl-diskless-sync-delay=5
repl-diskless-sync-max-replicas=0
repl-ping-replica-period=10
repl-ping-slave-period=10
repl-timeout=60
replica-announce-ip=
replica-announce-port=0
replica-announced=yes
replica-ignore-disk-write-errors=no
replica-ignore-maxmemory=yes
replica-lazy-flush=no
replica-priority=100
replica-read-only=yes
replica-serve-stale-data=yes
replicaof=
requirepass=
sanitize-dump-payload=no
save=3600 1 300 100 60 10000
server_cpulist=
set-max-intset-entries=512
set-proc-title=yes
shutdown-on-sigint=default
shutdown-on-sigterm=default
shutdown-timeout=10
slave-announce-ip=
slave-announce-port=0
slave-ignore-maxmemory=yes
slave-lazy-flush=no
slave-priority=100
slave-read-only=yes
slave-serve-stale-data=yes
slaveof=
slowlog-log-slower-than=10000
slowlog-max-len=128
socket-mark-id=0
stop-writes-on-bgsave-error=yes
stream-node-max-bytes=4096
stream-node-max-entries=100
supervised=no
syslog-enabled=no
syslog-facility=local0
syslog-ident=redis
tcp-backlog=511
tcp-keepalive=300
timeout=0
tls-auth-clients=yes
tls-ca-cert-dir=
tls-ca-cert-file=
tls-cert-file=
tls-ciphers=
tls-ciphersuites=
tls-client-cert-file=
tls-client-key-file=
tls-client-key-file-pass=
tls-cluster=no
tls-dh-params-file=
tls-key-file=
tls-key-file-pass=
tls-port=0
tls-prefer-server-ciphers=no
tls-protocols=
tls-replication=no
tls-session-cache-size=20480
tls-session-cache-timeout=300
tls-session-caching=yes
tracking-table-max-keys=1000000
unixsocket=
unixsocketperm=0
zset-max-listpack-entries=128
zset-max-listpack-value=64
zset-max-ziplist-entries=128
zset-max-ziplist-value=64
"""


def reference_defaults() -> dict[str, str]:
    pairs = (line.split("=", 1) for line in REDIS_7_0_15_DEFAULTS.strip("\n").split("\n"))
    return {name: value for name, value in pairs}


def fatal(line_number: int | None, line: str | None, message: str) -> str:
    parts = ["*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***"]
    if line_number is not None:
        parts += [f"Reading the configuration file, at line {line_number}", f">>> '{line}'"]
    return "\n".join(parts + [message])


def load_error(text: str) -> ConfigFileError:
    with pytest.raises(ConfigFileError) as info:
        Config().load_text(text)
    return info.value


def set_error(config: Config, *pairs: tuple[str, str], **kw: Any) -> str:
    with pytest.raises(ConfigSetError) as info:
        config.set_many(list(pairs), **kw)
    return str(info.value)


# ------------------------------------------------------------------------------------------------ the table


def test_every_redis_config_name_is_in_the_table_with_its_default() -> None:
    got = dict(Config().get(["*"]))
    got.pop("port")
    got.pop("dir")
    assert got == reference_defaults()


def test_table_records_are_frozen_and_unique() -> None:
    names = [n for d in DIRECTIVES for n in (d.name, *d.aliases)]
    assert len(names) == len(set(names))
    with pytest.raises(AttributeError):
        DIRECTIVES[0].name = "x"  # type: ignore[misc]


def test_file_only_and_hidden_directives_exist() -> None:
    for name in ("include", "rename-command", "user", "loadmodule"):
        d = lookup(name)
        assert d is not None and d.file_only
    for name in ("watchdog-period", "rdb-key-save-delay", "key-load-delay", "use-exit-on-panic",
                 "loading-process-events-interval-bytes", "pyredcache-time-control"):
        d = lookup(name)
        assert d is not None and d.hidden


def test_aliases_and_kinds() -> None:
    assert lookup("slaveof") is lookup("replicaof")
    assert lookup("SLAVE-READ-ONLY") is lookup("replica-read-only")
    assert lookup("hash-max-ziplist-entries") is lookup("hash-max-listpack-entries")
    assert lookup("lua-time-limit") is lookup("busy-reply-threshold")
    maxmemory = lookup("maxmemory")
    assert maxmemory is not None and maxmemory.kind is Kind.MEMORY and maxmemory.mutable
    daemonize = lookup("daemonize")
    assert daemonize is not None and not daemonize.mutable
    policy = lookup("maxmemory-policy")
    assert policy is not None and "allkeys-lru" in policy.choices


def test_implemented_flags() -> None:
    implemented = {d.name for d in DIRECTIVES if d.implemented}
    assert {"port", "bind", "save", "maxmemory", "lazyfree-lazy-user-flush", "pyredcache-time-control",
            "enable-debug-command", "cluster-enabled"} <= implemented
    assert "activedefrag" not in implemented and "rename-command" not in implemented


def test_typed_values() -> None:
    c = Config()
    assert c["port"] == 6379 and c.get_value("port") == 6379
    assert c["protected-mode"] is True
    assert c["slave-read-only"] is True
    assert c["save"] == [(3600, 1), (300, 100), (60, 10000)]
    assert c["bind"] == ["127.0.0.1", "-::1"]
    assert c["maxmemory-policy"] == "noeviction"
    assert c["proto-max-bulk-len"] == 536870912
    assert c["client-output-buffer-limit"]["replica"] == BufferLimit(268435456, 67108864, 60)
    assert c["notify-keyspace-events"] == KeyspaceEvents.NONE
    assert c["replicaof"] is None
    assert c["dir"] == os.getcwd()
    assert c["pyredcache-time-control"] is False
    assert c["latency-tracking-info-percentiles"] == [50.0, 99.0, 99.9]


# ------------------------------------------------------------------------------------------------ parsing helpers


@pytest.mark.parametrize(("text", "value"), [
    ("0", 0), ("100", 100), ("1k", 1000), ("1K", 1000), ("1kb", 1024), ("1Kb", 1024), ("2m", 2_000_000),
    ("2mb", 2 * 1024 * 1024), ("1g", 10**9), ("1gb", 2**30), ("5b", 5), ("", 0), ("kb", 0),
    ("99999999999999999999", 2**64 - 1), ("100000000000000000gb", (10**17 * 2**30) % 2**64),
    ("-1", None), ("+1", None), (" 1", None), ("1.5gb", None), ("1zb", None), ("1 kb", None),
])
def test_memtoull(text: str, value: int | None) -> None:
    assert memtoull(text) == value


@pytest.mark.parametrize(("text", "value"), [
    ("0", 0), ("-1", -1), ("9223372036854775807", 2**63 - 1), ("-9223372036854775808", -(2**63)),
    ("9223372036854775808", None), ("01", None), ("+1", None), (" 1", None), ("-0", None), ("1.0", None), ("", None),
])
def test_string2ll(text: str, value: int | None) -> None:
    assert string2ll(text) == value


@pytest.mark.parametrize(("line", "args"), [
    ("port 6379", ["port", "6379"]),
    ("  a   b\t c  ", ["a", "b", "c"]),
    ('x "a\\x41\\n\\t\\"b"', ["x", 'aA\n\t"b']),
    ("x 'a\\'b\\n'", ["x", "a'b\\n"]),
    ('x a"b"', ["x", "ab"]),
    ('x "\\xZZ\\a\\b\\r"', ["x", "xZZ\a\b\r"]),
    ('x ""', ["x", ""]),
    ("x a#b", ["x", "a#b"]),
    ("", []),
    ('x "abc', None),
    ('x "a"b', None),
    ("x 'a'b", None),
    ("x 'abc", None),
])
def test_split_args(line: str, args: list[str] | None) -> None:
    assert split_args(line) == args


def test_split_args_hex_escape_produces_raw_bytes() -> None:
    (arg,) = split_args('"\\xff\\x00"') or [""]
    assert arg.encode("utf-8", "surrogateescape") == b"\xff\x00"


def test_quote_repr_round_trips() -> None:
    for value in ['a"b\\', "tab\tnl\n\x01", "", "plain", "\udcff"]:
        quoted = quote_repr(value)
        assert quoted.startswith('"') and split_args(quoted) == [value]
    assert quote_repr('a"b\\\x01') == '"a\\"b\\\\\\x01"'


def test_keyspace_events_round_trip_like_redis() -> None:
    cases = {"KEA": "AKE", "Kx": "xK", "gsxK": "gsxK", "Ex$": "$xE", "AKEm": "AKEm", "n": "n", "KEAn": "AKE",
             "g$lshzxetd": "A", "AA": "A", "": ""}
    for given, shown in cases.items():
        flags = parse_keyspace_events(given)
        assert flags is not None and format_keyspace_events(flags) == shown
    assert parse_keyspace_events("Z") is None
    flags = parse_keyspace_events("Eg")
    assert flags == KeyspaceEvents.KEYEVENT | KeyspaceEvents.GENERIC


# ------------------------------------------------------------------------------------------------ command line


def test_cli_action() -> None:
    assert cli_action(["-v"]) == "version" and cli_action(["--version"]) == "version"
    assert cli_action(["-h"]) == "help" and cli_action(["--help"]) == "help"
    assert cli_action(["--port", "-v"]) is None and cli_action([]) is None


def test_args_to_config_text() -> None:
    assert args_to_config_text(["a.conf", "--port", "7000", "--save", "--hz", "20"]) == \
        ("a.conf", False, 'port "7000" \nsave ""\nhz "20" ')
    assert args_to_config_text(["--save"]) == (None, False, 'save ""')
    assert args_to_config_text(["--port 7000", "--bind", "a", "b"]) == (None, False, 'port 7000 \nbind "a" "b" ')
    assert args_to_config_text(["--port", "--hz"]) == (None, False, 'port "--hz" ')
    assert args_to_config_text(["-", "--port", "1"]) == (None, True, 'port "1" ')
    assert args_to_config_text(["--port", "1", "-"]) == (None, True, 'port "1" ')


def test_from_args_without_arguments_is_the_default_config() -> None:
    c = Config.from_args([])
    assert c.config_file is None and not c.args_given and c["port"] == 6379


def test_from_args_file_then_options(tmp_path: Path) -> None:
    conf = tmp_path / "redis.conf"
    conf.write_text("port 1234\nsave 900 1\nmaxmemory 10mb\n")
    c = Config.from_args([str(conf), "--port", "7000", "--save", "60", "100", "--maxmemory", "1gb"])
    assert c["port"] == 7000
    # the file's save line replaced the defaults, the option's one was added to it
    assert c["save"] == [(900, 1), (60, 100)]
    assert c["maxmemory"] == 2**30
    assert c.config_file == str(conf) and c.info_config_file == str(conf) and c.args_given


def test_from_args_multi_arg_option_in_one_word() -> None:
    c = Config.from_args(["--save", "3600 1 300 100"])
    assert c["save"] == [(3600, 1), (300, 100)]
    assert Config.from_args(["--save"])["save"] == []
    assert Config.from_args(["--save", "--hz", "20"])["hz"] == 20


def test_from_args_relative_file_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "r.conf").write_text("hz 12\n")
    monkeypatch.chdir(tmp_path)
    c = Config.from_args(["r.conf"])
    assert c.config_file == str(tmp_path / "r.conf") and c["hz"] == 12


def test_from_args_stdin() -> None:
    c = Config.from_args(["-", "--hz", "4"], stdin=io.StringIO("maxmemory 8mb\n"))
    assert c["maxmemory"] == 8 * 1024 * 1024 and c["hz"] == 4 and c.config_file is None
    assert "Reading config from stdin" in c.pending_warnings


def test_option_errors_carry_redis_line_numbers(tmp_path: Path) -> None:
    conf = tmp_path / "redis.conf"
    conf.write_text("port 1234\n")
    with pytest.raises(ConfigFileError) as info:
        Config.from_args([str(conf), "--port", "abc"])
    assert str(info.value) == fatal(3, 'port "abc"', "argument couldn't be parsed into an integer")
    with pytest.raises(ConfigFileError) as info:
        Config.from_args(["--databases", "1", "--loglevel", "loud"])
    assert str(info.value) == fatal(3, 'loglevel "loud"', "argument(s) must be one of the following: debug, "
                                    "verbose, notice, warning")
    assert info.value.stderr_text == "\n" + str(info.value) + "\n"
    with pytest.raises(ConfigFileError) as info:
        Config.from_args(["--port"])
    assert str(info.value) == fatal(2, "port", "wrong number of arguments")


def test_missing_config_file_is_a_logged_fatal_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.conf"
    with pytest.raises(ConfigFileError) as info:
        Config.from_args([str(missing)])
    assert info.value.logged
    assert str(info.value) == f"Fatal error, can't open config file '{missing}': No such file or directory"


# ------------------------------------------------------------------------------------------------ config files


@pytest.mark.parametrize(("text", "line_number", "line", "message"), [
    ("port 1234\nfoo bar\n", 2, "foo bar", "Bad directive or wrong number of arguments"),
    ("daemonize maybe", 1, "daemonize maybe", "argument must be 'yes' or 'no'"),
    ("databases abc", 1, "databases abc", "argument couldn't be parsed into an integer"),
    ("port 70000", 1, "port 70000", "argument must be between 0 and 65535 inclusive"),
    ("maxmemory 1zb", 1, "maxmemory 1zb", "argument must be a memory value"),
    ("port 1 2", 1, "port 1 2", "wrong number of arguments"),
    ('port "abc', 1, 'port "abc', "Unbalanced quotes in configuration line"),
    ('port "1"x', 1, 'port "1"x', "Unbalanced quotes in configuration line"),
    ("loglevel notice warning", 1, "loglevel notice warning", "wrong number of arguments"),
    ("list-max-ziplist-entries 5 6", 1, "list-max-ziplist-entries 5 6", "Bad directive or wrong number of arguments"),
    ("sentinel monitor x", 1, "sentinel monitor x", "sentinel directive while not in sentinel mode"),
    ("user", 1, "user", "Bad directive or wrong number of arguments"),
    ("loadmodule", 1, "loadmodule", "Bad directive or wrong number of arguments"),
    ("slaveof 127.0.0.1", 1, "slaveof 127.0.0.1", "wrong number of arguments"),
    ("slaveof host abc", 1, "slaveof host abc", "Invalid master port"),
    ('replicaof "a b"', 1, 'replicaof "a b"', "Invalid master port"),
    ("dbfilename a/b", 1, "dbfilename a/b", "dbfilename can't be a path, just a filename"),
    ("oom-score-adj-values 0 200 x", 1, "oom-score-adj-values 0 200 x",
     "Invalid oom-score-adj-values, elements must be between -2000 and 2000."),
    ("foo.bar", 1, "foo.bar", "Module config specified without value"),
    ("socket-mark-id -1", 1, "socket-mark-id -1", "argument must be between 0 and 4294967295 inclusive"),
    ("maxclients 0", 1, "maxclients 0", "argument must be between 1 and 4294967295 inclusive"),
    ("unixsocketperm 1000", 1, "unixsocketperm 1000", "argument must be between 0 and 777 inclusive"),
    ("unixsocketperm 9", 1, "unixsocketperm 9", "argument couldn't be parsed as an octal number"),
    ("shutdown-on-sigint save nosave", 1, "shutdown-on-sigint save nosave",
     "shutdown options SAVE and NOSAVE can't be used simultaneously"),
    ("  hz   x  \r", 1, "hz   x", "argument couldn't be parsed into an integer"),
])
def test_config_file_errors(text: str, line_number: int, line: str, message: str) -> None:
    assert str(load_error(text)) == fatal(line_number, line, message)


def test_comments_blank_lines_case_and_quotes() -> None:
    c = Config()
    c.load_text('# comment\n\n   # indented comment\n\t HZ   "12"  \r\nrequirepass "a\\x41\\n"\nignore-warnings a#b\n')
    assert c["hz"] == 12 and c["requirepass"] == "aA\n" and c["ignore-warnings"] == "a#b"


def test_file_semantics_match_redis() -> None:
    c = Config()
    c.load_text("save 900 1\nsave 300 10 60 5\nbind 1.2.3.4\nbind 127.0.0.1 -::1\nhz 0\nloglevel WARNING\n"
                "oom-score-adj relative\nshutdown-on-sigint now nosave\nmaxmemory-clients 5%\n"
                "client-output-buffer-limit pubsub 1mb 2mb 3\nclient-output-buffer-limit normal 1 2 3\n"
                "list-max-ziplist-entries 5\nlua-replicate-commands yes\nsentinel\nunixsocketperm 0700\n"
                "notify-keyspace-events KEA\nslaveof 127.0.0.1 6000\n")
    got = dict(c.get(["save", "bind", "hz", "loglevel", "oom-score-adj", "shutdown-on-sigint", "maxmemory-clients",
                      "client-output-buffer-limit", "unixsocketperm", "notify-keyspace-events", "replicaof"]))
    assert got == {
        "save": "900 1 300 10 60 5", "bind": "127.0.0.1 -::1", "hz": "1", "loglevel": "warning",
        "oom-score-adj": "yes", "shutdown-on-sigint": "nosave now", "maxmemory-clients": "5%",
        "client-output-buffer-limit": "normal 1 2 3 slave 268435456 67108864 60 pubsub 1048576 2097152 3",
        "unixsocketperm": "700", "notify-keyspace-events": "AKE", "replicaof": "127.0.0.1 6000",
    }
    assert c["maxmemory-clients"] == -5
    assert c["replicaof"] == ("127.0.0.1", 6000)
    assert c["shutdown-on-sigint"] == ("nosave", "now")
    cleared = Config()
    cleared.load_text('save 900 1\nsave ""\n')
    assert cleared["save"] == []


def test_hz_is_clamped() -> None:
    c = Config()
    c.load_text("hz 100000\n")
    assert c["hz"] == 500


def test_include_relative_to_dir_and_globs(tmp_path: Path) -> None:
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "a.conf").write_text("hz 20\nmaxmemory 5mb\n")
    (sub / "b.conf").write_text("hz 30\n")
    c = Config()
    c.load_text(f"dir {sub}\ninclude a.conf\n")
    assert c["hz"] == 20 and c["dir"] == str(sub) and c["include"] == ["a.conf"]
    c = Config()
    c.load_text(f"include {sub}/*.conf\n")
    assert c["hz"] == 30 and c["maxmemory"] == 5 * 1024 * 1024
    c = Config()
    c.load_text(f"include {tmp_path}/nothing-*.conf\nhz 7\n")
    assert c["hz"] == 7


def test_include_errors(tmp_path: Path) -> None:
    err = load_error(f"include {tmp_path}/missing.conf\n")
    assert err.logged and str(err) == (f"Fatal error, can't open config file '{tmp_path}/missing.conf': "
                                       "No such file or directory")
    (tmp_path / "bad.conf").write_text("hz 20\nbogus 1\n")
    err = load_error(f"hz 5\ninclude {tmp_path}/bad.conf\n")
    assert str(err) == fatal(2, "bogus 1", "Bad directive or wrong number of arguments")


def test_end_of_load_checks(tmp_path: Path) -> None:
    assert str(load_error("logfile /nonexistent-dir/x.log\n")) == fatal(
        None, None, "Can't open the log file: No such file or directory")
    assert str(load_error("cluster-enabled yes\nreplicaof 127.0.0.1 6000\n")) == fatal(
        None, None, "replicaof directive not allowed in cluster mode")


def test_dir_directive(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "file").write_text("")
    c = Config()
    c.load_text(f"dir {tmp_path}\ndir sub\n")
    assert c["dir"] == str(tmp_path / "sub")
    assert str(load_error("dir /nonexistent-dir\n")) == fatal(1, "dir /nonexistent-dir", "No such file or directory")
    assert str(load_error(f"dir {tmp_path}/file\n")) == fatal(1, f"dir {tmp_path}/file", "Not a directory")


def test_rename_command_checks_names_when_told_how() -> None:
    commands = {"get", "set", "flushall"}
    c = Config()
    c.command_exists = commands.__contains__
    c.load_text('rename-command get ""\nrename-command set get\nrename-command FLUSHALL flush2\n')
    assert c["rename-command"] == [("get", ""), ("set", "get"), ("FLUSHALL", "flush2")]
    c = Config()
    c.command_exists = commands.__contains__
    with pytest.raises(ConfigFileError) as info:
        c.load_text("rename-command FOO bar\n")
    assert str(info.value) == fatal(1, "rename-command FOO bar", "No such command in rename-command")
    c = Config()
    c.command_exists = commands.__contains__
    with pytest.raises(ConfigFileError) as info:
        c.load_text("rename-command set get\n")
    assert str(info.value).endswith("Target command name already exists")


def test_user_loadmodule_and_module_configs_are_recorded() -> None:
    c = Config()
    c.load_text("user alice on >pw ~* +@all\nloadmodule /x.so a b\nmymod.opt 1 2\n")
    assert c["user"] == [["alice", "on", ">pw", "~*", "+@all"]]
    assert c["loadmodule"] == [["/x.so", "a", "b"]]
    assert c.module_configs == {"mymod.opt": "1 2"}
    with pytest.raises(ConfigFileError) as info:
        Config.from_args(["--mymod.opt", "1"])
    assert info.value.logged and "Module Configuration detected without loadmodule directive" in str(info.value)


def test_not_implemented_in_use() -> None:
    c = Config()
    c.load_text("hz 20\nactivedefrag no\nlfu-log-factor 20\nrepl-timeout 60\nrename-command get g\n"
                "appendfsync always\n")
    assert c.not_implemented_in_use() == ["appendfsync", "rename-command"]
    assert Config().not_implemented_in_use() == []


def test_from_options_for_embedded_servers() -> None:
    c = Config.from_options({"port": 0, "save": "", "protected-mode": False, "bind": ["127.0.0.1", "::1"],
                             "pyredcache-time-control": True})
    assert c["port"] == 0 and c["save"] == [] and c["protected-mode"] is False
    assert c["bind"] == ["127.0.0.1", "::1"] and c["pyredcache-time-control"] is True


# ------------------------------------------------------------------------------------------------ CONFIG GET


def names(config: Config, *patterns: str) -> set[str]:
    return {name for name, _ in config.get(list(patterns))}


def test_config_get_patterns_like_redis() -> None:
    c = Config()
    assert names(c, "slave*") == {"slave-lazy-flush", "slave-announce-ip", "slave-priority", "slave-serve-stale-data",
                                  "slaveof", "slave-read-only", "slave-announce-port", "slave-ignore-maxmemory"}
    assert names(c, "*max-*-entries*") == {"hash-max-listpack-entries", "set-max-intset-entries",
                                           "hash-max-ziplist-entries", "zset-max-listpack-entries",
                                           "zset-max-ziplist-entries"}
    assert names(c, "port", "PORT", "*por*") == {
        "port", "cluster-announce-tls-port", "tls-port", "cluster-port", "cluster-announce-bus-port",
        "slave-announce-port", "replica-announce-port", "cluster-announce-port"}
    assert c.get(["PORT"]) == [("PORT", "6379")]
    assert c.get(["PORT*"]) == [("port", "6379")]
    assert c.get(["nosuch"]) == [] and c.get(["include"]) == [] and c.get(["list-max-ziplist-entries"]) == []


def test_hidden_configs_need_an_exact_name() -> None:
    c = Config()
    assert c.get(["watchdog-period"]) == [("watchdog-period", "0")]
    assert c.get(["pyredcache-time-control"]) == [("pyredcache-time-control", "no")]
    assert names(c, "*exit*") == set() and names(c, "pyredcache*") == set()
    assert c.get(["use-exit-on-panic", "*exit*"]) == [("use-exit-on-panic", "no")]


# ------------------------------------------------------------------------------------------------ CONFIG SET


def test_config_set_name_errors() -> None:
    c = Config()
    assert set_error(c, ("foo", "1")) == "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
    assert set_error(c, ("maxmemory", "1"), ("foo", "2")) == \
        "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
    assert set_error(c, ("daemonize", "yes"), ("foo", "1")) == \
        "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"
    assert set_error(c, ("DAEMONIZE", "yes")) == \
        "ERR CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set immutable config"
    assert set_error(c, ("PORT", "1"), ("port", "2")) == \
        "ERR CONFIG SET failed (possibly related to argument 'port') - duplicate parameter"
    assert set_error(c, ("dir", "/tmp")) == \
        "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
    assert set_error(c, ("include", "x")) == "ERR Unknown option or number of arguments for CONFIG SET - 'include'"
    assert set_error(c, ("appendonly", "yes"), loading=True) == "LOADING Redis is loading the dataset in memory"
    assert c["port"] == 6379 and c["maxmemory"] == 0


def test_config_set_value_errors() -> None:
    c = Config()
    cases = [
        ("maxmemory", "abc", "maxmemory", "argument must be a memory value"),
        ("maxmemory", "-1", "maxmemory", "argument must be a memory value"),
        ("hz", "010", "hz", "argument couldn't be parsed into an integer"),
        ("PORT", "x", "port", "argument couldn't be parsed into an integer"),
        ("slave-read-only", "maybe", "slave-read-only", "argument must be 'yes' or 'no'"),
        ("maxclients", "-1", "maxclients", "argument must be between 1 and 4294967295 inclusive"),
        ("timeout", "-1", "timeout", "argument must be between 0 and 2147483647 inclusive"),
        ("slowlog-max-len", "-1", "slowlog-max-len", "argument must be between 0 and 9223372036854775807 inclusive"),
        ("proto-max-bulk-len", "99999999999999999999", "proto-max-bulk-len",
         "argument must be between 1048576 and 9223372036854775807 inclusive"),
        ("maxmemory-clients", "200%", "maxmemory-clients", "percentage argument must be less or equal to 100"),
        ("maxmemory-clients", "-5", "maxmemory-clients", "argument must be a memory or percent value"),
        ("save", "1 2 3", "save", "Invalid save parameters"),
        ("save", "100  2", "save", "Invalid save parameters"),
        ("save", "0 1", "save", "Invalid save parameters"),
        ("notify-keyspace-events", "Z", "notify-keyspace-events",
         "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
        ("bind", " ".join(["a"] * 17), "bind", "Too many bind addresses specified."),
        ("client-output-buffer-limit", "master 1 2 3", "client-output-buffer-limit",
         "Invalid client class specified in buffer limit configuration."),
        ("client-output-buffer-limit", "normal 1 2", "client-output-buffer-limit",
         "Wrong number of arguments in buffer limit configuration."),
        ("client-output-buffer-limit", "normal 1k 2x 3", "client-output-buffer-limit",
         "Error in hard, soft or soft_seconds setting in buffer limit configuration."),
        ("oom-score-adj-values", "0 200", "oom-score-adj-values", "wrong number of arguments"),
        ("latency-tracking-info-percentiles", "50 abc", "latency-tracking-info-percentiles",
         "Invalid latency-tracking-info-percentiles parameters"),
        ("latency-tracking-info-percentiles", "50 101", "latency-tracking-info-percentiles",
         "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"),
        ("shutdown-on-sigint", "", "shutdown-on-sigint",
         "argument(s) must be one of the following: default, save, nosave, now, force"),
        ("maxmemory-policy", "allkeys-lru volatile-lru", "maxmemory-policy",
         "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, "
         "allkeys-lru, allkeys-lfu, allkeys-random, noeviction"),
        ("proc-title-template", "{title}", "proc-title-template",
         "template format is invalid or contains unknown variables"),
        ("cluster-announce-hostname", "a_b", "cluster-announce-hostname",
         "Hostnames may only contain alphanumeric characters, hyphens or dots"),
    ]
    for name, value, shown, message in cases:
        assert set_error(c, (name, value)) == \
            f"ERR CONFIG SET failed (possibly related to argument '{shown}') - {message}", (name, value)
    assert dict(c.get(["*"])) == dict(Config().get(["*"]))


def test_config_set_stores_typed_values_and_formats_like_redis() -> None:
    c = Config()
    c.set_many([("maxmemory", "1K"), ("hz", "1000"), ("loglevel", "NOTICE"), ("save", "100 2 50 3"),
                ("client-output-buffer-limit", "NORMAL 1 2 3 Slave 4 5 6"), ("notify-keyspace-events", "Ex$"),
                ("maxmemory-clients", "10%"), ("latency-tracking-info-percentiles", "0.5 99.99999 1e2 +3"),
                ("oom-score-adj-values", "0 +5 5"), ("shutdown-on-sigterm", "now nosave force"),
                ("bind", "127.0.0.1 -::1"), ("repl-backlog-size", "100")])
    assert dict(c.get(["maxmemory", "hz", "loglevel", "save", "client-output-buffer-limit",
                       "notify-keyspace-events", "maxmemory-clients", "latency-tracking-info-percentiles",
                       "oom-score-adj-values", "shutdown-on-sigterm", "bind", "repl-backlog-size"])) == {
        "maxmemory": "1000", "hz": "500", "loglevel": "notice", "save": "100 2 50 3",
        "client-output-buffer-limit": "normal 1 2 3 slave 4 5 6 pubsub 33554432 8388608 60",
        "notify-keyspace-events": "$xE", "maxmemory-clients": "10%",
        "latency-tracking-info-percentiles": "0.5 99.99999 100 3", "oom-score-adj-values": "0 5 5",
        "shutdown-on-sigterm": "nosave now force", "bind": "127.0.0.1 -::1", "repl-backlog-size": "16384",
    }
    assert c["maxmemory"] == 1000 and c["save"] == [(100, 2), (50, 3)]
    c.set_many([("save", ""), ("bind", ""), ("client-output-buffer-limit", "")])
    assert c["save"] == [] and c["bind"] == []
    # an alias and its name are distinct entries, as in 7.0.15: no "duplicate parameter"
    c.set_many([("slave-read-only", "no"), ("replica-read-only", "yes")])
    assert c["replica-read-only"] is True


def test_protected_configs_follow_enable_protected_configs(tmp_path: Path) -> None:
    c = Config()
    c.load_text("enable-protected-configs local\n")
    assert set_error(c, ("dbfilename", "x.rdb")).endswith("can't set protected config")
    c.set_many([("dbfilename", "x.rdb"), ("dir", str(tmp_path))], client_is_local=True)
    assert c["dbfilename"] == "x.rdb" and c["dir"] == str(tmp_path)
    assert set_error(c, ("dbfilename", "a/b"), client_is_local=True).endswith(
        "dbfilename can't be a path, just a filename")
    assert set_error(c, ("dir", "/nonexistent-dir"), client_is_local=True).endswith("No such file or directory")
    assert c.protected_action_allowed("enable-protected-configs", True)
    assert not c.protected_action_allowed("enable-debug-command", True)


def test_config_set_is_all_or_nothing() -> None:
    c = Config()
    assert set_error(c, ("maxmemory", "1mb"), ("hz", "x"), ("maxclients", "0")).endswith(
        "argument 'hz') - argument couldn't be parsed into an integer")
    assert c["maxmemory"] == 0 and c["hz"] == 10


def test_apply_hooks_run_for_changed_values_only() -> None:
    c = Config()
    calls: list[tuple[str, Any, Any]] = []
    c.add_apply_hook("maxmemory", lambda old, new: calls.append(("maxmemory", old, new)))
    c.add_apply_hook("slave-read-only", lambda old, new: calls.append(("ro", old, new)))
    c.set_many([("maxmemory", "1mb"), ("replica-read-only", "yes"), ("hz", "20")])
    assert calls == [("maxmemory", 0, 1024 * 1024)]
    c.set_many([("slave-read-only", "no")])
    assert calls[-1] == ("ro", True, False)


def test_failing_apply_hook_restores_everything() -> None:
    c = Config()
    calls: list[tuple[str, Any, Any]] = []

    def port_hook(old: Any, new: Any) -> None:
        calls.append(("port", old, new))
        if new == 7000:
            raise ConfigApplyError("Unable to listen on this port. Check server logs.")

    c.add_apply_hook("maxmemory", lambda old, new: calls.append(("maxmemory", old, new)))
    c.add_apply_hook("port", port_hook)
    assert set_error(c, ("maxmemory", "1mb"), ("port", "7000"), ("hz", "20")) == (
        "ERR CONFIG SET failed (possibly related to argument 'port') - "
        "Unable to listen on this port. Check server logs.")
    assert c["port"] == 6379 and c["maxmemory"] == 0 and c["hz"] == 10
    assert calls == [("maxmemory", 0, 1048576), ("port", 6379, 7000), ("maxmemory", 1048576, 0),
                     ("port", 7000, 6379)]
    c.add_apply_hook("hz", lambda old, new: (_ for _ in ()).throw(ConfigApplyError("")))
    assert set_error(c, ("hz", "20")) == "ERR CONFIG SET failed (possibly related to argument 'hz')"


def test_set_internal_skips_validation_and_hooks() -> None:
    c = Config()
    c.add_apply_hook("replicaof", lambda old, new: pytest.fail("hook must not run"))
    c.set_internal("slaveof", ("10.0.0.1", 6380))
    assert c.get(["replicaof"]) == [("replicaof", "10.0.0.1 6380")]


# ------------------------------------------------------------------------------------------------ CONFIG REWRITE


def test_rewrite_without_a_config_file() -> None:
    with pytest.raises(ConfigRewriteError) as info:
        Config().rewrite()
    assert str(info.value) == "ERR The server is running without a config file"


def test_rewrite_keeps_layout_and_replaces_in_place(tmp_path: Path) -> None:
    conf = tmp_path / "redis.conf"
    conf.write_text('# c1\nport 7777\nsave 900 1\nsave 300 10\n\n\nslave-read-only no\nhash-max-ziplist-entries 100\n'
                    'timeout 5\ntimeout 6\nbind 127.0.0.1\nloglevel notice\nrename-command FLUSHALL ""\n'
                    'include /dev/null\nhz 10\nlogfile ""\n')
    c = Config.from_args([str(conf)])
    c.set_many([("maxmemory", "3mb"), ("notify-keyspace-events", "KEA"), ("maxmemory-clients", "5%"),
                ("client-output-buffer-limit", "pubsub 1 2 3"), ("proto-max-bulk-len", "1025kb"),
                ("bind", "127.0.0.2 -::1"), ("shutdown-on-sigterm", "nosave now"), ("oom-score-adj", "relative"),
                ("ignore-warnings", 'a"b\\\x01'), ("replica-announce-ip", "x y")])
    with open(conf, "a") as fh:  # edits made while running: kept, or commented out when not understood
        fh.write('list-max-ziplist-value 3\nbogus "x\nmymod.opt 1\n')
    c.rewrite()
    text = conf.read_text()
    head, _, tail = text.partition("# Generated by CONFIG REWRITE\n")
    assert head == ('# c1\nport 7777\nsave 900 1\nsave 300 10\n\nreplica-read-only no\nhash-max-listpack-entries 100\n'
                    'timeout 6\n\nbind 127.0.0.2 -::1\nloglevel notice\nrename-command FLUSHALL ""\n'
                    'include /dev/null\nhz 10\nlogfile ""\n# ??? list-max-ziplist-value 3\n# ??? bogus "x\n'
                    '# ??? mymod.opt 1\n\n')
    assert sorted(tail.splitlines()) == sorted([
        "proto-max-bulk-len 1025kb", 'ignore-warnings "a\\"b\\\\\\x01"', "maxmemory-clients 5%",
        'replica-announce-ip "x y"', "latency-tracking-info-percentiles 50 99 99.9",
        'notify-keyspace-events "AKE"', "oom-score-adj yes", "client-output-buffer-limit pubsub 1 2 3",
        "shutdown-on-sigterm nosave now", "maxmemory 3mb", f'dir "{os.getcwd()}"'])
    again = Config.from_args([str(conf)])
    assert dict(again.get(["*"])) == dict(c.get(["*"]))


def test_rewrite_existing_signature_defaults_and_removals(tmp_path: Path) -> None:
    conf = tmp_path / "redis.conf"
    conf.write_text('port 7777\n# Generated by CONFIG REWRITE\nsave ""\nmaxmemory 1gb\nbind 127.0.0.2 -::1\n'
                    "slaveof 127.0.0.1 1\n")
    c = Config.from_args([str(conf)])
    c.set_many([("save", "10 1"), ("maxmemory", "0"), ("appendonly", "no"), ("oom-score-adj-values", "1 2 3"),
                ("hz", "1000"), ("bind", "127.0.0.1 -::1")])
    c.set_internal("replicaof", None)
    c.rewrite()
    lines = conf.read_text().splitlines()
    assert lines[:5] == ["port 7777", "# Generated by CONFIG REWRITE", "save 10 1", "maxmemory 0", ""]
    assert lines.count("# Generated by CONFIG REWRITE") == 1
    assert set(lines[5:]) == {"oom-score-adj-values 1 2 3", "hz 500", f'dir "{os.getcwd()}"',
                              "latency-tracking-info-percentiles 50 99 99.9"}


def test_rewrite_writes_a_missing_file_and_uses_providers(tmp_path: Path) -> None:
    conf = tmp_path / "redis.conf"
    conf.write_text("user alice on\nuser bob off\n")
    c = Config.from_args([str(conf)])
    c.add_rewrite_provider("user", lambda: ["user default on nopass ~* &* +@all"])
    c.rewrite()
    assert conf.read_text().splitlines()[0] == "user default on nopass ~* &* +@all"
    assert "user bob off" not in conf.read_text()
    target = tmp_path / "new.conf"
    c.rewrite(str(target))
    assert target.read_text().splitlines() == [
        "# Generated by CONFIG REWRITE", f'dir "{os.getcwd()}"', "save 3600 1", "save 300 100", "save 60 10000",
        "latency-tracking-info-percentiles 50 99 99.9", "user default on nopass ~* &* +@all"]
    assert oct(target.stat().st_mode & 0o777) == oct(0o644 & ~_umask())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(("redis.conf.", "new.conf."))] == []


def test_rewrite_reports_os_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigRewriteError) as info:
        Config().rewrite(str(tmp_path / "no-such-dir" / "r.conf"))
    assert str(info.value) == "ERR Rewriting config file: No such file or directory"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
