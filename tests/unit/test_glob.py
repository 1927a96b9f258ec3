"""Unit tests for _speedups.glob: Redis 7.0 stringmatchlen semantics (vectors checked against redis-server KEYS)."""

from __future__ import annotations

import time

import pytest

from pyredcache._speedups.glob import filter_matching, stringmatch

# (pattern, string, expected) -- quirky cases were confirmed with redis-server 7.0.15 KEYS.
CASES = [
    (b"", b"", True),
    (b"", b"a", False),
    (b"a", b"", False),
    (b"*", b"", False),  # Redis 7.0: "" only matches the empty pattern (KEYS * has its own shortcut)
    (b"**", b"", False),
    (b"*", b"anything", True),
    (b"**", b"a", True),
    (b"h?llo", b"hello", True),
    (b"h?llo", b"hallo", True),
    (b"h?llo", b"hllo", False),
    (b"h*llo", b"hllo", True),
    (b"h*llo", b"heeeello", True),
    (b"h*llo", b"hellox", False),
    (b"h[ae]llo", b"hello", True),
    (b"h[ae]llo", b"hallo", True),
    (b"h[ae]llo", b"hillo", False),
    (b"h[^e]llo", b"hallo", True),
    (b"h[^e]llo", b"hello", False),
    (b"h[a-b]llo", b"hallo", True),
    (b"h[a-b]llo", b"hbllo", True),
    (b"h[a-b]llo", b"hcllo", False),
    (b"h[b-a]llo", b"hallo", True),  # reversed range
    (b"h[^a-c]llo", b"hdllo", True),
    (b"h[^a-c]llo", b"hbllo", False),
    (b"[a-c-e]", b"-", True),  # range a-c, then a literal "-", then "e"
    (b"[a-c-e]", b"e", True),
    (b"\\*", b"*", True),
    (b"\\*", b"a", False),
    (b"\\?", b"?", True),
    (b"a\\", b"a\\", True),  # lone trailing backslash is literal
    (b"a\\", b"a", False),
    (b"[\\]]", b"]", True),
    (b"[\\", b"\\", True),  # unterminated class with a lone backslash
    (b"[\\", b"a", False),
    (b"[a", b"a", True),  # unterminated class ends with the pattern
    (b"[a", b"ab", False),
    (b"[^", b"a", True),  # unterminated empty negated class: any one byte
    (b"[^", b"", False),
    (b"[]", b"a", False),
    (b"[]", b"]", False),
    (b"[a-", b"a", True),  # too short for a range: 'a' and '-'
    (b"[a-", b"-", True),
    (b"[a-\\", b"\\", True),  # range a..\ reversed -> '\\'..'a'
    (b"[a-\\", b"_", True),
    (b"[a-\\", b"b", False),
    (b"*a*b", b"xaxb", True),
    (b"*a*b", b"xbxa", False),
    (b"a*", b"a", True),
    (b"a*b*c", b"abc", True),
    (b"a*b*c", b"aXXbYYc", True),
    (b"a*b*c", b"aXXbYYcZ", False),
    (b"*?", b"a", True),
    (b"?*", b"a", True),
    (b"??", b"a", False),
    (b"*.txt", b"file.txt", True),
    (b"*.txt", b"file.txt.bak", False),
    (b"user:*:name", b"user:1000:name", True),
    (b"\x00*", b"\x00\xff", True),
    (b"[\x80-\xff]", b"\x90", True),
    # Ranges compare as signed chars (Redis on x86): [a-\xff] is \xff(-1)..'a', so it covers '0' but not \x90.
    (b"[a-\xff]", b"0", True),
    (b"[a-\xff]", b"\x90", False),
    (b"[a-\xff]", b"b", False),
]


@pytest.mark.parametrize(("pattern", "string", "expected"), CASES)
def test_stringmatch_redis_semantics(pattern: bytes, string: bytes, expected: bool) -> None:
    assert stringmatch(pattern, string) is expected


@pytest.mark.parametrize(
    ("pattern", "string", "expected"),
    [
        (b"HELLO", b"hello", True),
        (b"h?LLO", b"HeLlo", True),
        (b"[A-C]x", b"bX", True),
        (b"[a-c]x", b"BX", True),
        (b"[^A-C]", b"b", False),
        (b"[XY]", b"y", True),
        (b"\\A", b"a", True),
        (b"maxmemory*", b"MAXMEMORY-POLICY", True),
        (b"\xc9", b"\xe9", False),  # only ASCII folds (C locale)
    ],
)
def test_stringmatch_nocase(pattern: bytes, string: bytes, expected: bool) -> None:
    assert stringmatch(pattern, string, nocase=True) is expected
    assert stringmatch(pattern, string, True) is expected


def test_stringmatch_case_sensitive_by_default() -> None:
    assert not stringmatch(b"HELLO", b"hello")
    assert not stringmatch(b"[A-C]", b"b")


def test_stringmatch_star_heavy_patterns_are_fast() -> None:
    # Exponential with naive backtracking; Redis 7.0 bounds it with skipLongerMatches.
    cases = [
        (b"*a" * 5000 + b"*b", b"a" * 20000),
        (b"a*" * 60 + b"b", b"a" * 100000),
        (b"*?" * 2000 + b"x", b"y" * 50000),
        (b"*[ab]*[ab]*[ab]*[ab]*[ab]*[ab]*c", b"ab" * 30000),
    ]
    start = time.perf_counter()
    for pattern, string in cases:
        assert stringmatch(pattern, string) is False
    assert time.perf_counter() - start < 2.0


def test_stringmatch_deep_star_pattern_does_not_recurse() -> None:
    pattern = b"*a" * 200000
    assert stringmatch(pattern, b"a" * 200000) is True
    assert stringmatch(pattern, b"a" * 199999) is False


def test_stringmatch_requires_bytes() -> None:
    with pytest.raises(TypeError):
        stringmatch("a*", b"ab")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        stringmatch(b"a*", None)  # type: ignore[arg-type]


def test_filter_matching_keeps_order() -> None:
    keys = [b"user:1", b"item:1", b"user:2", b"USER:3", b""]
    assert filter_matching(b"user:*", keys) == [b"user:1", b"user:2"]
    assert filter_matching(b"user:*", keys, nocase=True) == [b"user:1", b"user:2", b"USER:3"]
    assert filter_matching(b"nomatch", keys) == []


def test_filter_matching_agrees_with_stringmatch() -> None:
    keys = [bytes([a, b]) for a in b"ab[]*?\\-^" for b in b"ab[]*?\\-^"]
    for pattern in (b"a*", b"[ab]?", b"*\\*", b"[^a]*", b"?[a-b]", b"[", b"\\"):
        assert filter_matching(pattern, keys) == [k for k in keys if stringmatch(pattern, k)]


def test_filter_matching_rejects_non_bytes_items() -> None:
    with pytest.raises(TypeError):
        filter_matching(b"*", [b"a", "b"])  # type: ignore[list-item]
