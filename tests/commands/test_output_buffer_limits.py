"""client-output-buffer-limit: the same scenarios run against pyredcache and redis-server 7.0.15.

Each scenario is parametrized over both servers (module-scoped private instances, limits put back after
each test) and asserts the same observable outcome: the slow client is disconnected, or it is kept.
"""
from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator

import pytest
import redis
from helpers.procs import REDIS_SERVER, ServerProcess, start_server
from helpers.rawclient import encode_command
from helpers.wait import wait_until

DEFAULT_LIMITS = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
ASYNC_LINE = "scheduled to be closed ASAP for overcoming of output buffer limits."
CRON_LINE = "closed for overcoming of output buffer limits."

pytestmark = pytest.mark.oracle


@pytest.fixture(scope="module", params=["pyredcache", "redis"])
def server(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    if request.param == "redis" and REDIS_SERVER is None:
        pytest.skip("Debian's redis-server is not installed")
    sp = start_server(request.param)
    yield sp
    sp.cleanup()


@pytest.fixture
def r(server: ServerProcess) -> Iterator[redis.Redis]:
    client = redis.Redis(port=server.port, socket_timeout=10)
    client.flushall()
    yield client
    client.config_set("client-output-buffer-limit", DEFAULT_LIMITS)
    client.close()


class SlowClient:
    """A raw connection with a tiny receive buffer that reads only when told to."""

    def __init__(self, port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Set before connect so the advertised window stays small: the server's buffers fill up quickly.
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(5)
        self.sock.connect(("127.0.0.1", port))
        self.id = int(self.call(b"CLIENT", b"ID")[1:-2])

    def call(self, *args: bytes) -> bytes:
        """Send one command and read a reply that fits in one line (CLIENT ID, SUBSCRIBE ...)."""
        self.sock.sendall(encode_command(*args))
        data = b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            data += self.sock.recv(65536)
            if data.endswith(b"\r\n") and (not data.startswith(b"*") or data.count(b"\r\n") >= 6):
                return data
        raise AssertionError(f"no full reply: {data!r}")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def drain(self, timeout: float = 10.0) -> tuple[int, bool]:
        """Read until EOF/reset or `timeout` of silence: (bytes read, closed by the server)."""
        total = 0
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    return total, True
                total += len(chunk)
        except ConnectionResetError:
            return total, True
        except TimeoutError:
            return total, False

    def close(self) -> None:
        self.sock.close()


def client_fields(r: redis.Redis, client_id: int) -> dict[str, str] | None:
    line = r.execute_command("CLIENT", "LIST", "ID", client_id)
    text = line.decode() if isinstance(line, bytes) else str(line)
    if not text.strip():
        return None
    return dict(field.split("=", 1) for field in text.split())


def gone(r: redis.Redis, client_id: int) -> bool:
    return client_fields(r, client_id) is None


def publish_until(r: redis.Redis, channel: str, stop: object, message_size: int = 32 * 1024,
                  max_bytes: int = 64 * 1024 * 1024) -> int:
    """PUBLISH until stop() is true (checked every 8 messages); the bytes published."""
    payload = b"x" * message_size
    sent = 0
    while sent < max_bytes:
        pipe = r.pipeline(transaction=False)
        for _ in range(8):
            pipe.publish(channel, payload)
        pipe.execute()
        sent += 8 * message_size
        if stop():  # type: ignore[operator]
            return sent
    raise AssertionError(f"published {sent} bytes and the condition never held")


def slow_subscriber(port: int, channel: bytes) -> SlowClient:
    sub = SlowClient(port)
    assert sub.call(b"SUBSCRIBE", channel) == b"*3\r\n$9\r\nsubscribe\r\n$%d\r\n%b\r\n:1\r\n" % (
        len(channel), channel)
    return sub


def log_has(server: ServerProcess, text: str) -> bool:
    return text in server.log_tail(200)


# ------------------------------------------------------------------------------------------------ pub/sub


def test_pubsub_hard_limit_disconnects_non_reading_subscriber(server: ServerProcess, r: redis.Redis) -> None:
    assert r.config_set("client-output-buffer-limit", "pubsub 1mb 512kb 60")
    sub = slow_subscriber(server.port, b"obuf-hard")
    reader = r.pubsub()
    reader.subscribe("obuf-hard")
    try:
        received = 0
        def reader_drains() -> None:
            nonlocal received
            while (msg := reader.get_message(timeout=0)) is not None:
                if msg["type"] == "message":
                    received += 1
        def stop() -> bool:
            reader_drains()
            return gone(r, sub.id)
        sent = publish_until(r, "obuf-hard", stop)
        # It took more than the limit to fill (the kernel's socket buffers come first), not endlessly more.
        assert sent >= 1024 * 1024
        assert r.ping()
        assert r.pubsub_numsub("obuf-hard") == [(b"obuf-hard", 1)]
        # The reading subscriber on the same channel lives on and got every message.
        wait_until(lambda: reader_drains() or received == sent // (32 * 1024), timeout=10,
                   message="the reading subscriber to get every message")
        assert client_fields(r, r.client_id()) is not None
        wait_until(lambda: log_has(server, ASYNC_LINE), timeout=5, message="the close-ASAP log line")
        line = next(ln for ln in server.log_tail(200).splitlines() if ASYNC_LINE in ln)
        assert re.search(rf"Client id={sub.id} addr=127\.0\.0\.1:\d+ .* flags=P .*sub=1 ", line), line
        # The subscriber finds its connection closed once it reads (what was sent before the close may
        # still arrive: Redis drops the buffered output, not what the kernel already holds).
        _, closed = sub.drain(timeout=10)
        assert closed
    finally:
        reader.close()
        sub.close()


def test_pubsub_soft_limit_closes_after_soft_seconds(server: ServerProcess, r: redis.Redis) -> None:
    assert r.config_set("client-output-buffer-limit", "pubsub 0 256kb 1")
    sub = slow_subscriber(server.port, b"obuf-soft")
    try:
        def over_soft() -> bool:
            fields = client_fields(r, sub.id)
            assert fields is not None, "closed before soft-seconds passed"
            return int(fields["omem"]) >= 256 * 1024
        publish_until(r, "obuf-soft", over_soft, message_size=16 * 1024)
        crossed = time.monotonic()
        # Redis counts whole seconds and closes once more than soft-seconds (1) passed: 1 to 3 s later.
        wait_until(lambda: gone(r, sub.id), timeout=6, interval=0.05, message="the soft-limit close")
        elapsed = time.monotonic() - crossed
        assert 0.5 <= elapsed <= 4.5, elapsed
        assert r.ping()
        # The close came from the cron (no writes were happening), hence the synchronous wording.
        wait_until(lambda: log_has(server, f"Client id={sub.id} ") and log_has(server, CRON_LINE), timeout=5,
                   message="the cron close log line")
    finally:
        sub.close()


def test_pubsub_soft_limit_below_soft_seconds_keeps_subscriber(server: ServerProcess, r: redis.Redis) -> None:
    assert r.config_set("client-output-buffer-limit", "pubsub 0 256kb 3")
    sub = slow_subscriber(server.port, b"obuf-soft2")
    try:
        def over_soft() -> bool:
            fields = client_fields(r, sub.id)
            return fields is not None and int(fields["omem"]) >= 256 * 1024
        sent = publish_until(r, "obuf-soft2", over_soft, message_size=16 * 1024)
        # Reading everything well within soft-seconds resets the clock: the subscriber stays.
        frame = b"*3\r\n$7\r\nmessage\r\n$10\r\nobuf-soft2\r\n$16384\r\n" + b"x" * 16384 + b"\r\n"
        want = len(frame) * (sent // (16 * 1024))
        received = 0
        sub.sock.settimeout(5)
        while received < want:
            chunk = sub.sock.recv(1 << 20)
            assert chunk, "the server closed the subscriber"
            received += len(chunk)
        assert received == want
        wait_until(lambda: int((client_fields(r, sub.id) or {"omem": "1"})["omem"]) == 0, timeout=5,
                   message="omem back to 0")
        r.publish("obuf-soft2", "small")
        # Well past soft-seconds (and the cron's whole-second rounding) it is still connected ...
        deadline = time.monotonic() + 4.2
        while time.monotonic() < deadline:
            assert not gone(r, sub.id)
            time.sleep(0.2)
        # ... and gets later messages.
        assert sub.drain(timeout=0.5) == (len(b"*3\r\n$7\r\nmessage\r\n$10\r\nobuf-soft2\r\n$5\r\nsmall\r\n"), False)
    finally:
        sub.close()


def test_reading_subscriber_is_not_disconnected(server: ServerProcess, r: redis.Redis) -> None:
    assert r.config_set("client-output-buffer-limit", "pubsub 1mb 512kb 60")
    p = r.pubsub()
    p.subscribe("obuf-read")
    assert p.get_message(timeout=5)["type"] == "subscribe"
    payload = b"y" * (32 * 1024)
    total = 128    # 4 MiB in all, four times the hard limit
    got = 0
    for _ in range(total):
        r.publish("obuf-read", payload)
        while (msg := p.get_message(timeout=0)) is not None:
            got += msg["type"] == "message"
    deadline = time.monotonic() + 10
    while got < total and time.monotonic() < deadline:
        msg = p.get_message(timeout=0.1)
        if msg is not None:
            got += msg["type"] == "message"
    assert got == total
    assert r.pubsub_numsub("obuf-read") == [(b"obuf-read", 1)]
    p.close()


def test_lowering_the_limit_closes_a_subscriber_already_over_it(server: ServerProcess, r: redis.Redis) -> None:
    sub = slow_subscriber(server.port, b"obuf-lower")
    try:
        def over() -> bool:
            fields = client_fields(r, sub.id)
            return fields is not None and int(fields["omem"]) >= 300 * 1024
        publish_until(r, "obuf-lower", over)
        fields = client_fields(r, sub.id)
        assert fields is not None
        assert int(fields["oll"]) > 0 and int(fields["tot-mem"]) >= int(fields["omem"])
        assert fields["flags"] == "P" and fields["sub"] == "1"
        # Default limits (32mb hard) keep it; lowering the limit below what it holds closes it (Redis: the
        # next clientsCron pass).
        assert not gone(r, sub.id)
        assert r.config_set("client-output-buffer-limit", "pubsub 100kb 0 0")
        wait_until(lambda: gone(r, sub.id), timeout=5, message="the subscriber to be closed")
    finally:
        sub.close()


# ------------------------------------------------------------------------------------------------ normal


def _pipeline_gets(port: int, count: int, then: bytes = b"") -> SlowClient:
    client = SlowClient(port)
    client.send(encode_command(b"GET", b"big") * count + then)
    return client


def test_normal_limit_disconnects_client_pipelining_large_gets(server: ServerProcess, r: redis.Redis) -> None:
    r.set("big", b"v" * (100 * 1024))
    assert r.config_set("client-output-buffer-limit", "normal 1mb 0 0")
    assert r.config_get("client-output-buffer-limit") == {
        "client-output-buffer-limit": "normal 1048576 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"}
    # 20 MB of replies, never read, then a write: the close stops the pipeline, so the write never runs.
    client = _pipeline_gets(server.port, 200, encode_command(b"SET", b"after", b"1"))
    try:
        wait_until(lambda: gone(r, client.id), timeout=10, message="the pipelining client to be closed")
        assert r.ping()
        assert r.exists("after") == 0
        assert r.get("big") == b"v" * (100 * 1024)
        wait_until(lambda: log_has(server, f"Client id={client.id} ") and log_has(server, ASYNC_LINE), timeout=5,
                   message="the close-ASAP log line")
        received, closed = client.drain(timeout=10)
        assert closed
        assert received < 200 * 100 * 1024
    finally:
        client.close()


def test_normal_default_limit_keeps_client_pipelining_large_gets(server: ServerProcess, r: redis.Redis) -> None:
    value = b"w" * (100 * 1024)
    r.set("big", value)
    client = _pipeline_gets(server.port, 40)     # 4 MB of replies, read only after a while
    try:
        def stuck() -> bool:
            fields = client_fields(r, client.id)
            return fields is not None and int(fields["omem"]) > 0
        wait_until(stuck, timeout=10, message="replies to pile up")
        assert not gone(r, client.id)
        reply = b"$%d\r\n%b\r\n" % (len(value), value)
        want = len(reply) * 40
        data = bytearray()
        client.sock.settimeout(10)
        while len(data) < want:
            chunk = client.sock.recv(1 << 20)
            assert chunk, "closed by the server"
            data += chunk
        assert bytes(data) == reply * 40
        assert not gone(r, client.id)
    finally:
        client.close()


def test_config_set_client_output_buffer_limit_round_trip(server: ServerProcess, r: redis.Redis) -> None:
    assert r.config_set("client-output-buffer-limit", "pubsub 2mb 1mb 5 normal 10mb 5mb 10")
    assert r.config_get("client-output-buffer-limit") == {
        "client-output-buffer-limit":
            "normal 10485760 5242880 10 slave 268435456 67108864 60 pubsub 2097152 1048576 5"}
    with pytest.raises(redis.ResponseError) as exc:
        r.config_set("client-output-buffer-limit", "pubsub 1mb 1mb")
    assert "Wrong number of arguments in buffer limit configuration" in str(exc.value)
    info = r.info("stats")
    assert "client_output_buffer_limit_disconnections" not in info   # a 7.2 field, absent from 7.0.15


def test_normal_limit_leaves_out_the_first_16k_of_output(server: ServerProcess, r: redis.Redis) -> None:
    # Redis keeps the first 16 KiB of a reply in the client's static buffer, which the limits do not count:
    # "normal 1 0 0" spares small replies and closes a client at its first reply over 16 KiB, sending nothing.
    r.set("k16", b"a" * 16000)
    r.set("k17", b"b" * 16380)
    assert r.config_set("client-output-buffer-limit", "normal 1 0 0")
    client = SlowClient(server.port)
    try:
        assert client.call(b"PING") == b"+PONG\r\n"
        client.send(encode_command(b"GET", b"k16"))
        want = b"$16000\r\n" + b"a" * 16000 + b"\r\n"
        data = b""
        while len(data) < len(want):
            chunk = client.sock.recv(65536)
            assert chunk, "closed by the server"
            data += chunk
        assert data == want
        client.send(encode_command(b"GET", b"k17"))
        assert client.drain(timeout=5) == (0, True)
        wait_until(lambda: gone(r, client.id), timeout=5, message="the client to be freed")
        assert r.ping()
    finally:
        client.close()
