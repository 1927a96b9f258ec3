"""Redis-style server log: "<pid>:<role> <dd Mon yyyy HH:MM:SS.mmm> <level char> <message>" lines.

Writes to stdout or appends to the configured logfile; a log call never raises.
"""
from __future__ import annotations

import enum
import os
import sys
import time
from typing import Final, TextIO

REDIS_VERSION: Final = "7.0.15"


class Level(enum.IntEnum):
    """loglevel values in Redis's order (a message is written when its level >= the configured one)."""

    DEBUG = 0
    VERBOSE = 1
    NOTICE = 2
    WARNING = 3
    NOTHING = 4     # Redis 7.2's "nothing"; accepted here so a logger can be silenced


LEVEL_CHARS: Final = ".-*#"
_MONTHS: Final = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# Role characters of the prefix (serverLogRaw): primary, replica, child process / not yet initialised, sentinel.
ROLE_MASTER: Final = "M"
ROLE_REPLICA: Final = "S"
ROLE_CHILD: Final = "C"
ROLE_SENTINEL: Final = "X"

# The texts redis-server 7.0.15 prints at start and stop, with the level it uses for each.
MSG_STARTING: Final = "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"
MSG_CONFIG_LOADED: Final = "Configuration loaded"
MSG_NO_CONFIG: Final = ("Warning: no config file specified, using the default config. In order to specify a config "
                        "file use {argv0} /path/to/redis.conf")
MSG_MONOTONIC: Final = "monotonic clock: POSIX clock_gettime"
MSG_SERVER_INITIALIZED: Final = "Server initialized"                      # warning
MSG_READY: Final = "Ready to accept connections"                          # notice; 7.2 added " tcp"
MSG_READY_UNIX: Final = "The server is now ready to accept connections at {path}"   # notice
MSG_SIGNAL_SHUTDOWN: Final = "Received {signal} scheduling shutdown..."  # warning, signal-handler form
MSG_USER_SHUTDOWN: Final = "User requested shutdown..."                  # warning
MSG_SAVING_FINAL: Final = "Saving the final RDB snapshot before exiting."  # notice
MSG_DB_SAVED: Final = "DB saved on disk"                                  # notice
MSG_REMOVING_PIDFILE: Final = "Removing the pid file."                   # notice
MSG_REMOVING_UNIXSOCKET: Final = "Removing the unix socket file."         # notice
MSG_BYE: Final = "Redis is now ready to exit, bye bye..."                 # warning


def parse_level(value: str | int) -> Level:
    """A loglevel name ("debug", "verbose", "notice", "warning", "nothing") or number -> Level."""
    if isinstance(value, int):
        return Level(value)
    return Level[value.upper()]


def format_timestamp(now: float) -> str:
    """Local time as Redis prints it: "27 Nov 2026 03:56:53.129"."""
    tm = time.localtime(now)
    ms = int(now * 1000) % 1000
    return (f"{tm.tm_mday:02d} {_MONTHS[tm.tm_mon - 1]} {tm.tm_year} "
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}.{ms:03d}")


