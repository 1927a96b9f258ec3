"""ReplyWriter (sans-IO): every encoder's RESP2 and RESP3 bytes, buffer growth/take/discard, encode_value."""
from __future__ import annotations

import math

import pytest

from pyredcache.protocol.reply import ReplyWriter, encode_value

LLONG_MAX = (1 << 63) - 1
LLONG_MIN = -(1 << 63)


def written(resp: int, method: str, *args: object) -> bytes:
    w = ReplyWriter(resp)
    getattr(w, method)(*args)
    return bytes(w.take())


def both(method: str, *args: object) -> tuple[bytes, bytes]:
    return written(2, method, *args), written(3, method, *args)


# ---------------------------------------------------------------------------------------- scalars


def test_writer_simple_and_error_and_ok():
    assert both("simple", b"OK") == (b"+OK\r\n", b"+OK\r\n")
    assert both("simple", b"RESET") == (b"+RESET\r\n", b"+RESET\r\n")
    assert both("error", b"ERR bad") == (b"-ERR bad\r\n", b"-ERR bad\r\n")
    assert both("ok") == (b"+OK\r\n", b"+OK\r\n")


def test_writer_raw_is_copied_verbatim():
    assert both("raw", b"+PONG\r\n:1\r\n") == (b"+PONG\r\n:1\r\n", b"+PONG\r\n:1\r\n")
    assert both("raw", b"") == (b"", b"")


@pytest.mark.parametrize("value", [0, 1, -1, 2, 42, -42, 1000000, LLONG_MAX, LLONG_MIN])
def test_writer_integer(value):
    expected = b":%d\r\n" % value
    assert both("integer", value) == (expected, expected)


def test_writer_integer_out_of_64_bits_raises():
    w = ReplyWriter(2)
    with pytest.raises(OverflowError):
        w.integer(LLONG_MAX + 1)


@pytest.mark.parametrize("value,expected", [
    (b"", b"$0\r\n\r\n"),
    (b"hello", b"$5\r\nhello\r\n"),
    (b"a\r\nb", b"$4\r\na\r\nb\r\n"),
    (bytearray(b"xyz"), b"$3\r\nxyz\r\n"),
    (memoryview(b"mv"), b"$2\r\nmv\r\n"),
    ("text", b"$4\r\ntext\r\n"),
    ("é", b"$2\r\n\xc3\xa9\r\n"),
    (12345, b"$5\r\n12345\r\n"),
    (-7, b"$2\r\n-7\r\n"),
])
def test_writer_bulk(value, expected):
    assert both("bulk", value) == (expected, expected)


def test_writer_bulk_is_binary_safe():
    payload = bytes(range(256))
    assert written(2, "bulk", payload) == b"$256\r\n" + payload + b"\r\n"


def test_writer_bulk_rejects_other_types():
    w = ReplyWriter(2)
    with pytest.raises(TypeError):
        w.bulk(1.5)
    with pytest.raises(TypeError):
        w.bulk(None)


def test_writer_null_depends_on_protocol():
    assert both("null") == (b"$-1\r\n", b"_\r\n")
    assert both("null_array") == (b"*-1\r\n", b"_\r\n")
    assert both("bulk_or_null", None) == (b"$-1\r\n", b"_\r\n")
    assert both("bulk_or_null", b"v") == (b"$1\r\nv\r\n", b"$1\r\nv\r\n")


def test_writer_boolean():
    assert both("boolean", True) == (b":1\r\n", b"#t\r\n")
    assert both("boolean", False) == (b":0\r\n", b"#f\r\n")


@pytest.mark.parametrize("value", [3.141, 0.1, 1.0, -2.5, 0.0, 1e300, 1.5e-10, 123456789.123456789,
                                   2.0 ** 53 + 1, -0.0])
def test_writer_double_is_percent_17g(value):
    text = b"%.17g" % value   # addReplyDouble's format
    assert both("double", value) == (b"$%d\r\n%s\r\n" % (len(text), text), b"," + text + b"\r\n")


def test_writer_double_infinities_and_nan():
    assert both("double", math.inf) == (b"$3\r\ninf\r\n", b",inf\r\n")
    assert both("double", -math.inf) == (b"$4\r\n-inf\r\n", b",-inf\r\n")
    assert both("double", math.nan) == (b"$3\r\nnan\r\n", b",nan\r\n")


def test_writer_put_double_matches_double():
    for v in (3.141, math.inf, 0.1):
        assert written(3, "put_double", v) == written(3, "double", v)


def test_writer_bignum():
    digits = b"1234567999999999999999999999999999999"
    assert both("bignum", digits) == (b"$37\r\n" + digits + b"\r\n", b"(" + digits + b"\r\n")


def test_writer_verbatim():
    text = b"This is a verbatim\nstring"
    assert both("verbatim", text) == (b"$25\r\n" + text + b"\r\n", b"=29\r\ntxt:" + text + b"\r\n")
    assert written(3, "verbatim", b"# x", b"mkd") == b"=7\r\nmkd:# x\r\n"
    assert written(3, "verbatim", b"", b"txt") == b"=4\r\ntxt:\r\n"


