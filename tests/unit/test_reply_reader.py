"""protocol/reader.py: the hiredis-backed reader for replies we receive from other servers."""
from __future__ import annotations

import hiredis

from pyredcache.protocol.reader import NEED_DATA, ReplyReader
from pyredcache.protocol.reply import encode_value


def test_reader_returns_need_data_until_a_reply_is_complete():
    r = ReplyReader()
    r.feed(b"$5\r\nhel")
    assert r.get() is NEED_DATA
    r.feed(b"lo\r\n:42\r\n")
    assert r.get() == b"hello"
    assert r.get() == 42
    assert r.get() is NEED_DATA


def test_reader_round_trips_our_encoder():
    value = [b"a", 1, None, [b"nested", -7]]
    r = ReplyReader()
    r.feed(encode_value(value))
    assert r.get() == value


def test_reader_returns_error_replies_as_exceptions():
    r = ReplyReader()
    r.feed(b"-ERR boom\r\n")
    reply = r.get()
    assert isinstance(reply, hiredis.ReplyError) and str(reply) == "ERR boom"