class Logger:
    """The server log. ``level`` and ``logfile`` follow the loglevel / logfile config ("" = stdout).

    The prefix pid is the current process id; a forked child logs with role "C" automatically, as Redis does.
    """

    def __init__(self, level: str | int = "notice", logfile: str = "", *, role: str = ROLE_MASTER,
                 stream: TextIO | None = None) -> None:
        self._level = parse_level(level)
        self._logfile = ""
        self._fh: TextIO | None = None
        self._stream = stream
        self._pid = os.getpid()
        self._once: set[str] = set()
        self.role = role
        self.logfile = logfile

    # ------------------------------------------------------------------ settings

    @property
    def level(self) -> str:
        return self._level.name.lower()

    @level.setter
    def level(self, value: str | int) -> None:
        self._level = parse_level(value)

    @property
    def logfile(self) -> str:
        return self._logfile

    @logfile.setter
    def logfile(self, path: str) -> None:
        if path == self._logfile and (self._fh is not None or not path):
            return
        self.close()
        self._logfile = path

    def enabled_for(self, level: Level) -> bool:
        return level >= self._level

    def reopen(self) -> None:
        """Close the logfile so the next line reopens it (after log rotation)."""
        self.close()

    def close(self) -> None:
        fh, self._fh = self._fh, None
        if fh is not None:
            try:
                fh.close()
            except OSError:
                pass

    # ------------------------------------------------------------------ writing

    def log(self, level: Level, message: str, *, role: str | None = None) -> None:
        """Write one line if ``level`` passes the configured level. Never raises."""
        if level < self._level:
            return
        try:
            pid = os.getpid()
            role_char = role or (ROLE_CHILD if pid != self._pid else self.role)
            self._write(f"{pid}:{role_char} {format_timestamp(time.time())} {LEVEL_CHARS[level]} {message}\n")
        except Exception:  # a broken log must never take the server down
            pass

    def debug(self, message: str) -> None:
        self.log(Level.DEBUG, message)

    def verbose(self, message: str) -> None:
        self.log(Level.VERBOSE, message)

    def notice(self, message: str) -> None:
        self.log(Level.NOTICE, message)

    def warning(self, message: str) -> None:
        self.log(Level.WARNING, message)

    def raw(self, level: Level, text: str) -> None:
        """Write ``text`` with no prefix (Redis's LL_RAW), subject to the level filter."""
        if level < self._level:
            return
        try:
            self._write(text if text.endswith("\n") else text + "\n")
        except Exception:
            pass

    def log_once(self, key: str, message: str, level: Level = Level.WARNING) -> bool:
        """Log ``message`` the first time ``key`` is seen; returns whether it was logged."""
        if key in self._once:
            return False
        self._once.add(key)
        self.log(level, message)
        return True

    def from_signal_handler(self, message: str, level: Level = Level.WARNING) -> None:
        """The line Redis writes from a signal handler: "<pid>:signal-handler (<unix time>) <message>"."""
        if level < self._level:
            return
        try:
            self._write(f"{os.getpid()}:signal-handler ({int(time.time())}) {message}\n")
        except Exception:
            pass

    def _write(self, line: str) -> None:
        if not self._logfile:
            out = self._stream if self._stream is not None else sys.stdout
            out.write(line)
            out.flush()
            return
        if self._fh is None:
            try:
                self._fh = open(self._logfile, "a", encoding="utf-8", errors="backslashreplace")
            except OSError:
                return  # like Redis: an unopenable logfile drops the line
        try:
            self._fh.write(line)
            self._fh.flush()
        except (OSError, ValueError):
            self.close()

    # ------------------------------------------------------------------ Redis's fixed messages

    def startup_banner(self, pid: int, port: int, version: str = REDIS_VERSION, *, config_loaded: bool = True,
                       mode: str = "standalone", argv0: str = "redis-server") -> None:
        """The first lines redis-server 7.0.15 logs, with its levels and roles (non-tty stdout, no ASCII logo).

        ``config_loaded`` is false only when redis-server got no argument at all.
        """
        for text in self.startup_lines(pid, version=version, config_loaded=config_loaded, argv0=argv0):
            self.log(Level.WARNING, text, role=ROLE_CHILD)  # server.pid is not set yet: Redis prints "C"
        self.notice(MSG_MONOTONIC)
        self.notice(f"Running mode={mode}, port={port}.")

    @staticmethod
    def startup_lines(pid: int, config: object = None, *, version: str = REDIS_VERSION,
                      config_loaded: bool | None = None, argv0: str = "redis-server") -> list[str]:
        """The three warning-level texts that open the log (the "C" role lines of startup_banner).

        ``config`` may be a pyredcache Config: its ``args_given`` decides the third line unless
        ``config_loaded`` is given.
        """
        if config_loaded is None:
            config_loaded = bool(getattr(config, "args_given", True))
        third = MSG_CONFIG_LOADED if config_loaded else MSG_NO_CONFIG.format(argv0=argv0)
        return [
            MSG_STARTING,
            f"Redis version={version}, bits=64, commit=00000000, modified=0, pid={pid}, just started",
            third,
        ]

    def server_initialized(self) -> None:
        self.warning(MSG_SERVER_INITIALIZED)

    def ready(self, unixsocket: str = "") -> None:
        """"Ready to accept connections" (7.0.15 has no " tcp" suffix), then the unix socket line if any."""
        self.notice(MSG_READY)
        if unixsocket:
            self.notice(MSG_READY_UNIX.format(path=unixsocket))