# ---------------------------------------------------------------------------------------- aggregates


def test_writer_array_header():
    assert both("array_header", 0) == (b"*0\r\n", b"*0\r\n")
    assert both("array_header", 3) == (b"*3\r\n", b"*3\r\n")


def test_writer_map_header_is_a_flat_array_in_resp2():
    assert both("map_header", 0) == (b"*0\r\n", b"%0\r\n")
    assert both("map_header", 7) == (b"*14\r\n", b"%7\r\n")


def test_writer_set_and_push_headers():
    assert both("set_header", 3) == (b"*3\r\n", b"~3\r\n")
    assert both("push_header", 2) == (b"*2\r\n", b">2\r\n")


def test_writer_bulk_array():
    assert both("bulk_array", [b"a", None, b"bc"]) == (
        b"*3\r\n$1\r\na\r\n$-1\r\n$2\r\nbc\r\n", b"*3\r\n$1\r\na\r\n_\r\n$2\r\nbc\r\n")
    assert both("bulk_array", []) == (b"*0\r\n", b"*0\r\n")


def test_writer_hello_map_in_both_protocols():
    def hello(resp: int) -> bytes:
        w = ReplyWriter(resp)
        w.map_header(2)
        w.bulk(b"server")
        w.bulk(b"redis")
        w.bulk(b"proto")
        w.integer(resp)
        return bytes(w.take())

    assert hello(2) == b"*4\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:2\r\n"
    assert hello(3) == b"%2\r\n$6\r\nserver\r\n$5\r\nredis\r\n$5\r\nproto\r\n:3\r\n"


# ---------------------------------------------------------------------------------------- the buffer


def test_writer_resp_attribute_switches_encodings():
    w = ReplyWriter(2)
    assert w.resp == 2
    w.null()
    w.resp = 3
    w.null()
    assert bytes(w.take()) == b"$-1\r\n_\r\n"


def test_writer_default_protocol_is_resp2():
    w = ReplyWriter()
    w.null()
    assert bytes(w.take()) == b"$-1\r\n"


def test_writer_len_and_take_empties_the_buffer():
    w = ReplyWriter(2)
    assert len(w) == 0
    w.ok()
    w.integer(7)
    assert len(w) == 9
    assert bytes(w.take()) == b"+OK\r\n:7\r\n"
    assert len(w) == 0
    assert bytes(w.take()) == b""


def test_writer_discard_from_drops_a_partial_reply():
    w = ReplyWriter(2)
    w.ok()
    mark = len(w)
    w.array_header(2)
    w.bulk(b"x")
    w.discard_from(mark)
    w.error(b"ERR replaced")
    assert bytes(w.take()) == b"+OK\r\n-ERR replaced\r\n"


def test_writer_discard_from_ignores_bad_marks():
    w = ReplyWriter(2)
    w.ok()
    w.discard_from(100)
    w.discard_from(-1)
    assert bytes(w.take()) == b"+OK\r\n"


def test_writer_grows_for_large_replies_and_shrinks_after_take():
    w = ReplyWriter(2)
    big = b"z" * (3 * 1024 * 1024)
    w.array_header(2)
    w.bulk(big)
    w.bulk(b"tail")
    out = bytes(w.take())
    assert out == b"*2\r\n$%d\r\n" % len(big) + big + b"\r\n$4\r\ntail\r\n"
    w.ok()   # still usable after the big buffer was given back
    assert bytes(w.take()) == b"+OK\r\n"


def test_writer_many_small_writes():
    w = ReplyWriter(3)
    for i in range(10000):
        w.integer(i)
    assert bytes(w.take()) == b"".join(b":%d\r\n" % i for i in range(10000))


# ---------------------------------------------------------------------------------------- encode_value


def test_encode_value_resp2_and_resp3():
    value = {b"a": [1, None, True], b"b": 2.5}
    assert encode_value(value, 2) == (b"*4\r\n$1\r\na\r\n*3\r\n:1\r\n$-1\r\n:1\r\n$1\r\nb\r\n$3\r\n2.5\r\n")
    assert encode_value(value, 3) == (b"%2\r\n$1\r\na\r\n*3\r\n:1\r\n_\r\n#t\r\n$1\r\nb\r\n,2.5\r\n")


def test_encode_value_sets_and_strings():
    assert encode_value({b"x"}, 3) == b"~1\r\n$1\r\nx\r\n"
    assert encode_value({b"x"}, 2) == b"*1\r\n$1\r\nx\r\n"
    assert encode_value("s") == b"$1\r\ns\r\n"
    assert encode_value((b"a", 1)) == b"*2\r\n$1\r\na\r\n:1\r\n"


def test_encode_value_rejects_unknown_types():
    with pytest.raises(TypeError):
        encode_value(object())
