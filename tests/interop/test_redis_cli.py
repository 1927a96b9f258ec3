"""Interop with Debian's redis-cli 7.0: one-shot commands, piped sessions, --pipe mass insert, --scan,
--bigkeys and an interactive session on a pty. Outputs are compared byte for byte with a real redis-server.
"""
from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from helpers.procs import ServerProcess

CLI = shutil.which("redis-cli")
pytestmark = pytest.mark.skipif(CLI is None, reason="redis-cli is not installed (apt-get install redis-tools)")

TIMEOUT = 30.0


def cli(port: int, *args: str, stdin: bytes | None = None, timeout: float = TIMEOUT) -> subprocess.CompletedProcess[bytes]:
    """Run redis-cli against 127.0.0.1:port (non-interactive: stdin is a pipe or /dev/null)."""
    assert CLI is not None
    return subprocess.run([CLI, "-h", "127.0.0.1", "-p", str(port), *args],
                          input=stdin if stdin is not None else b"", capture_output=True, timeout=timeout,
                          check=False)


def out(port: int, *args: str, stdin: bytes | None = None) -> bytes:
    res = cli(port, *args, stdin=stdin)
    assert res.returncode == 0, (res.returncode, res.stdout, res.stderr)
    return res.stdout


@pytest.fixture
def ours(r: redis.Redis) -> int:
    """Port of the shared pyredcache server, flushed."""
    return int(r.connection_pool.connection_kwargs["port"])


@pytest.fixture
def both(r: redis.Redis, redis_proc: ServerProcess) -> Iterator[tuple[int, int]]:
    """(pyredcache port, redis-server port), both flushed."""
    theirs = redis.Redis(port=redis_proc.port, socket_timeout=10)
    theirs.flushall()
    yield int(r.connection_pool.connection_kwargs["port"]), redis_proc.port
    theirs.flushall()
    theirs.close()


def same_output(ports: tuple[int, int], *args: str, stdin: bytes | None = None,
                normalise: re.Pattern[bytes] | None = None) -> bytes:
    """Run the same redis-cli invocation against both servers; stdout and exit code must match."""
    a = cli(ports[0], *args, stdin=stdin)
    b = cli(ports[1], *args, stdin=stdin)
    sa, sb = a.stdout, b.stdout
    if normalise is not None:
        sa, sb = normalise.sub(b"<n>", sa), normalise.sub(b"<n>", sb)
    assert (a.returncode, sa) == (b.returncode, sb), f"{args!r}:\npyredcache: {a.stdout!r}\nredis:      {b.stdout!r}"
    return a.stdout


# ------------------------------------------------------------------------------------------ one-shot


def test_ping_one_shot(ours: int) -> None:
    assert out(ours, "PING") == b"PONG\n"
    assert out(ours, "--no-raw", "PING") == b"PONG\n"
    assert out(ours, "PING", "hello world") == b"hello world\n"


def test_set_get_one_shot_raw_and_formatted(ours: int) -> None:
    assert out(ours, "SET", "greeting", "hello") == b"OK\n"
    assert out(ours, "GET", "greeting") == b"hello\n"
    assert out(ours, "--no-raw", "GET", "greeting") == b'"hello"\n'
    assert out(ours, "--no-raw", "GET", "missing") == b"(nil)\n"
    assert out(ours, "GET", "missing") == b"\n"


def test_set_one_shot_with_expiry(ours: int, r: redis.Redis) -> None:
    assert out(ours, "SET", "k", "v", "EX", "100") == b"OK\n"
    assert 99 <= int(out(ours, "TTL", "k")) <= 100
    assert out(ours, "--no-raw", "TTL", "nokey") == b"(integer) -2\n"


def test_incr_one_shot_integer_reply(ours: int) -> None:
    assert out(ours, "--no-raw", "INCR", "counter") == b"(integer) 1\n"
    assert out(ours, "INCR", "counter") == b"2\n"
    assert out(ours, "--no-raw", "INCRBY", "counter", "-5") == b"(integer) -3\n"


