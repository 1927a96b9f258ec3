"""RequestParser (sans-IO, no sockets): multibulk and inline requests, every split point, Redis's limits and
exact protocol errors, and the sdssplitargs rules of split_args."""
from __future__ import annotations

import pytest

from pyredcache.protocol.request import RequestParser, split_args

PIPELINE = (
    b"*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n"      # CRLF inside a bulk payload
    b"PING\r\n"                                                 # inline
    b"\r\n"                                                     # empty line
    b"*-1\r\n"                                                  # negative count: ignored
    b"*0\r\n"                                                   # zero count: ignored
    b"*2\r\n$4\r\nECHO\r\n$0\r\n\r\n"                           # empty bulk
    b"echo \"a b\" 'c d'\n"                                     # inline with quotes, LF only
    b"*1\r\n$4\r\nPING\r\n"
)
PIPELINE_ARGV = [
    [b"SET", b"key", b"va\r\nl"],
    [b"PING"],
    [b"ECHO", b""],
    [b"echo", b"a b", b"c d"],
    [b"PING"],
]


def parse_all(*chunks: bytes, **limits: int) -> tuple[list[list[bytes]], RequestParser]:
    p = RequestParser(**limits)
    out: list[list[bytes]] = []
    for chunk in chunks:
        out.extend(p.feed(chunk))
    return out, p


def error_of(data: bytes, **limits: int) -> bytes | None:
    _, p = parse_all(data, **limits)
    return p.error


# ---------------------------------------------------------------------------------------- complete requests


def test_parser_multibulk_request():
    argv, p = parse_all(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n")
    assert argv == [[b"GET", b"k"]]
    assert p.error is None
    assert p.pending_bytes() == 0


def test_parser_inline_request_crlf_and_lf():
    assert parse_all(b"PING\r\n")[0] == [[b"PING"]]
    assert parse_all(b"PING\n")[0] == [[b"PING"]]
    assert parse_all(b"  set   a    b  \r\n")[0] == [[b"set", b"a", b"b"]]


def test_parser_pipeline_in_one_feed():
    argv, p = parse_all(PIPELINE)
    assert argv == PIPELINE_ARGV
    assert p.pending_bytes() == 0


def test_parser_every_split_point_gives_the_same_requests():
    for k in range(len(PIPELINE) + 1):
        argv, p = parse_all(PIPELINE[:k], PIPELINE[k:])
        assert argv == PIPELINE_ARGV, f"split at {k}"
        assert p.error is None and p.pending_bytes() == 0


def test_parser_every_pair_of_split_points_gives_the_same_requests():
    data = b"*2\r\n$4\r\nECHO\r\n$3\r\nabc\r\nPING\r\n*1\r\n$4\r\nPING\r\n"
    expected = [[b"ECHO", b"abc"], [b"PING"], [b"PING"]]
    for i in range(len(data) + 1):
        for j in range(i, len(data) + 1):
            argv, p = parse_all(data[:i], data[i:j], data[j:])
            assert argv == expected, (i, j)
            assert p.pending_bytes() == 0


def test_parser_one_byte_at_a_time():
    argv, p = parse_all(*(PIPELINE[i:i + 1] for i in range(len(PIPELINE))))
    assert argv == PIPELINE_ARGV
    assert p.pending_bytes() == 0


def test_parser_partial_request_waits():
    p = RequestParser()
    assert p.feed(b"*2\r\n$3\r\nGET\r\n$1\r\n") == []
    assert p.feed(b"k") == []
    assert p.pending_bytes() == 1
    assert p.feed(b"\r") == []
    assert p.feed(b"\n") == [[b"GET", b"k"]]
    assert p.pending_bytes() == 0


def test_parser_inline_without_newline_waits():
    p = RequestParser()
    assert p.feed(b"PING") == []
    assert p.feed(b"\r\n") == [[b"PING"]]


def test_parser_accepts_bytearray_and_memoryview_chunks():
    p = RequestParser()
    assert p.feed(bytearray(b"*1\r\n$4\r\nPI")) == []
    assert p.feed(memoryview(b"NG\r\n")) == [[b"PING"]]


def test_parser_binary_safe_bulks():
    payload = bytes(range(256)) * 4
    data = b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(payload), payload, len(payload), payload)
    argv, _ = parse_all(data)
    assert argv == [[b"SET", payload, payload]]
    for k in range(0, len(data), 97):
        assert parse_all(data[:k], data[k:])[0] == [[b"SET", payload, payload]]


