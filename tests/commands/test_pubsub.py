"""Pub/Sub commands through redis-py: delivery, patterns, counts, disconnect cleanup, keyspace events."""
from __future__ import annotations

from typing import Any

from helpers.wait import wait_until


def _message(p: Any) -> Any:
    box: list[Any] = []
    wait_until(lambda: bool(box.append(p.get_message(timeout=0.1)) or box[-1]))
    return box[-1]


def test_publish_delivers_to_channel_and_pattern(r: Any) -> None:
    p = r.pubsub()
    p.subscribe("news")
    p.psubscribe("n*")
    assert _message(p)["type"] == "subscribe"
    assert _message(p)["type"] == "psubscribe"
    assert r.publish("news", "hi") == 2
    assert _message(p) == {"type": "message", "pattern": None, "channel": b"news", "data": b"hi"}
    assert _message(p)["type"] == "pmessage"
    assert r.pubsub_numsub("news") == [(b"news", 1)]
    assert r.pubsub_numpat() == 1
    assert r.pubsub_channels() == [b"news"]
    p.close()
    wait_until(lambda: r.pubsub_numpat() == 0 and r.pubsub_channels() == [])


def test_publish_without_subscribers_returns_zero(r: Any) -> None:
    assert r.publish("nobody", "x") == 0
    assert r.execute_command("SPUBLISH", "nobody", "x") == 0


def test_keyspace_events_published(r: Any) -> None:
    r.config_set("notify-keyspace-events", "KEA")
    try:
        p = r.pubsub()
        p.psubscribe("__keyevent@0__:*")
        assert _message(p)["type"] == "psubscribe"
        r.set("k", "v")
        msg = _message(p)
        assert msg["channel"] == b"__keyevent@0__:set" and msg["data"] == b"k"
        p.close()
    finally:
        r.config_set("notify-keyspace-events", "")