def test_get_one_shot_wrong_arity_error(ours: int) -> None:
    assert out(ours, "--no-raw", "GET") == b"(error) ERR wrong number of arguments for 'get' command\n"
    # Raw mode prints the message and an empty line (redis-cli's cliFormatReplyRaw for errors).
    assert out(ours, "GET") == b"ERR wrong number of arguments for 'get' command\n\n"


def test_unknown_command_one_shot_error(ours: int) -> None:
    assert out(ours, "--no-raw", "NOSUCHCMD", "a", "b") == (
        b"(error) ERR unknown command 'NOSUCHCMD', with args beginning with: 'a' 'b' \n")


def test_incr_one_shot_not_an_integer(ours: int) -> None:
    out(ours, "SET", "s", "abc")
    assert out(ours, "--no-raw", "INCR", "s") == b"(error) ERR value is not an integer or out of range\n"


def test_mset_mget_one_shot_array(ours: int) -> None:
    assert out(ours, "MSET", "a", "1", "b", "2") == b"OK\n"
    assert out(ours, "--no-raw", "MGET", "a", "nokey", "b") == b'1) "1"\n2) (nil)\n3) "2"\n'
    assert out(ours, "MGET", "a", "nokey", "b") == b"1\n\n2\n"


def test_set_one_shot_x_reads_last_arg_from_stdin(ours: int, r: redis.Redis) -> None:
    blob = bytes(range(256)) * 4
    assert out(ours, "-x", "SET", "blob", stdin=blob) == b"OK\n"
    assert r.get("blob") == blob
    # Raw mode writes the value's bytes unchanged; formatted mode escapes them.
    assert out(ours, "GET", "blob") == blob + b"\n"
    formatted = out(ours, "--no-raw", "GET", "blob")
    assert formatted.startswith(b'"\\x00\\x01\\x02') and formatted.endswith(b'"\n')


def test_select_one_shot_n_option(ours: int, r: redis.Redis) -> None:
    assert out(ours, "-n", "2", "SET", "k", "v") == b"OK\n"
    assert out(ours, "-n", "2", "DBSIZE") == b"1\n"
    assert out(ours, "DBSIZE") == b"0\n"
    assert r.dbsize() == 0


def test_incr_one_shot_repeat_r(ours: int) -> None:
    assert out(ours, "-r", "5", "INCR", "c") == b"1\n2\n3\n4\n5\n"


def test_echo_one_shot_csv(ours: int) -> None:
    assert out(ours, "--csv", "ECHO", 'he said "hi"') == b'"he said \\"hi\\""\n'


def test_info_one_shot_server_section(ours: int) -> None:
    text = out(ours, "INFO", "server")
    assert text.startswith(b"# Server\r\n")
    assert b"redis_version:7.0.15\r\n" in text
    assert f"tcp_port:{ours}\r\n".encode() in text


def test_dbsize_one_shot_after_writes(ours: int) -> None:
    for i in range(5):
        out(ours, "SET", f"k{i}", "v")
    assert out(ours, "--no-raw", "DBSIZE") == b"(integer) 5\n"


@pytest.mark.parametrize("kind", ["pyredcache", pytest.param("redis", marks=pytest.mark.oracle)])
def test_auth_one_shot_with_requirepass(server_factory: Any, kind: str) -> None:
    sp = server_factory(kind=kind, requirepass="s3cret")
    assert out(sp.port, "--no-raw", "GET", "k") == b"(error) NOAUTH Authentication required.\n"
    assert out(sp.port, "-a", "s3cret", "--no-auth-warning", "SET", "k", "v") == b"OK\n"
    assert out(sp.port, "--pass", "s3cret", "--no-auth-warning", "GET", "k") == b"v\n"
    res = cli(sp.port, "-a", "wrong", "--no-auth-warning", "PING")
    assert res.stderr == b"AUTH failed: WRONGPASS invalid username-password pair or user is disabled.\n"
    assert res.stdout == b"NOAUTH Authentication required.\n\n"
    res = cli(sp.port, "-a", "s3cret", "PING")
    assert res.stderr.startswith(b"Warning: Using a password with '-a' or '-u' option on the command line")
    assert res.stdout == b"PONG\n"


