"""Pub/Sub commands (Redis group "pubsub"): (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH, PUBSUB.

Subscriptions live in server/pubsub.py; confirmations and messages are push replies (arrays in RESP2).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .. import errors
from .._speedups.glob import stringmatch
from ..errors import ReplyError
from ..replication import propagate
from ..server.client import ClientFlag
from ..server.pubsub import registry
from .generic import reply_help
from .table import command, container, key_range, subcommand

if TYPE_CHECKING:
    from ..server.client import Client

_SUB_FLAGS = "PUBSUB NOSCRIPT LOADING STALE"
_PUB_FLAGS = "PUBSUB LOADING STALE FAST"


def _confirm(c: Client, kind: bytes, name: bytes | None, count: int) -> None:
    """addReplyPubsub(Un)Subscribed: [kind, name, count] as a push (an array in RESP2)."""
    out = c.out
    out.push_header(3)
    out.bulk(kind)
    if name is None:
        out.null()
    else:
        out.bulk(name)
    out.integer(count)


def _shard_count(c: Client) -> int:
    return len(c.sub_shard_channels)


# ------------------------------------------------------------------------------------------ channels


@command("subscribe", -2, _SUB_FLAGS, acl="@pubsub", group="pubsub", since="2.0.0",
         complexity="O(N) where N is the number of channels to subscribe to.",
         summary="Listen for messages published to the given channels", args="channel:string...")
def subscribe_command(c: Client, argv: list[bytes]) -> None:
    """SUBSCRIBE channel [channel ...]"""
    ps = registry(c.server)
    for channel in argv[1:]:
        ps.subscribe(c, channel)
        _confirm(c, b"subscribe", channel, c.subscriptions())
    c.update_pubsub_flag()


@command("unsubscribe", -1, _SUB_FLAGS, acl="@pubsub", group="pubsub", since="2.0.0",
         complexity="O(N) where N is the number of clients already subscribed to a channel.",
         summary="Stop listening for messages posted to the given channels", args="[channel:string...]")
def unsubscribe_command(c: Client, argv: list[bytes]) -> None:
    """UNSUBSCRIBE [channel [channel ...]]"""
    ps = registry(c.server)
    names = argv[1:] if len(argv) > 1 else list(c.sub_channels)
    if not names:
        _confirm(c, b"unsubscribe", None, c.subscriptions())
    for channel in names:
        ps.unsubscribe(c, channel)
        _confirm(c, b"unsubscribe", channel, c.subscriptions())
    c.update_pubsub_flag()


@command("psubscribe", -2, _SUB_FLAGS, acl="@pubsub", group="pubsub", since="2.0.0",
         complexity="O(N) where N is the number of patterns the client is already subscribed to.",
         summary="Listen for messages published to channels matching the given patterns",
         args="pattern:{pattern:pattern}...")
def psubscribe_command(c: Client, argv: list[bytes]) -> None:
    """PSUBSCRIBE pattern [pattern ...]"""
    ps = registry(c.server)
    for pattern in argv[1:]:
        ps.psubscribe(c, pattern)
        _confirm(c, b"psubscribe", pattern, c.subscriptions())
    c.update_pubsub_flag()


@command("punsubscribe", -1, _SUB_FLAGS, acl="@pubsub", group="pubsub", since="2.0.0",
         complexity="O(N+M) where N is the number of patterns the client is already subscribed and M is the "
                    "number of total patterns subscribed in the system (by any client).",
         summary="Stop listening for messages posted to channels matching the given patterns",
         args="[pattern:pattern...]")
def punsubscribe_command(c: Client, argv: list[bytes]) -> None:
    """PUNSUBSCRIBE [pattern [pattern ...]]"""
    ps = registry(c.server)
    names = argv[1:] if len(argv) > 1 else list(c.sub_patterns)
    if not names:
        _confirm(c, b"punsubscribe", None, c.subscriptions())
    for pattern in names:
        ps.punsubscribe(c, pattern)
        _confirm(c, b"punsubscribe", pattern, c.subscriptions())
    c.update_pubsub_flag()


@command("publish", 3, _PUB_FLAGS, acl="@pubsub", group="pubsub", since="2.0.0",
         complexity="O(N+M) where N is the number of clients subscribed to the receiving channel and M is the "
                    "total number of subscribed patterns (by any client).",
         summary="Post a message to a channel", args="channel:string message:string")
def publish_command(c: Client, argv: list[bytes]) -> None:
    """PUBLISH channel message"""
    ps = getattr(c.server, "pubsub", None)
    c.out.integer(0 if ps is None else ps.publish(argv[1], argv[2], c))
    cluster = c.server.cluster
    if cluster is not None:
        # Every node (replicas included) gets it over the cluster bus instead of the replication stream.
        from ..cluster.routing import publish

        publish(cluster, argv[1], argv[2], shard=False)
    else:
        propagate.force(c)      # replicas deliver it to their own subscribers


# ------------------------------------------------------------------------------------------ shard channels


@command("ssubscribe", -2, _SUB_FLAGS, keys=[key_range(1, "NOT_KEY", lastkey=-1)], acl="@pubsub",
         group="pubsub", since="7.0.0",
         complexity="O(N) where N is the number of shard channels to subscribe to.",
         summary="Listen for messages published to the given shard channels", args="shardchannel:string...")
def ssubscribe_command(c: Client, argv: list[bytes]) -> None:
    """SSUBSCRIBE shardchannel [shardchannel ...]"""
    if c.flags & ClientFlag.MULTI:
        raise ReplyError(b"ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client")
    ps = registry(c.server)
    for channel in argv[1:]:
        ps.ssubscribe(c, channel)
        _confirm(c, b"ssubscribe", channel, _shard_count(c))
    c.update_pubsub_flag()


@command("sunsubscribe", -1, _SUB_FLAGS, keys=[key_range(1, "NOT_KEY", lastkey=-1)], acl="@pubsub",
         group="pubsub", since="7.0.0",
         complexity="O(N) where N is the number of clients already subscribed to a shard channel.",
         summary="Stop listening for messages posted to the given shard channels",
         args="[shardchannel:string...]")
def sunsubscribe_command(c: Client, argv: list[bytes]) -> None:
    """SUNSUBSCRIBE [shardchannel [shardchannel ...]]"""
    ps = registry(c.server)
    names = argv[1:] if len(argv) > 1 else list(c.sub_shard_channels)
    if not names:
        _confirm(c, b"sunsubscribe", None, _shard_count(c))
    for channel in names:
        ps.sunsubscribe(c, channel)
        _confirm(c, b"sunsubscribe", channel, _shard_count(c))
    c.update_pubsub_flag()


@command("spublish", 3, _PUB_FLAGS, keys=[key_range(1, "NOT_KEY")], acl="@pubsub", group="pubsub",
         since="7.0.0",
         complexity="O(N) where N is the number of clients subscribed to the receiving shard channel.",
         summary="Post a message to a shard channel", args="shardchannel:string message:string")
def spublish_command(c: Client, argv: list[bytes]) -> None:
    """SPUBLISH shardchannel message"""
    ps = getattr(c.server, "pubsub", None)
    c.out.integer(0 if ps is None else ps.spublish(argv[1], argv[2], c))
    cluster = c.server.cluster
    if cluster is not None:
        from ..cluster.routing import publish

        publish(cluster, argv[1], argv[2], shard=True)
    else:
        propagate.force(c)


# ------------------------------------------------------------------------------------------ PUBSUB


container("pubsub", -2, group="pubsub", since="2.8.0", complexity="Depends on subcommand.",
          summary="A container for Pub/Sub commands")

_PUBSUB_HELP: Final = (
    b"CHANNELS [<pattern>]",
    b"    Return the currently active channels matching a <pattern> (default: '*').",
    b"NUMPAT",
    b"    Return number of subscriptions to patterns.",
    b"NUMSUB [<channel> ...]",
    b"    Return the number of subscribers for the specified channels, excluding",
    b"    pattern subscriptions(default: no channels).",
    b"SHARDCHANNELS [<pattern>]",
    b"    Return the currently active shard level channels matching a <pattern> (default: '*').",
    b"SHARDNUMSUB [<shardchannel> ...]",
    b"    Return the number of subscribers for the specified shard level channel(s)",
)

_PUBSUB_SUB_FLAGS = "PUBSUB LOADING STALE"


def _list_channels(c: Client, table: dict[bytes, dict[Client, None]], argv: list[bytes]) -> None:
    if len(argv) > 3:
        raise ReplyError(errors.subcommand_syntax(argv[1], argv[0]))
    pattern = argv[2] if len(argv) == 3 else None
    names = [name for name in table if pattern is None or stringmatch(pattern, name)]
    c.out.bulk_array(names)


def _count_subscribers(c: Client, table: dict[bytes, dict[Client, None]], argv: list[bytes]) -> None:
    out = c.out
    out.array_header((len(argv) - 2) * 2)
    for name in argv[2:]:
        out.bulk(name)
        subs = table.get(name)
        out.integer(len(subs) if subs else 0)


def _tables(c: Client) -> tuple[dict[bytes, dict[Client, None]], ...]:
    ps = registry(c.server)
    return ps.channels, ps.patterns, ps.shard_channels


@subcommand("pubsub", "channels", -2, _PUBSUB_SUB_FLAGS, acl="@pubsub", since="2.8.0",
            complexity="O(N) where N is the number of active channels, and assuming constant time pattern "
                       "matching (relatively short channels and patterns)",
            summary="List active channels", args="[pattern:pattern]")
def pubsub_channels_command(c: Client, argv: list[bytes]) -> None:
    """PUBSUB CHANNELS [pattern]"""
    _list_channels(c, _tables(c)[0], argv)


@subcommand("pubsub", "numsub", -2, _PUBSUB_SUB_FLAGS, acl="@pubsub", since="2.8.0",
            complexity="O(N) for the NUMSUB subcommand, where N is the number of requested channels",
            summary="Get the count of subscribers for channels", args="[channel:string...]")
def pubsub_numsub_command(c: Client, argv: list[bytes]) -> None:
    """PUBSUB NUMSUB [channel [channel ...]]"""
    _count_subscribers(c, _tables(c)[0], argv)


@subcommand("pubsub", "numpat", 2, _PUBSUB_SUB_FLAGS, acl="@pubsub", since="2.8.0", complexity="O(1)",
            summary="Get the count of unique patterns pattern subscriptions")
def pubsub_numpat_command(c: Client, argv: list[bytes]) -> None:
    """PUBSUB NUMPAT"""
    c.out.integer(len(_tables(c)[1]))


@subcommand("pubsub", "shardchannels", -2, _PUBSUB_SUB_FLAGS, acl="@pubsub", since="7.0.0",
            complexity="O(N) where N is the number of active shard channels, and assuming constant time "
                       "pattern matching (relatively short shard channels).",
            summary="List active shard channels", args="[pattern:pattern]")
def pubsub_shardchannels_command(c: Client, argv: list[bytes]) -> None:
    """PUBSUB SHARDCHANNELS [pattern]"""
    _list_channels(c, _tables(c)[2], argv)


@subcommand("pubsub", "shardnumsub", -2, _PUBSUB_SUB_FLAGS, acl="@pubsub", since="7.0.0",
            complexity="O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
            summary="Get the count of subscribers for shard channels", args="[shardchannel:string...]")
def pubsub_shardnumsub_command(c: Client, argv: list[bytes]) -> None:
    """PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]]"""
    _count_subscribers(c, _tables(c)[2], argv)


@subcommand("pubsub", "help", 2, "LOADING STALE", since="6.2.0", complexity="O(1)",
            summary="Show helpful text about the different subcommands")
def pubsub_help_command(c: Client, argv: list[bytes]) -> None:
    """PUBSUB HELP"""
    reply_help(c, argv[0], _PUBSUB_HELP)