def test_parser_large_bulk_across_many_feeds():
    payload = b"x" * 300_000
    data = b"*2\r\n$4\r\nECHO\r\n$300000\r\n" + payload + b"\r\n"
    chunks = [data[i:i + 4096] for i in range(0, len(data), 4096)]
    argv, p = parse_all(*chunks)
    assert argv == [[b"ECHO", payload]]
    assert p.pending_bytes() == 0


def test_parser_does_not_check_the_crlf_after_a_bulk():
    # Redis skips the two bytes after a bulk payload without looking at them (processMultibulkBuffer).
    assert parse_all(b"*1\r\n$4\r\nPINGxx*1\r\n$4\r\nPING\r\n")[0] == [[b"PING"], [b"PING"]]


def test_parser_header_line_end_needs_only_one_more_byte():
    # The byte after '\r' in a header is skipped unseen, as in Redis.
    assert parse_all(b"*1\rX$4\rXPING\r\n")[0] == [[b"PING"]]


def test_parser_empty_lines_and_non_positive_counts_are_ignored():
    argv, p = parse_all(b"\r\n\n   \r\n*0\r\n*-10\r\nPING\r\n")
    assert argv == [[b"PING"]]
    assert p.error is None


def test_parser_leading_zero_counts_are_invalid():
    assert error_of(b"*01\r\n") == b"ERR Protocol error: invalid multibulk length"
    assert error_of(b"*1\r\n$04\r\nPING\r\n") == b"ERR Protocol error: invalid bulk length"


# ---------------------------------------------------------------------------------------- protocol errors


@pytest.mark.parametrize("data", [
    b"*3000000000\r\n", b"*2147483648\r\n", b"*abc\r\n", b"*\r\n", b"*-\r\n", b"*+1\r\n", b"*1.5\r\n",
    b"*99999999999999999999\r\n", b"*" + b"1" * 70000 + b"\r\n",
])
def test_parser_invalid_multibulk_length(data):
    assert error_of(data) == b"ERR Protocol error: invalid multibulk length"


def test_parser_largest_multibulk_length_is_accepted():
    argv, p = parse_all(b"*2147483647\r\n")
    assert argv == [] and p.error is None


@pytest.mark.parametrize("header", [
    b"$-1", b"$-10", b"$blabla", b"$", b"$+4", b"$1.0", b"$536870913", b"$2000000000",
    b"$" + b"9" * 70000,
])
def test_parser_invalid_bulk_length(header):
    assert error_of(b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n" + header + b"\r\n") == (
        b"ERR Protocol error: invalid bulk length")


def test_parser_bulk_length_limit_is_max_bulk_len():
    assert error_of(b"*1\r\n$101\r\n", max_bulk_len=100) == b"ERR Protocol error: invalid bulk length"
    argv, p = parse_all(b"*1\r\n$100\r\n", max_bulk_len=100)
    assert p.error is None and argv == []


def test_parser_bulk_length_checked_on_the_header_before_buffering():
    p = RequestParser(max_bulk_len=1024 * 1024)
    assert p.feed(b"*1\r\n$1048577\r\n") == []
    assert p.error == b"ERR Protocol error: invalid bulk length"


def test_parser_max_bulk_len_can_change_between_feeds():
    p = RequestParser()
    p.max_bulk_len = 10
    p.feed(b"*1\r\n$11\r\n")
    assert p.error == b"ERR Protocol error: invalid bulk length"