# ------------------------------------------------------------------------- piped sessions (stdin)

SESSION = b"""SET a 1
INCR a
GET a
GET nokey
"SET" "with space" "hello world"
GET "with space"
SET bin "a\\x00b\\r\\nc"
GET bin
STRLEN bin
MSET x 1 y 2 z 3
MGET x y nokey z
DEL x y nokey
EXISTS x y z
GET
INCR "with space"
SET a 1 NX XX
SET t v EX 100
TYPE t
ECHO "tab\\there"
APPEND a 23
GETRANGE a 0 1
DBSIZE
PING
"""


def test_session_piped_commands(ours: int) -> None:
    text = out(ours, "--no-raw", stdin=SESSION)
    assert text.splitlines()[:6] == [b"OK", b"(integer) 2", b'"2"', b"(nil)", b"OK", b'"hello world"']


@pytest.mark.oracle
@pytest.mark.parametrize("mode", ["--raw", "--no-raw", "--csv"])
def test_session_piped_same_output_as_redis(both: tuple[int, int], mode: str) -> None:
    same_output(both, mode, stdin=SESSION)


@pytest.mark.oracle
def test_session_piped_resp3_same_output_as_redis(both: tuple[int, int]) -> None:
    same_output(both, "-3", "--no-raw", stdin=SESSION)


@pytest.mark.oracle
def test_hello_one_shot_resp3_same_output_as_redis(both: tuple[int, int]) -> None:
    # The client id differs between servers; everything else of HELLO's map must match.
    text = same_output(both, "-3", "--no-raw", "HELLO", "3", normalise=re.compile(rb"\(integer\) \d+(?=\n5#)"))
    assert b'"proto" => (integer) 3' in text


@pytest.mark.oracle
def test_session_piped_select_same_output_as_redis(both: tuple[int, int]) -> None:
    session = b"SELECT 3\nSET k v\nDBSIZE\nSELECT 0\nDBSIZE\nSELECT 99\nSELECT x\nGET k\n"
    same_output(both, "--no-raw", stdin=session)


# --------------------------------------------------------------------------------- --scan / --bigkeys


def test_scan_option_lists_matching_keys(ours: int, r: redis.Redis) -> None:
    r.mset({f"user:{i}": i for i in range(300)})
    r.mset({f"other:{i}": i for i in range(50)})
    keys = out(ours, "--scan", "--pattern", "user:*").split()
    assert sorted(keys) == sorted(f"user:{i}".encode() for i in range(300))
    assert len(out(ours, "--scan").split()) == 350


@pytest.mark.oracle
def test_bigkeys_option_same_summary_as_redis(both: tuple[int, int]) -> None:
    for port in both:
        c = redis.Redis(port=port)
        c.mset({f"k{i}": "x" * i for i in range(1, 60)})
        c.set("biggest", "y" * 1000)
        c.close()

    def summary(port: int) -> list[bytes]:
        text = out(port, "--bigkeys")
        # Keep the deterministic lines: the sampling progress lines depend on SCAN order.
        return [line for line in text.splitlines()
                if line.startswith((b"Biggest", b"Sampled")) or b" strings with " in line]

    ours, theirs = summary(both[0]), summary(both[1])
    assert ours == theirs
    assert b"Biggest string found '\"biggest\"' has 1000 bytes" in ours


# ------------------------------------------------------------------------------------------ --pipe


def _set_stream(n: int) -> bytes:
    parts = []
    for i in range(n):
        k = b"key:%d" % i
        v = b"value:%d" % i
        parts.append(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(v), v))
    return b"".join(parts)


