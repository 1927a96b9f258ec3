"""Unit tests for pyredcache.log: Redis 7.0.15's log line format, levels, logfile handling and fixed messages."""
from __future__ import annotations

import io
import os
import re
import time
from pathlib import Path

import pytest

from pyredcache.log import (
    LEVEL_CHARS,
    MSG_READY,
    Level,
    Logger,
    format_timestamp,
    parse_level,
)

LINE_RE = re.compile(r"(\d+):([MSCX]) (\d\d) ([A-Z][a-z]{2}) (\d{4}) (\d\d):(\d\d):(\d\d)\.(\d{3}) ([.\-*#]) (.*)")


def capture(level: str = "notice") -> tuple[Logger, io.StringIO]:
    out = io.StringIO()
    return Logger(level, stream=out), out


def lines(out: io.StringIO) -> list[str]:
    return out.getvalue().splitlines()


def char_and_text(out: io.StringIO) -> list[tuple[str, str]]:
    """(level char, message) of every line."""
    found = [LINE_RE.fullmatch(line) for line in lines(out)]
    return [(m.group(10), m.group(11)) for m in found if m is not None]


def test_line_format() -> None:
    log, out = capture()
    before = time.time()
    log.notice("hello world")
    (line,) = lines(out)
    m = LINE_RE.fullmatch(line)
    assert m is not None, line
    assert int(m.group(1)) == os.getpid() and m.group(2) == "M" and m.group(10) == "*"
    assert m.group(11) == "hello world"
    assert line.split(" ", 1)[1].startswith(format_timestamp(before)[:17])


def test_timestamp_format() -> None:
    t = time.mktime((2026, 3, 5, 4, 7, 9, 0, 0, -1)) + 0.042
    assert format_timestamp(t) == "05 Mar 2026 04:07:09.042"


def test_level_chars_and_filtering() -> None:
    assert LEVEL_CHARS == ".-*#"
    log, out = capture("verbose")
    log.debug("d")
    log.verbose("v")
    log.notice("n")
    log.warning("w")
    assert char_and_text(out) == [("-", "v"), ("*", "n"), ("#", "w")]
    log.level = "warning"
    assert log.level == "warning"
    log.notice("hidden")
    assert "hidden" not in out.getvalue()
    log.level = "nothing"
    log.warning("silent")
    assert "silent" not in out.getvalue()


def test_parse_level() -> None:
    assert parse_level("DEBUG") is Level.DEBUG and parse_level("notice") is Level.NOTICE and parse_level(3) is Level.WARNING
    with pytest.raises(KeyError):
        parse_level("loud")


def test_role_and_child_role() -> None:
    log, out = capture()
    log.role = "S"
    log.warning("replica")
    assert LINE_RE.fullmatch(lines(out)[-1]).group(2) == "S"  # type: ignore[union-attr]
    log._pid = -1  # as seen from a forked child: the recorded pid is not ours
    log.warning("child")
    assert LINE_RE.fullmatch(lines(out)[-1]).group(2) == "C"  # type: ignore[union-attr]


def test_logfile_append_and_switch(tmp_path: Path) -> None:
    first = tmp_path / "a.log"
    second = tmp_path / "b.log"
    first.write_text("old\n")
    log = Logger("notice", str(first))
    log.notice("one")
    log.logfile = str(second)
    log.notice("two")
    assert first.read_text().splitlines()[0] == "old"
    assert first.read_text().splitlines()[1].endswith("* one")
    assert second.read_text().strip().endswith("* two")
    log.close()


def test_logfile_reopen_after_rotation(tmp_path: Path) -> None:
    path = tmp_path / "r.log"
    log = Logger("notice", str(path))
    log.notice("before")
    path.rename(tmp_path / "r.log.1")
    log.reopen()
    log.notice("after")
    assert path.read_text().strip().endswith("after")
    assert (tmp_path / "r.log.1").read_text().strip().endswith("before")


def test_a_broken_logfile_never_raises(tmp_path: Path) -> None:
    log = Logger("notice", str(tmp_path / "missing-dir" / "x.log"))
    log.warning("dropped")
    log.logfile = str(tmp_path)  # a directory: open() fails
    log.warning("dropped too")

    class Broken(io.StringIO):
        def write(self, s: str) -> int:
            raise OSError("disk full")

    Logger(stream=Broken()).warning("still fine")


def test_log_once() -> None:
    log, out = capture()
    assert log.log_once("x", "first")
    assert not log.log_once("x", "second")
    assert log.log_once("y", "third", Level.NOTICE)
    assert char_and_text(out) == [("#", "first"), ("*", "third")]


def test_startup_banner_matches_redis_7_0_15() -> None:
    log, out = capture()
    log.startup_banner(4242, 6380)
    parsed = [LINE_RE.fullmatch(line) for line in lines(out)]
    assert all(parsed)
    assert [(m.group(2), m.group(10), m.group(11)) for m in parsed if m] == [
        ("C", "#", "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"),
        ("C", "#", "Redis version=7.0.15, bits=64, commit=00000000, modified=0, pid=4242, just started"),
        ("C", "#", "Configuration loaded"),
        ("M", "*", "monotonic clock: POSIX clock_gettime"),
        ("M", "*", "Running mode=standalone, port=6380."),
    ]
    log2, out2 = capture()
    log2.startup_banner(1, 6379, config_loaded=False, argv0="./redis-server")
    assert lines(out2)[2].endswith("# Warning: no config file specified, using the default config. In order to "
                                   "specify a config file use ./redis-server /path/to/redis.conf")


def test_startup_lines_follow_the_config() -> None:
    class Cfg:
        args_given = False

    assert Logger.startup_lines(7, Cfg())[2].startswith("Warning: no config file specified")
    assert Logger.startup_lines(7, None)[2] == "Configuration loaded"
    assert Logger.startup_lines(7)[1].endswith("pid=7, just started")


def test_initialized_and_ready_lines() -> None:
    log, out = capture()
    log.server_initialized()
    log.ready("/tmp/redis.sock")
    assert char_and_text(out) == [
        ("#", "Server initialized"),
        ("*", "Ready to accept connections"),
        ("*", "The server is now ready to accept connections at /tmp/redis.sock"),
    ]
    assert MSG_READY == "Ready to accept connections"


def test_signal_handler_line() -> None:
    log, out = capture()
    log.from_signal_handler("Received SIGTERM scheduling shutdown...")
    assert re.fullmatch(rf"{os.getpid()}:signal-handler \(\d+\) Received SIGTERM scheduling shutdown\.\.\.",
                        lines(out)[0])


def test_raw_lines_have_no_prefix() -> None:
    log, out = capture()
    log.raw(Level.NOTICE, "                _._")
    log.raw(Level.DEBUG, "hidden")
    assert out.getvalue() == "                _._\n"