@pytest.mark.parametrize("data,got", [
    (b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n", b"f"),
    (b"*1\r\nfoo\r\n", b"f"),
    (b"*1\r\n*1\r\n", b"*"),
    (b"*1\r\n+4\r\n", b"+"),
    (b"*1\r\n%foo\r\n", b"%"),
    (b"*1\r\n\xfffoo\r\n", b"\xff"),
    (b"*1\r\n\r\nxx", b" "),      # CR and LF become spaces in an error line
    (b"*1\r\n\nfoo\r\n", b" "),
])
def test_parser_expected_dollar(data, got):
    assert error_of(data) == b"ERR Protocol error: expected '$', got '" + got + b"'"


@pytest.mark.parametrize("data", [b'set a "b\r\n', b'set a "b"c\r\n', b"set a 'b'c\r\n", b'echo "a\\"\r\n',
                                  b"echo 'abc\r\n"])
def test_parser_unbalanced_quotes(data):
    assert error_of(data) == b"ERR Protocol error: unbalanced quotes in request"


def test_parser_too_big_inline_request():
    assert error_of(b"A" * 65537) == b"ERR Protocol error: too big inline request"
    argv, p = parse_all(b"A" * 65536)
    assert argv == [] and p.error is None


def test_parser_long_inline_line_with_newline_is_fine():
    argv, p = parse_all(b"echo " + b"A" * 70000 + b"\r\n")
    assert p.error is None
    assert argv == [[b"echo", b"A" * 70000]]


def test_parser_too_big_count_strings():
    assert error_of(b"*" + b"1" * 70000) == b"ERR Protocol error: too big mbulk count string"
    assert error_of(b"*1\r\n$" + b"1" * 70000) == b"ERR Protocol error: too big bulk count string"


def test_parser_nul_byte_hides_the_line_end():
    # Redis finds header and inline line ends with strchr: a NUL byte before the end hides it.
    argv, p = parse_all(b"*1\x00\r\n")
    assert argv == [] and p.error is None
    argv, p = parse_all(b"*2\r\n$1\x00\r\n")
    assert argv == [] and p.error is None
    assert error_of(b"\x00" + (b"A" * 1024 + b"\n") * 100) == b"ERR Protocol error: too big inline request"
    assert error_of(b"*\x00" + (b"A" * 1024 + b"\n") * 100) == b"ERR Protocol error: too big mbulk count string"
    assert error_of(b"*1\r\n$\x00" + b"A" * 70000) == b"ERR Protocol error: too big bulk count string"


def test_parser_nul_bytes_inside_bulks_are_data():
    assert parse_all(b"*1\r\n$3\r\n\x00\x00\x00\r\n")[0] == [[b"\x00\x00\x00"]]


def test_parser_requests_before_an_error_are_returned():
    argv, p = parse_all(b"*1\r\n$4\r\nPING\r\nPING\r\n*1\r\n+4\r\nPING\r\n")
    assert argv == [[b"PING"], [b"PING"]]
    assert p.error == b"ERR Protocol error: expected '$', got '+'"


def test_parser_error_is_sticky():
    p = RequestParser()
    p.feed(b"*abc\r\n")
    assert p.error is not None
    assert p.feed(b"*1\r\n$4\r\nPING\r\n") == []


def test_parser_reset_clears_error_and_buffer():
    p = RequestParser()
    p.feed(b"*2\r\n$3\r\nGET")
    p.feed(b"\r\n$1")
    p.reset()
    assert p.pending_bytes() == 0 and p.error is None
    assert p.feed(b"PING\r\n") == [[b"PING"]]
    p.feed(b"*x\r\n")
    p.reset()
    assert p.error is None
    assert p.feed(b"PING\r\n") == [[b"PING"]]


# ---------------------------------------------------------------------------------------- limits


def test_parser_unauthenticated_multibulk_limit():
    p = RequestParser()
    p.authenticated = False
    p.feed(b"*11\r\n")
    assert p.error == b"ERR Protocol error: unauthenticated multibulk length"
    p = RequestParser()
    p.authenticated = False
    assert p.feed(b"*10\r\n") == [] and p.error is None


def test_parser_unauthenticated_bulk_limit():
    p = RequestParser()
    p.authenticated = False
    p.feed(b"*1\r\n$16385\r\n")
    assert p.error == b"ERR Protocol error: unauthenticated bulk length"
    p = RequestParser()
    p.authenticated = False
    p.feed(b"*1\r\n$16384\r\n")
    assert p.error is None


def test_parser_invalid_lengths_win_over_unauthenticated_limits():
    for data, msg in ((b"*3000000000\r\n", b"invalid multibulk length"), (b"*1\r\n$-1\r\n", b"invalid bulk length"),
                      (b"*1\r\n$600000000\r\n", b"invalid bulk length")):
        p = RequestParser()
        p.authenticated = False
        p.feed(data)
        assert p.error == b"ERR Protocol error: " + msg


def test_parser_unauthenticated_inline_has_no_argument_limit():
    p = RequestParser()
    p.authenticated = False
    assert p.feed(b"a b c d e f g h i j k l m n\r\n") == [[bytes([c]) for c in b"abcdefghijklmn"]]


def test_parser_unauthenticated_hands_out_one_request_per_feed():
    # The next header is checked only after the caller ran the previous request (maybe an AUTH).
    data = b"*2\r\n$4\r\nAUTH\r\n$1\r\np\r\n*11\r\n" + b"$1\r\nx\r\n" * 11
    p = RequestParser()
    p.authenticated = False
    assert p.feed(data) == [[b"AUTH", b"p"]]
    assert p.error is None
    p.authenticated = True
    assert p.feed(b"") == [[b"x"] * 11]
    assert p.pending_bytes() == 0


def test_parser_unauthenticated_one_request_per_feed_still_rejects_big_headers():
    p = RequestParser()
    p.authenticated = False
    assert p.feed(b"PING\r\n*11\r\n") == [[b"PING"]]
    assert p.feed(b"") == []
    assert p.error == b"ERR Protocol error: unauthenticated multibulk length"


def test_parser_unauthenticated_skips_empty_lines_within_a_feed():
    p = RequestParser()
    p.authenticated = False
    assert p.feed(b"\r\n\r\nPING\r\nPING\r\n") == [[b"PING"]]
    assert p.feed(b"") == [[b"PING"]]


def test_parser_query_buffer_limit_sets_overflow():
    p = RequestParser(query_buffer_limit=1000)
    p.feed(b"*1\r\n$2000\r\n" + b"x" * 999)
    assert not p.overflow
    p.feed(b"x" * 100)
    assert p.overflow
    assert p.error is None


def test_parser_complete_requests_do_not_count_against_the_query_buffer_limit():
    p = RequestParser(query_buffer_limit=100)
    out = p.feed(b"*1\r\n$4\r\nPING\r\n" * 50)
    assert len(out) == 50
    assert not p.overflow


# ---------------------------------------------------------------------------------------- split_args


@pytest.mark.parametrize("line,expected", [
    (b"", []),
    (b"   ", []),
    (b"a b  c", [b"a", b"b", b"c"]),
    (b"\ta\tb\r", [b"a", b"b"]),
    (b'"a b" c', [b"a b", b"c"]),
    (b"'a b' c", [b"a b", b"c"]),
    (b'""', [b""]),
    (b"''", [b""]),
    (b'"\\x41\\x4a\\n"', [b"AJ\n"]),
    (b'"\\xZZ"', [b"xZZ"]),
    (b'"\\t\\b\\a\\r\\z\\\\"', [b"\t\b\a\rz\\"]),
    (b'"a\\"b"', [b'a"b']),
    (b"'a\\'b'", [b"a'b"]),
    (b"'a\\nb'", [b"a\\nb"]),          # single quotes keep backslash escapes other than \'
    (b'a"b"', [b"ab"]),                # a quote opens inside an argument too (sdssplitargs)
])
def test_split_args(line, expected):
    assert split_args(line) == expected


@pytest.mark.parametrize("line", [b'"abc', b"'abc", b'"a"b', b"'a'b", b'"a\\"', b'a"b c"d'])
def test_split_args_unbalanced_quotes(line):
    assert split_args(line) is None