def test_pipe_mass_insert_100k_keys(ours: int, r: redis.Redis) -> None:
    res = cli(ours, "--pipe", stdin=_set_stream(100_000), timeout=120)
    assert res.returncode == 0, res.stderr
    assert b"errors: 0, replies: 100000" in res.stdout, res.stdout
    assert r.dbsize() == 100_000
    assert r.get("key:0") == b"value:0"
    assert r.get("key:99999") == b"value:99999"
    assert r.mget("key:123", "key:54321") == [b"value:123", b"value:54321"]


def test_pipe_counts_error_replies(ours: int, r: redis.Redis) -> None:
    stream = b"".join(
        b"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n" if i % 10 else b"*2\r\n$4\r\nINCR\r\n$1\r\ns\r\n"
        for i in range(100))
    r.set("s", "not a number")
    res = cli(ours, "--pipe", stdin=stream)
    assert b"errors: 10, replies: 100" in res.stdout, res.stdout
    assert r.get("n") == b"90"


def test_pipe_inline_commands(ours: int, r: redis.Redis) -> None:
    stream = b"".join(b"SET inline:%d %d\r\n" % (i, i) for i in range(1000))
    res = cli(ours, "--pipe", stdin=stream)
    assert b"errors: 0, replies: 1000" in res.stdout, res.stdout
    assert r.get("inline:999") == b"999"


# ------------------------------------------------------------------------------- interactive (pty)


class Pty:
    """redis-cli on a pseudo-terminal with TERM=dumb (linenoise falls back to plain line input)."""

    def __init__(self, port: int) -> None:
        assert CLI is not None
        master, slave = os.openpty()
        env = dict(os.environ, TERM="dumb", REDISCLI_HISTFILE="/dev/null")
        self.proc = subprocess.Popen([CLI, "-h", "127.0.0.1", "-p", str(port)], stdin=slave, stdout=slave,
                                     stderr=slave, env=env, start_new_session=True, close_fds=True)
        os.close(slave)
        self.fd = master
        # "127.0.0.1:6379> ", or "127.0.0.1:6379[2]> " after SELECT 2.
        self.prompt = re.compile(rb"127\.0\.0\.1:%d(\[\d+\])?> $" % port)
        self.last_prompt = b""

    def read_prompt(self, timeout: float = 10.0) -> bytes:
        """Everything up to and including the next prompt (which is kept in last_prompt)."""
        deadline = time.monotonic() + timeout
        data = b""
        while True:
            m = self.prompt.search(data)
            if m is not None:
                self.last_prompt = m.group(0)
                return data[: m.start()]
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no prompt from redis-cli within {timeout}s; got {data!r}")
            ready, _, _ = select.select([self.fd], [], [], left)
            if ready:
                try:
                    chunk = os.read(self.fd, 4096)
                except OSError:  # EIO: the child closed the terminal
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"redis-cli closed the terminal; got {data!r}")
                data += chunk

    def command(self, line: str) -> bytes:
        """Type a line; return what redis-cli printed before its next prompt (the echo stripped)."""
        os.write(self.fd, line.encode() + b"\n")
        body = self.read_prompt().replace(b"\r\n", b"\n")
        echoed = line.encode() + b"\n"
        if body.startswith(echoed):
            body = body[len(echoed):]
        return body

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)
        os.close(self.fd)


def test_interactive_session_on_pty(ours: int) -> None:
    term = Pty(ours)
    try:
        term.read_prompt()
        assert term.last_prompt == f"127.0.0.1:{ours}> ".encode()
        assert term.command("SET a hello") == b"OK\n"
        assert term.command("GET a") == b'"hello"\n'
        assert term.command("INCR n") == b"(integer) 1\n"
        assert term.command("MGET a nokey") == b'1) "hello"\n2) (nil)\n'
        assert term.command("GET") == b"(error) ERR wrong number of arguments for 'get' command\n"
        assert term.command("SELECT 1") == b"OK\n"
        assert term.last_prompt == f"127.0.0.1:{ours}[1]> ".encode()
        assert term.command("GET a") == b"(nil)\n"
        os.write(term.fd, b"QUIT\n")
        term.proc.wait(10)
        assert term.proc.returncode == 0
    finally:
        term.close()
