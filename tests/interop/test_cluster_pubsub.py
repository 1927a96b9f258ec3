"""Pub/sub in a 6-node cluster (redis-server clusters validate the test logic; pyredcache clusters are the
subject): sharded SSUBSCRIBE/SPUBLISH reach the subscribers on the nodes of the channel's shard only, and a
PUBLISH sent to one node reaches the subscribers of every node (the cluster bus carries it). Raw sockets, so
the frames are checked byte for byte.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers import cluster as hc
from helpers.cluster import ClusterHandle, key_slot, slot_keys
from helpers.rawclient import RawClient, encode_command

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(120),
              pytest.mark.skipif(hc.MISSING is not None, reason=hc.MISSING or "")]


@pytest.fixture(scope="module", params=hc.KINDS)
def six(request: pytest.FixtureRequest) -> Iterator[ClusterHandle]:
    yield from hc.shared_cluster([request.param] * 6)


def bulk(s: str) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(s.encode()), s.encode())


def push(kind: str, channel: str, payload: str) -> bytes:
    return b"*3\r\n" + bulk(kind) + bulk(channel) + bulk(payload)


def no_message(client: RawClient) -> bool:
    """Nothing arrives within a short window (a PING's reply comes first if nothing was queued)."""
    client.send(encode_command("PING"))
    return client.read_reply() == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"


def test_sharded_pubsub_reaches_the_shard_nodes_only(six: ClusterHandle) -> None:
    six.wait_ok(10)
    primaries = six.primaries()
    owner = primaries[0]
    [replica] = six.replicas_of(owner)
    channel = slot_keys(six.node_for_slot, owner, 1, "news")[0]
    slot = key_slot(channel)
    subs = {n.node_id: RawClient(n.port) for n in (owner, replica)}
    elsewhere = primaries[1]
    other_channel = slot_keys(six.node_for_slot, elsewhere, 1, "other")[0]
    other_sub = RawClient(elsewhere.port)
    try:
        for c in subs.values():
            assert c.command("SSUBSCRIBE", channel) == b"*3\r\n" + bulk("ssubscribe") + bulk(channel) + b":1\r\n"
        assert other_sub.command("SSUBSCRIBE", other_channel) == (
            b"*3\r\n" + bulk("ssubscribe") + bulk(other_channel) + b":1\r\n")
        # A node that does not serve the slot redirects, as for a key.
        probe = RawClient(elsewhere.port)
        try:
            assert probe.command("SSUBSCRIBE", channel) == f"-MOVED {slot} 127.0.0.1:{owner.port}\r\n".encode()
            assert probe.command("SPUBLISH", channel, "x") == f"-MOVED {slot} 127.0.0.1:{owner.port}\r\n".encode()
        finally:
            probe.sock.close()
        # Through the cluster client (routed to the owner); the count is the owner's local subscribers.
        rc = six.client()
        assert rc.execute_command("SPUBLISH", channel, "hello") == 1
        for c in subs.values():
            assert c.read_reply() == push("smessage", channel, "hello")
        assert owner.cmd("SPUBLISH", channel, "again") == 1
        for c in subs.values():
            assert c.read_reply() == push("smessage", channel, "again")
        assert no_message(other_sub)
        assert owner.cmd("PUBSUB", "SHARDCHANNELS") == [channel.encode()]
        assert owner.cmd("PUBSUB", "SHARDNUMSUB", channel) == [channel.encode(), 1]
        six.wait(lambda: replica.cmd("PUBSUB", "SHARDNUMSUB", channel) == [channel.encode(), 1], 5,
                 "the replica's subscriber count")
        for c in subs.values():
            assert c.command("SUNSUBSCRIBE", channel) == b"*3\r\n" + bulk("sunsubscribe") + bulk(channel) + b":0\r\n"
        assert owner.cmd("SPUBLISH", channel, "nobody") == 0
    finally:
        for c in [*subs.values(), other_sub]:
            c.sock.close()


def test_publish_is_delivered_cluster_wide(six: ClusterHandle) -> None:
    six.wait_ok(10)
    subs = {n.node_id: RawClient(n.port) for n in six.nodes}
    psub = RawClient(six.nodes[1].port)
    try:
        for c in subs.values():
            assert c.command("SUBSCRIBE", "broadcast") == b"*3\r\n" + bulk("subscribe") + bulk("broadcast") + b":1\r\n"
        assert psub.command("PSUBSCRIBE", "broad*") == b"*3\r\n" + bulk("psubscribe") + bulk("broad*") + b":1\r\n"
        for i, sender in enumerate(six.nodes):
            # The reply counts the sending node's local receivers: its SUBSCRIBE (and the PSUBSCRIBE on node1).
            assert sender.cmd("PUBLISH", "broadcast", f"m{i}") == (2 if sender is six.nodes[1] else 1)
            for c in subs.values():
                assert c.read_reply() == push("message", "broadcast", f"m{i}")
            assert psub.read_reply() == (b"*4\r\n" + bulk("pmessage") + bulk("broad*") + bulk("broadcast") +
                                         bulk(f"m{i}"))
        # A replica can publish too, and a channel nobody listens to anywhere counts 0 locally.
        replica = next(n for n in six.nodes if n.myself().role == "slave")
        assert replica.cmd("PUBLISH", "silence", "x") == 0
        for c in subs.values():
            assert no_message(c)
    finally:
        for c in [*subs.values(), psub]:
            c.sock.close()
