"""Server configuration: the directive table, typed current values, redis.conf parsing and CONFIG GET/SET/REWRITE.

Behaviour (names, defaults, bounds, error texts, rewrite rules) follows redis-server 7.0.15's config.c.
No sockets and no server state: the server reacts to changes through apply hooks.
"""
from __future__ import annotations

import errno
import glob as _glob
import os
import re
import stat
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final, TextIO

from .config_directives import (  # noqa: F401  (re-exported: the table's names are part of this API)
    ALIAS_TO_NAME,
    CONFIG_BINDADDR_MAX,
    CONFIG_MAX_HZ,
    CONFIG_MIN_HZ,
    DIRECTIVE_BY_NAME,
    DIRECTIVES,
    GB,
    GET_ENTRIES,
    INT_MAX,
    INT_MIN,
    KB,
    LLONG_MAX,
    LONG_MAX,
    MB,
    NUMERIC_KINDS,
    REDIS_VERSION,
    REGISTRY,
    REWRITE_SIGNATURE,
    SSIZE_MAX,
    UINT_MAX,
    ULLONG_MAX,
    BufferLimit,
    Directive,
    KeyspaceEvents,
    Kind,
    format_keyspace_events,
    iter_directives,
    lookup,
    parse_keyspace_events,
)

_stringmatch: Callable[[bytes, bytes, bool], bool] | None
try:  # the Cython matcher implements Redis's stringmatchlen exactly
    from ._speedups.glob import stringmatch as _speedups_stringmatch

    _stringmatch = _speedups_stringmatch
except ImportError:  # pragma: no cover - the extension is optional for this module
    _stringmatch = None

# ---------------------------------------------------------------------------------------------- errors


class ConfigError(Exception):
    """Base class of every error raised by this module."""


class ConfigFileError(ConfigError):
    """A fatal problem while loading redis.conf / command-line options (redis-server exits with status 1).

    ``str()`` is Redis's fatal block without its leading blank line; ``stderr_text`` is exactly what Redis
    writes to stderr. When ``logged`` is true Redis reports the problem as a log line (at warning level)
    instead of the block, and ``str()`` is that line's message.
    """

    def __init__(self, message: str, line_number: int | None = None, line: str | None = None,
                 *, logged: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.line_number = line_number
        self.line = line
        self.logged = logged

    def __str__(self) -> str:
        if self.logged:
            return self.message
        parts = [f"*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***"]
        if self.line_number is not None:
            parts.append(f"Reading the configuration file, at line {self.line_number}")
            parts.append(f">>> '{self.line}'")
        parts.append(self.message)
        return "\n".join(parts)

    @property
    def stderr_text(self) -> str:
        return str(self) + "\n" if self.logged else "\n" + str(self) + "\n"


class ConfigReplyError(ConfigError):
    """An error reply for a CONFIG subcommand; ``str()`` is the reply text without the leading '-'."""


class ConfigSetError(ConfigReplyError):
    """CONFIG SET refused or failed; nothing was changed."""


class ConfigRewriteError(ConfigReplyError):
    """CONFIG REWRITE failed."""


class ConfigApplyError(ConfigError):
    """Raised by an apply hook that could not put a new value into effect (e.g. a port already in use)."""


class _BadValue(Exception):
    """A value was rejected; the argument is Redis's error text for it."""


# ---------------------------------------------------------------------------------------------- parsing helpers

_INT_RE: Final = re.compile(r"-?[1-9][0-9]*|0")
_C_SPACE: Final = b" \t\n\v\f\r"


def string2ll(text: str) -> int | None:
    """Redis's strict integer parser: no spaces, no '+', no leading zeros, 64-bit signed range."""
    if not _INT_RE.fullmatch(text):
        return None
    value = int(text)
    return value if -(2**63) <= value <= LLONG_MAX else None


def memtoull(text: str) -> int | None:
    """Redis's memtoull: digits plus an optional b/k/kb/m/mb/g/gb unit (case-insensitive), or None.

    k/m/g are powers of 1000 and kb/mb/gb powers of 1024. Like 7.0.15, an empty number counts as 0, a number
    too big for 64 bits saturates, and the unit multiplication wraps modulo 2**64.
    """
    if text.startswith("-"):
        return None
    i = 0
    while i < len(text) and text[i] in "0123456789":
        i += 1
    unit = text[i:].lower()
    mul = {"": 1, "b": 1, "k": 1000, "kb": KB, "m": 1000**2, "mb": MB, "g": 1000**3, "gb": GB}.get(unit)
    if mul is None:
        return None
    digits = text[:i]
    value = min(int(digits), ULLONG_MAX) if digits else 0
    return (value * mul) & ULLONG_MAX


def _strtoll_full(text: str, base: int = 10, *, saturate: bool = False) -> int | None:
    """C strtoll that must consume the whole string: leading C spaces and a sign allowed; "" parses as 0.

    Returns None when characters are left over; on overflow returns None, or the clamped value when
    ``saturate`` (callers that, like Redis there, do not look at errno).
    """
    if text == "":
        return 0
    s = text.lstrip(" \t\n\v\f\r")
    sign = 1
    if s[:1] in ("+", "-"):
        sign = -1 if s[0] == "-" else 1
        s = s[1:]
    digits = "01234567" if base == 8 else "0123456789"
    if not s or any(ch not in digits for ch in s):
        return None
    value = sign * int(s, base)
    if not -(2**63) <= value <= LLONG_MAX:
        return max(-(2**63), min(LLONG_MAX, value)) if saturate else None
    return value


_FLOAT_RE: Final = re.compile(r"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|inf(?:inity)?)",
                              re.IGNORECASE)


def _string2d(text: str) -> float | None:
    if not _FLOAT_RE.fullmatch(text):
        return None
    return float(text)


def _trim_double(value: float) -> str:
    """printf("%f") with the trailing zeros (and a bare '.') removed, as Redis's trimDoubleString."""
    out = f"{value:f}"
    if "." in out:
        out = out.rstrip("0").rstrip(".")
    return out


def split_args(line: str) -> list[str] | None:
    """Split a config line into arguments with Redis's sdssplitargs rules; None on unbalanced quotes.

    "double quotes" understand \\n \\r \\t \\b \\a and \\xHH escapes, 'single quotes' only \\'; a closing quote
    must be followed by a space or the end of the line; quotes may start in the middle of a word (a"b" is ab).
    Text is handled as UTF-8 with surrogateescape so that \\xHH can produce any byte.
    """
    data = line.encode("utf-8", "surrogateescape")
    n = len(data)
    i = 0
    args: list[str] = []
    while True:
        while i < n and data[i] in _C_SPACE:
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        in_dq = in_sq = False
        while True:
            c = data[i] if i < n else 0
            if in_dq:
                if c == 0x5C and i + 1 < n and data[i + 1] == 0x78 and _is_hex(data, i + 2) \
                        and _is_hex(data, i + 3):
                    cur.append(int(data[i + 2:i + 4], 16))
                    i += 3
                elif c == 0x5C and i + 1 < n:
                    i += 1
                    cur.append(_DQ_ESCAPES.get(data[i], data[i]))
                elif c == 0x22:
                    if i + 1 < n and data[i + 1] not in _C_SPACE:
                        return None
                    i += 1
                    break
                elif i >= n:
                    return None
                else:
                    cur.append(c)
            elif in_sq:
                if c == 0x5C and i + 1 < n and data[i + 1] == 0x27:
                    i += 1
                    cur.append(0x27)
                elif c == 0x27:
                    if i + 1 < n and data[i + 1] not in _C_SPACE:
                        return None
                    i += 1
                    break
                elif i >= n:
                    return None
                else:
                    cur.append(c)
            else:
                if i >= n or c in b" \n\r\t":
                    break
                if c == 0x22:
                    in_dq = True
                elif c == 0x27:
                    in_sq = True
                else:
                    cur.append(c)
            i += 1
        args.append(cur.decode("utf-8", "surrogateescape"))


_DQ_ESCAPES: Final = {ord("n"): 0x0A, ord("r"): 0x0D, ord("t"): 0x09, ord("b"): 0x08, ord("a"): 0x07}


def _is_hex(data: bytes, i: int) -> bool:
    return i < len(data) and data[i] in b"0123456789abcdefABCDEF"


def quote_repr(value: str) -> str:
    """Redis's sdscatrepr: a double-quoted string with C escapes, readable back by split_args."""
    out = ['"']
    for b in value.encode("utf-8", "surrogateescape"):
        ch = chr(b)
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch in _REPR_ESCAPES:
            out.append(_REPR_ESCAPES[ch])
        elif 0x20 <= b < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\x{b:02x}")
    out.append('"')
    return "".join(out)


_REPR_ESCAPES: Final = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\a": "\\a", "\b": "\\b"}


def cli_action(argv: Sequence[str]) -> str | None:
    """What redis-server does with its first argument before reading any config.

    Returns "version" for -v/--version, "help" for -h/--help, else None. ``argv`` excludes the program name.
    """
    if not argv:
        return None
    if argv[0] in ("-v", "--version"):
        return "version"
    if argv[0] in ("-h", "--help"):
        return "help"
    return None


def args_to_config_text(argv: Sequence[str]) -> tuple[str | None, bool, str]:
    """Split ``redis-server`` arguments (program name excluded) the way Redis's main() does.

    Returns (config file path as given or None, read config from stdin, option lines). Each ``--name v1 v2``
    becomes a line ``name "v1" "v2"`` (values quoted as sdscatrepr does); a ``--name`` without a value stays a
    bare name, except ``--save`` which then means ``save ""``; a value that starts with ``--`` right after a
    bare name is taken as that option's value.
    """
    config_file: str | None = None
    from_stdin = False
    j = 0
    if argv and not argv[0].startswith("-"):
        config_file = argv[0]
        j = 1
    options = ""
    name_has_value = True
    last = len(argv) - 1
    while j < len(argv):
        arg = argv[j]
        if arg == "-" and (j == 0 or j == last):
            from_stdin = True
        elif name_has_value and arg.startswith("--"):
            if options:
                options += "\n"
            options += arg[2:] + " "
            words = split_args(arg)
            if words is not None and len(words) == 1:
                name_has_value = False
                nxt_is_option = j != last and argv[j + 1].startswith("--")
                if arg.lower() == "--save" and (nxt_is_option or j == last):
                    options += '""'
                    name_has_value = True
                elif arg.lower() == "--sentinel" and nxt_is_option:
                    name_has_value = True
            else:
                name_has_value = True
        else:
            options += quote_repr(arg) + " "
            name_has_value = True
        j += 1
    return config_file, from_stdin, options


# ---------------------------------------------------------------------------------------------- value codecs


def _enum_value(d: Directive, word: str) -> str | None:
    low = word.lower()
    if low not in d.choices:
        return None
    for alt, canonical in d.synonyms:
        if low == alt:
            return canonical
    return low


def _enum_error(d: Directive) -> str:
    return "argument(s) must be one of the following: " + ", ".join(d.choices)


def _check_bounds(d: Directive, value: int) -> int:
    lo = d.min_value if d.min_value is not None else -(2**63)
    hi = d.max_value if d.max_value is not None else LLONG_MAX
    if d.unsigned:
        u = value & ULLONG_MAX
        if u < lo or u > hi:
            if d.kind is Kind.OCTAL:
                raise _BadValue(f"argument must be between {lo:o} and {hi:o} inclusive")
            raise _BadValue(f"argument must be between {lo} and {hi} inclusive")
        return u
    if d.kind is Kind.MEMORY_PERCENT and value < 0:
        if value < lo:
            raise _BadValue(f"percentage argument must be less or equal to {-lo}")
        return value
    if value < lo or value > hi:
        raise _BadValue(f"argument must be between {lo} and {hi} inclusive")
    return value


def _parse_numeric(d: Directive, text: str) -> int:
    value: int | None = None
    if d.kind in (Kind.MEMORY, Kind.MEMORY_PERCENT):
        mem = memtoull(text)
        if mem is not None:
            # a signed C type sees the unsigned result reinterpreted
            value = mem if d.unsigned or mem <= LLONG_MAX else mem - 2**64
        elif d.kind is Kind.MEMORY_PERCENT and len(text) > 1 and text.endswith("%"):
            pct = string2ll(text[:-1])
            if pct is not None and pct >= 0:
                value = -pct
        if value is None:
            if d.kind is Kind.MEMORY_PERCENT:
                raise _BadValue("argument must be a memory or percent value")
            raise _BadValue("argument must be a memory value")
    elif d.kind is Kind.OCTAL:
        value = _strtoll_full(text, 8)
        if value is None:
            raise _BadValue("argument couldn't be parsed as an octal number")
    else:
        value = string2ll(text)
        if value is None:
            raise _BadValue("argument couldn't be parsed into an integer")
    value = _check_bounds(d, value)
    if d.name == "hz":
        # Redis accepts any hz and clamps it when applying (updateHZ)
        value = max(CONFIG_MIN_HZ, min(CONFIG_MAX_HZ, value))
    return value


_HOSTNAME_RE: Final = re.compile(r"[A-Za-z0-9.-]*")
_PROC_TITLE_VARS: Final = frozenset({"title", "listen-addr", "server-mode", "port", "tls-port", "unixsocket",
                                     "config-file"})


def _valid_proc_title(template: str, values: Mapping[str, Any]) -> bool:
    """Redis's validateProcTitleTemplate: {var} expansion must succeed and not be blank."""
    expanded: list[str] = []
    i = 0
    n = len(template)
    while i < n:
        start = template.find("{", i)
        if start < 0:
            expanded.append(template[i:])
            break
        expanded.append(template[i:start])
        if start + 1 >= n:
            return False
        if template[start + 1] == "{":
            expanded.append("{")
            i = start + 2
            continue
        end = template.find("}", start + 1)
        if end < 0:
            return False
        var = template[start + 1:end]
        if var not in _PROC_TITLE_VARS:
            return False
        if var == "listen-addr":
            expanded.append("*:" + str(values.get("port", 6379)))
        elif var == "port":
            expanded.append(str(values.get("port", 6379)))
        elif var == "tls-port":
            expanded.append(str(values.get("tls-port", 0)))
        elif var == "unixsocket":
            expanded.append(str(values.get("unixsocket", "")))
        elif var == "server-mode":
            expanded.append("[cluster]" if values.get("cluster-enabled") else "")
        i = end + 1
    return "".join(expanded).strip(" ") != ""


def _validate_string(d: Directive, value: str, values: Mapping[str, Any]) -> None:
    name = d.name
    if name == "dbfilename" and ("/" in value or "\\" in value):
        raise _BadValue("dbfilename can't be a path, just a filename")
    if name in ("appendfilename", "appenddirname"):
        if value == "":
            raise _BadValue(f"{name} can't be empty")
        if "/" in value or "\\" in value:
            what = "filename" if name == "appendfilename" else "dirname"
            raise _BadValue(f"{name} can't be a path, just a {what}")
    if name == "cluster-announce-hostname":
        if len(value.encode("utf-8", "surrogateescape")) >= 256:
            raise _BadValue("Hostnames must be less than 256 characters")
        if not _HOSTNAME_RE.fullmatch(value):
            raise _BadValue("Hostnames may only contain alphanumeric characters, hyphens or dots")
    if name == "proc-title-template" and not _valid_proc_title(value, values):
        raise _BadValue("template format is invalid or contains unknown variables")


def _client_class(word: str) -> str | None:
    return {"normal": "normal", "slave": "replica", "replica": "replica", "pubsub": "pubsub"}.get(word.lower())


def format_value(d: Directive, value: Any) -> str:
    """A typed value as CONFIG GET prints it."""
    kind = d.kind
    if kind is Kind.BOOL:
        return "yes" if value else "no"
    if kind is Kind.MEMORY_PERCENT and value < 0:
        return f"{-value}%"
    if kind is Kind.OCTAL:
        return f"{value:o}"
    if kind in NUMERIC_KINDS:
        return str(value)
    if kind is Kind.FLAGS:
        return " ".join(value) if value else "default"
    if kind in (Kind.ENUM, Kind.STRING, Kind.DIR):
        return str(value)
    if kind is Kind.SAVE:
        return " ".join(f"{s} {c}" for s, c in value)
    if kind is Kind.BIND:
        return " ".join(value)
    if kind is Kind.CLIENT_OUTPUT_BUFFER_LIMIT:
        return " ".join(f"{'slave' if cls == 'replica' else cls} {lim.hard_bytes} {lim.soft_bytes} "
                        f"{lim.soft_seconds}" for cls, lim in value.items())
    if kind is Kind.NOTIFY_KEYSPACE_EVENTS:
        return format_keyspace_events(value)
    if kind is Kind.OOM_SCORE_ADJ_VALUES:
        return " ".join(str(v) for v in value)
    if kind is Kind.REPLICAOF:
        return "" if value is None else f"{value[0]} {value[1]}"
    if kind is Kind.LATENCY_PERCENTILES:
        return " ".join(_trim_double(v) for v in value)
    raise ValueError(f"{d.name} has no CONFIG GET form")


def _fresh_default(d: Directive) -> Any:
    """The default as a current value (lists where the table holds tuples)."""
    if d.kind is Kind.SAVE or d.kind is Kind.BIND or d.kind is Kind.LATENCY_PERCENTILES:
        return list(d.default)
    if d.kind is Kind.CLIENT_OUTPUT_BUFFER_LIMIT:
        return dict(d.default)
    if d.kind is Kind.NOTIFY_KEYSPACE_EVENTS:
        return KeyspaceEvents(d.default)
    if d.file_only:
        return []
    if d.kind is Kind.DIR:
        return os.getcwd()
    return d.default


def _format_memory(value: int) -> str:
    """Redis's rewriteConfigFormatMemory: the largest exact gb/mb/kb unit."""
    for unit, size in (("gb", GB), ("mb", MB), ("kb", KB)):
        if value and value % size == 0:
            return f"{value // size}{unit}"
    return str(value)


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_UMASK: Final = _read_umask()

ApplyHook = Callable[[Any, Any], None]
RewriteProvider = Callable[[], list[str]]


# ---------------------------------------------------------------------------------------------- Config


class Config:
    """The typed current value of every directive, plus where it came from.

    Read values with ``config["hz"]`` (aliases accepted) or ``config.get_value("hz")``. Types: bool for yes/no,
    int for numbers and memory (bytes; maxmemory-clients stores a percentage N as -N), str for enums and
    strings, list[tuple[int, int]] for save, list[str] for bind, dict[str, BufferLimit] keyed
    normal/replica/pubsub for client-output-buffer-limit, KeyspaceEvents for notify-keyspace-events,
    tuple[int, int, int] for oom-score-adj-values, (host, port) or None for replicaof, list[float] for
    latency-tracking-info-percentiles, tuple[str, ...] for shutdown-on-sig* ( () is "default" ).
    File-only ones: include -> list[str] of included paths, rename-command -> list[tuple[str, str]],
    user / loadmodule -> list[list[str]] of the arguments after the directive name.
    """

    def __init__(self) -> None:
        self._values: dict[str, Any] = {d.name: _fresh_default(d) for d in DIRECTIVES if d.kind is not Kind.IGNORED}
        self._hooks: dict[str, list[ApplyHook]] = {}
        self._rewrite_providers: dict[str, RewriteProvider] = {}
        self._loaded: set[str] = set()          # directives named by the config file or command line
        self._save_loaded = False
        self._removed_commands: set[str] = set()
        self._added_commands: set[str] = set()
        self.config_file: str | None = None     # absolute path of the main config file
        self.args_given = False                 # redis-server had arguments (decides the startup message)
        self.module_configs: dict[str, str] = {}
        self.pending_warnings: list[str] = []   # messages Redis would log at warning level while loading
        self.warning_handler: Callable[[str], None] | None = None
        self.command_exists: Callable[[str], bool] | None = None
        self.sources: list[str] = []            # what load_text read, in order (files, "<command line>", ...)

    # ------------------------------------------------------------------ reading

    def __getitem__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            return self._values[ALIAS_TO_NAME.get(name.lower(), name.lower())]

    def get_value(self, name: str) -> Any:
        """The typed current value of ``name`` (canonical name or alias, any case)."""
        return self[name]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in DIRECTIVE_BY_NAME

    @property
    def info_config_file(self) -> str:
        """The INFO server section's config_file field."""
        return self.config_file or ""

    def path_in_dir(self, path: str) -> str:
        """``path`` resolved against the configured dir (Redis opens relative paths from its working dir)."""
        return os.path.join(self._values["dir"], path)

    def is_default(self, name: str) -> bool:
        d = DIRECTIVE_BY_NAME[name.lower()]
        value = self._values[d.name]
        if d.kind is Kind.DIR:
            return False
        return bool(value == _fresh_default(d))

    def protected_action_allowed(self, directive: str, client_is_local: bool) -> bool:
        """Redis's allowProtectedAction for enable-protected-configs / enable-debug-command / ..."""
        setting = self[directive]
        return setting == "yes" or (setting == "local" and client_is_local)

    def get(self, patterns: Sequence[str]) -> list[tuple[str, str]]:
        """CONFIG GET: (name, value) for every config matching one of the glob ``patterns``.

        As Redis 7.0: a pattern without glob characters is an exact, case-insensitive lookup that also finds
        hidden configs and is answered under the name as given; glob patterns match canonical names and
        aliases case-insensitively; each name is reported once.
        """
        matches: dict[str, tuple[str, Directive]] = {}
        for pattern in patterns:
            low = pattern.lower()
            if not any(ch in pattern for ch in "[*?"):
                if low in matches:
                    continue
                entry = REGISTRY.get(low)
                if entry is not None and not entry[1].file_only:
                    matches[low] = (pattern, entry[1])
                continue
            for key, d in GET_ENTRIES:
                if key not in matches and _glob_match(pattern, key):
                    matches[key] = (key, d)
        return [(shown, format_value(d, self._values[d.name])) for shown, d in matches.values()]

    def not_implemented_in_use(self) -> list[str]:
        """Directives the file or command line set to a non-default value that pyredcache does not implement."""
        out = []
        for d in DIRECTIVES:
            if d.implemented or d.name not in self._loaded or d.kind is Kind.IGNORED:
                continue
            if d.file_only or not self.is_default(d.name):
                out.append(d.name)
        return out

    # ------------------------------------------------------------------ hooks

    def add_apply_hook(self, name: str, fn: ApplyHook) -> None:
        """Call ``fn(old, new)`` after CONFIG SET changed ``name``; it may raise ConfigApplyError to refuse."""
        d = DIRECTIVE_BY_NAME[name.lower()]
        self._hooks.setdefault(d.name, []).append(fn)

    def add_rewrite_provider(self, name: str, fn: RewriteProvider) -> None:
        """Let CONFIG REWRITE regenerate the file-only ``user`` or ``loadmodule`` lines (full lines)."""
        self._rewrite_providers[name] = fn

    def _warn(self, message: str) -> None:
        if self.warning_handler is not None:
            self.warning_handler(message)
        else:
            self.pending_warnings.append(message)

    # ------------------------------------------------------------------ loading

    @classmethod
    def from_args(cls, argv: Sequence[str], *, stdin: TextIO | None = None,
                  command_exists: Callable[[str], bool] | None = None) -> Config:
        """Build the config for ``redis-server [/path/to/redis.conf] [--directive value ...] [-]``.

        ``argv`` excludes the program name. The file (and stdin, for ``-``) is read first and the options are
        appended after it as config lines, exactly as Redis does, so errors carry Redis's line numbers.
        ``command_exists`` (name -> bool) lets rename-command check names. Raises ConfigFileError.
        """
        config = cls()
        config.command_exists = command_exists
        if not argv:
            return config
        config.args_given = True
        path, from_stdin, options = args_to_config_text(argv)
        text = ""
        if path is not None:
            config.config_file = os.path.abspath(path)
            text = _read_config_file(config.config_file)
        if from_stdin:
            config._warn("Reading config from stdin")
            text += (stdin if stdin is not None else sys.stdin).read()
        text += "\n" + options
        config.load_text(text, config.config_file or "<command line>")
        if config.module_configs and not config["loadmodule"]:
            raise ConfigFileError("Module Configuration detected without loadmodule directive or no "
                                  "ApplyConfig call: aborting", logged=True)
        return config

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> Config:
        """A config from Python values, as if given as ``--name value`` options (for embedded servers).

        bools become yes/no, None or "" an empty argument, lists/tuples several arguments.
        """
        lines = []
        for name, value in options.items():
            if isinstance(value, bool):
                words = ["yes" if value else "no"]
            elif value is None:
                words = [""]
            elif isinstance(value, (list, tuple)):
                words = [str(v) for v in value] or [""]
            else:
                words = [str(value)]
            lines.append(name + " " + " ".join(quote_repr(w) for w in words))
        config = cls()
        config.args_given = True
        config.load_text("\n".join(lines), "<options>")
        return config

    def load_text(self, text: str, source: str | None = None) -> None:
        """Apply config-file ``text`` (redis.conf syntax) on top of the current values.

        ``source`` only names the text (recorded in ``sources``). Raises ConfigFileError with Redis's messages.
        """
        self.sources.append(source or "<text>")
        lines = text.split("\n")
        for index, raw in enumerate(lines):
            line = raw.strip(" \t\r\n")
            if not line or line.startswith("#"):
                continue
            argv = split_args(line)
            if argv is None:
                raise ConfigFileError("Unbalanced quotes in configuration line", index + 1, line)
            if not argv:
                continue
            try:
                self._load_directive(argv)
            except _BadValue as exc:
                raise ConfigFileError(str(exc), index + 1, line) from None
        self._check_loaded()

    def _load_directive(self, argv: list[str]) -> None:
        name = argv[0].lower()
        d = DIRECTIVE_BY_NAME.get(name)
        argc = len(argv)
        if d is not None and not d.file_only:
            if not d.multi_arg and argc != 2:
                raise _BadValue("wrong number of arguments")
            args = argv[1:]
            if d.multi_arg and argc == 2 and args[0]:
                # Redis 7.0.1+: one non-empty argument is split again, so --save "3600 1 300 100" works
                args = split_args(args[0]) or []
            self._values[d.name] = self._parse(d, args, reading_file=True)
            self._loaded.add(d.name)
            return
        if d is not None and d.kind is Kind.IGNORED and argc == 2:
            return
        if name == "include" and argc == 2:
            self._loaded.add("include")
            self._values["include"].append(argv[1])
            self._include(argv[1])
        elif name == "rename-command" and argc == 3:
            self._rename_command(argv[1], argv[2])
        elif name == "user" and argc >= 2:
            self._loaded.add("user")
            self._values["user"].append(argv[1:])
        elif name == "loadmodule" and argc >= 2:
            self._loaded.add("loadmodule")
            self._values["loadmodule"].append(argv[1:])
        elif "." in name:
            if argc < 2:
                raise _BadValue("Module config specified without value")
            self.module_configs[argv[0]] = " ".join(argv[1:])
        elif name == "sentinel":
            if argc != 1:
                raise _BadValue("sentinel directive while not in sentinel mode")
        else:
            raise _BadValue("Bad directive or wrong number of arguments")

    def _include(self, pattern: str) -> None:
        path = self.path_in_dir(pattern)
        if any(ch in pattern for ch in "*?["):
            # a pattern that matches nothing is fine (an empty conf.d)
            for match in sorted(_glob.glob(path)):
                self.load_text(_read_config_file(match), match)
        else:
            self.load_text(_read_config_file(path, shown=pattern), path)

    def _rename_command(self, old: str, new: str) -> None:
        old_low, new_low = old.lower(), new.lower()
        if self.command_exists is not None:
            exists = old_low in self._added_commands or (
                old_low not in self._removed_commands and self.command_exists(old_low))
            if not exists:
                raise _BadValue("No such command in rename-command")
            if new_low and (new_low in self._added_commands or (
                    new_low not in self._removed_commands and new_low != old_low
                    and self.command_exists(new_low))):
                raise _BadValue("Target command name already exists")
        self._added_commands.discard(old_low)
        self._removed_commands.add(old_low)
        if new_low:
            self._added_commands.add(new_low)
            self._removed_commands.discard(new_low)
        self._loaded.add("rename-command")
        self._values["rename-command"].append((old, new))

    def _check_loaded(self) -> None:
        logfile = self._values["logfile"]
        if logfile:
            try:
                with open(self.path_in_dir(logfile), "a"):
                    pass
            except OSError as exc:
                raise ConfigFileError(f"Can't open the log file: {_strerror(exc)}") from None
        if self._values["cluster-enabled"] and self._values["replicaof"] is not None:
            raise ConfigFileError("replicaof directive not allowed in cluster mode")

    # ------------------------------------------------------------------ value parsing

    def _parse(self, d: Directive, args: list[str], *, reading_file: bool) -> Any:
        """Typed value for ``args`` (the words after the name) or _BadValue with Redis's message."""
        kind = d.kind
        if kind is Kind.BOOL:
            word = args[0].lower()
            if word not in ("yes", "no"):
                raise _BadValue("argument must be 'yes' or 'no'")
            if d.name == "activedefrag" and word == "yes":
                raise _BadValue("Active defragmentation cannot be enabled: it requires a Redis server compiled "
                                "with a modified Jemalloc like the one shipped by default with the Redis source "
                                "distribution")
            return word == "yes"
        if kind in NUMERIC_KINDS:
            value = _parse_numeric(d, args[0])
            if d.name == "repl-backlog-size" and not reading_file:
                # CONFIG SET resizes the backlog, which enforces CONFIG_REPL_BACKLOG_MIN_SIZE; startup does not
                value = max(value, 16 * 1024)
            if d.name == "watchdog-period" and value:
                # applyWatchdogPeriod never arms the timer faster than two cron ticks
                value = max(value, 2 * (1000 // self._values["hz"]))
            return value
        if kind is Kind.ENUM:
            choice = _enum_value(d, args[0])
            if choice is None:
                raise _BadValue(_enum_error(d))
            return choice
        if kind is Kind.FLAGS:
            if not args:
                raise _BadValue(_enum_error(d))
            chosen: set[str] = set()
            for word in args:
                flag = _enum_value(d, word)
                if flag is None:
                    raise _BadValue(_enum_error(d))
                if flag != "default":
                    chosen.add(flag)
            if {"save", "nosave"} <= chosen:
                raise _BadValue("shutdown options SAVE and NOSAVE can't be used simultaneously")
            return tuple(f for f in d.choices if f in chosen)
        if kind is Kind.STRING:
            _validate_string(d, args[0], self._values)
            return args[0]
        if kind is Kind.DIR:
            return self._parse_dir(args[0])
        if kind is Kind.SAVE:
            return self._parse_save(args, reading_file)
        if kind is Kind.BIND:
            if len(args) > CONFIG_BINDADDR_MAX:
                raise _BadValue("Too many bind addresses specified.")
            return [] if len(args) == 1 and args[0] == "" else list(args)
        if kind is Kind.CLIENT_OUTPUT_BUFFER_LIMIT:
            return self._parse_obuf_limits(args)
        if kind is Kind.NOTIFY_KEYSPACE_EVENTS:
            if len(args) != 1:
                raise _BadValue("wrong number of arguments")
            flags = parse_keyspace_events(args[0])
            if flags is None:
                raise _BadValue("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
            return flags
        if kind is Kind.OOM_SCORE_ADJ_VALUES:
            if len(args) != 3:
                raise _BadValue("wrong number of arguments")
            values = [_strtoll_full(a, saturate=True) for a in args]
            if any(v is None or not -2000 <= v <= 2000 for v in values):
                raise _BadValue("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
            result = (int(values[0] or 0), int(values[1] or 0), int(values[2] or 0))
            if result[1] < result[0] or result[2] < result[1]:
                self._warn("The oom-score-adj-values configuration may not work for non-privileged processes! "
                           "Please consult the documentation.")
            return result
        if kind is Kind.REPLICAOF:
            if len(args) != 2:
                raise _BadValue("wrong number of arguments")
            if args[0].lower() == "no" and args[1].lower() == "one":
                return None
            port = _strtoll_full(args[1])
            if port is None or not 0 <= port <= 65535:
                raise _BadValue("Invalid master port")
            return (args[0], port)
        if kind is Kind.LATENCY_PERCENTILES:
            if len(args) == 1 and args[0] == "":
                return []
            percentiles = []
            for word in args:
                p = _string2d(word)
                if p is None:
                    raise _BadValue("Invalid latency-tracking-info-percentiles parameters")
                if not 0.0 <= p <= 100.0:
                    raise _BadValue("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
                percentiles.append(p)
            return percentiles
        raise _BadValue("Bad directive or wrong number of arguments")

    def _parse_dir(self, path: str) -> str:
        # Redis chdir()s; we only validate and remember the absolute path (several servers may share a process)
        if path == "":
            raise _BadValue(os.strerror(errno.ENOENT))
        target = os.path.join(self._values["dir"], path)
        try:
            st = os.stat(target)
        except OSError as exc:
            raise _BadValue(_strerror(exc)) from None
        if not stat.S_ISDIR(st.st_mode):
            raise _BadValue(os.strerror(errno.ENOTDIR))
        if not os.access(target, os.X_OK):
            raise _BadValue(os.strerror(errno.EACCES))
        return os.path.realpath(target)

    def _parse_save(self, args: list[str], reading_file: bool) -> list[tuple[int, int]]:
        if len(args) == 1 and args[0] == "":
            return []
        if len(args) % 2:
            raise _BadValue("Invalid save parameters")
        points: list[tuple[int, int]] = []
        for j in range(0, len(args), 2):
            seconds = _strtoll_full(args[j], saturate=True)
            changes = _strtoll_full(args[j + 1], saturate=True)
            if seconds is None or changes is None or seconds < 1 or changes < 0:
                raise _BadValue("Invalid save parameters")
            points.append((seconds, changes))
        if reading_file:
            # Inside files the first save line replaces the defaults and later ones add to it (config.c)
            if self._save_loaded:
                return list(self._values["save"]) + points
            self._save_loaded = True
        return points

    def _parse_obuf_limits(self, args: list[str]) -> dict[str, BufferLimit]:
        if len(args) % 4:
            raise _BadValue("Wrong number of arguments in buffer limit configuration.")
        result = dict(self._values["client-output-buffer-limit"])
        updates: dict[str, BufferLimit] = {}
        for j in range(0, len(args), 4):
            cls = _client_class(args[j])
            if cls is None:
                raise _BadValue("Invalid client class specified in buffer limit configuration.")
            hard = memtoull(args[j + 1])
            soft = memtoull(args[j + 2])
            seconds = _strtoll_full(args[j + 3], saturate=True)
            if hard is None or soft is None or seconds is None or seconds < 0:
                raise _BadValue("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
            updates[cls] = BufferLimit(hard, soft, seconds)
        result.update(updates)
        return result

    # ------------------------------------------------------------------ CONFIG SET

    def set_many(self, pairs: Sequence[tuple[str, str]], *, client_is_local: bool = False,
                 loading: bool = False) -> None:
        """CONFIG SET name value [name value ...]: all or nothing.

        Every name is checked first (unknown, immutable, protected, duplicate), then every value is parsed,
        then all are stored and the apply hooks of changed directives run. If a hook raises ConfigApplyError,
        the old values are put back (their hooks re-run, errors ignored) and ConfigSetError is raised.
        ``client_is_local`` feeds enable-protected-configs "local"; ``loading`` refuses deny-loading configs.
        """
        invalid = False
        unknown_name: str | None = None
        err_name: str | None = None
        err_msg: str | None = None
        deny_loading_error = False
        entries: list[tuple[str, Directive]] = []
        for name, _ in pairs:
            entry = REGISTRY.get(name.lower())
            if entry is None or entry[1].file_only:
                if not invalid:
                    unknown_name = name
                    invalid = True
                continue
            if invalid:
                continue
            key, d = entry
            if not d.mutable or (d.protected and not self.protected_action_allowed("enable-protected-configs",
                                                                                   client_is_local)):
                err_msg = "can't set immutable config" if not d.mutable else "can't set protected config"
                err_name = name
                invalid = True
                continue
            if loading and d.deny_loading:
                deny_loading_error = True
                invalid = True
                continue
            if any(prev_key == key for prev_key, _ in entries):
                err_msg = "duplicate parameter"
                err_name = name
                invalid = True
            entries.append(entry)
        if deny_loading_error:
            raise ConfigSetError("LOADING Redis is loading the dataset in memory")
        if unknown_name is not None:
            raise ConfigSetError(f"ERR Unknown option or number of arguments for CONFIG SET - '{unknown_name}'")
        if invalid:
            raise ConfigSetError(_set_failed(err_name or "", err_msg))

        # Values are parsed and stored one by one, as Redis's sequential sets are (an alias pair may name the
        # same directive twice); a bad value puts everything back before any hook has run.
        old_values = dict(self._values)
        new_values: list[Any] = []
        try:
            for (key, d), (_, raw) in zip(entries, pairs, strict=True):  # noqa: B007 - key names the error
                # sdssplitlen: an empty string has no parts at all
                args = (raw.split(" ") if raw else []) if d.multi_arg else [raw]
                parsed = self._parse(d, args, reading_file=False)
                new_values.append(parsed)
                self._values[d.name] = parsed
        except _BadValue as exc:
            self._values.clear()
            self._values.update(old_values)
            raise ConfigSetError(_set_failed(key, str(exc))) from None

        changed: dict[str, str] = {}      # canonical name -> name used in the command (for errors)
        for (key, d), _ in zip(entries, new_values, strict=True):
            if self._values[d.name] != old_values[d.name] and d.name not in changed:
                changed[d.name] = key
        for name, key in changed.items():
            try:
                for hook in self._hooks.get(name, ()):
                    hook(old_values[name], self._values[name])
            except ConfigApplyError as exc:
                self._restore(old_values, changed)
                raise ConfigSetError(_set_failed(key, str(exc) or None)) from None

    def _restore(self, old_values: dict[str, Any], changed: Mapping[str, str]) -> None:
        failed_values = {name: self._values[name] for name in changed}
        self._values.clear()
        self._values.update(old_values)
        for name in changed:
            for hook in self._hooks.get(name, ()):
                try:
                    hook(failed_values[name], old_values[name])
                except ConfigApplyError as exc:
                    self._warn(f"Failed applying restored failed CONFIG SET command: {exc}")

    def set_internal(self, name: str, value: Any) -> None:
        """Store a typed value without validation or hooks (state changed by the server itself: REPLICAOF)."""
        self._values[DIRECTIVE_BY_NAME[name.lower()].name] = value

    # ------------------------------------------------------------------ CONFIG REWRITE

    def rewrite(self, path: str | None = None) -> None:
        """CONFIG REWRITE: update the config file in place, keeping comments and unknown lines.

        Lines of directives found in the file are replaced in place (extra duplicates blanked); directives
        not at their default and absent from the file are appended after a ``# Generated by CONFIG REWRITE``
        line; the file is replaced atomically (temp file, fsync, rename). Raises ConfigRewriteError.
        """
        path = path or self.config_file
        if path is None:
            raise ConfigRewriteError("ERR The server is running without a config file")
        try:
            state = _RewriteState.read(path)
        except OSError as exc:
            raise ConfigRewriteError(f"ERR Rewriting config file: {_strerror(exc)}") from None
        for d in DIRECTIVES:
            if not d.file_only:
                self._rewrite_directive(state, d)
        for option in ("user", "loadmodule"):
            provider = self._rewrite_providers.get(option)
            if provider is not None:
                for line in provider():
                    state.rewrite_line(option, line, force=True)
                state.processed.add(option)
        state.remove_orphaned()
        try:
            _overwrite_file(path, state.content())
        except OSError as exc:
            raise ConfigRewriteError(f"ERR Rewriting config file: {_strerror(exc)}") from None

    def _rewrite_directive(self, state: _RewriteState, d: Directive) -> None:
        name = d.name
        value = self._values[name]
        kind = d.kind
        default = _fresh_default(d)
        force = value != default
        if kind is Kind.BOOL:
            state.rewrite_line(name, f"{name} {'yes' if value else 'no'}", force)
        elif kind is Kind.MEMORY_PERCENT and value < 0:
            state.rewrite_line(name, f"{name} {-value}%", force)
        elif kind in (Kind.MEMORY, Kind.MEMORY_PERCENT):
            state.rewrite_line(name, f"{name} {_format_memory(value)}", force)
        elif kind is Kind.OCTAL:
            state.rewrite_line(name, f"{name} {value:o}", force)
        elif kind in (Kind.INT, Kind.ENUM, Kind.FLAGS):
            state.rewrite_line(name, f"{name} {format_value(d, value)}", force)
        elif kind is Kind.STRING:
            if value == "" and d.empty_is_null:
                state.processed.add(name)
            else:
                state.rewrite_line(name, f"{name} {quote_repr(value)}", force)
        elif kind is Kind.DIR:
            state.rewrite_line(name, f"{name} {quote_repr(value)}", True)
        elif kind is Kind.SAVE:
            if not value:
                state.rewrite_line(name, 'save ""', True)
            for seconds, changes in value:
                state.rewrite_line(name, f"save {seconds} {changes}", True)
            state.processed.add(name)
        elif kind is Kind.BIND:
            if not force:
                state.processed.add(name)
            else:
                state.rewrite_line(name, f"{name} {' '.join(value) if value else chr(34) * 2}", True)
        elif kind is Kind.CLIENT_OUTPUT_BUFFER_LIMIT:
            for cls, lim in value.items():
                line = (f"{name} {cls} {_format_memory(lim.hard_bytes)} {_format_memory(lim.soft_bytes)} "
                        f"{lim.soft_seconds}")
                state.rewrite_line(name, line, lim != default[cls])
        elif kind is Kind.NOTIFY_KEYSPACE_EVENTS:
            state.rewrite_line(name, f"{name} {quote_repr(format_keyspace_events(value))}", value != 0)
        elif kind is Kind.OOM_SCORE_ADJ_VALUES:
            state.rewrite_line(name, f"{name} {format_value(d, value)}", force)
        elif kind is Kind.REPLICAOF:
            if value is None or self._values["cluster-enabled"]:
                state.processed.add(name)
            else:
                state.rewrite_line(name, f"{name} {value[0]} {value[1]}", True)
        elif kind is Kind.LATENCY_PERCENTILES:
            words = format_value(d, value) if value else '""'
            state.rewrite_line(name, f"{name} {words}", True)


def _set_failed(name: str, message: str | None) -> str:
    if message:
        return f"ERR CONFIG SET failed (possibly related to argument '{name}') - {message}"
    return f"ERR CONFIG SET failed (possibly related to argument '{name}')"


def _strerror(exc: OSError) -> str:
    return os.strerror(exc.errno) if exc.errno else str(exc)


def _glob_match(pattern: str, name: str) -> bool:
    if _stringmatch is not None:
        return bool(_stringmatch(pattern.encode("utf-8", "surrogateescape"), name.encode(), True))
    import fnmatch

    return fnmatch.fnmatchcase(name, pattern.lower())


def _read_config_file(path: str, shown: str | None = None) -> str:
    try:
        with open(path, "rb") as fh:
            return fh.read().decode("utf-8", "surrogateescape")
    except OSError as exc:
        raise ConfigFileError(f"Fatal error, can't open config file '{shown or path}': {_strerror(exc)}",
                              logged=True) from None


class _RewriteState:
    """The old file as lines plus option -> line numbers, as Redis's rewriteConfigState."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.option_lines: dict[str, list[int]] = {}
        self.processed: set[str] = set()
        self.needs_signature = True

    @classmethod
    def read(cls, path: str) -> _RewriteState:
        state = cls()
        try:
            with open(path, "rb") as fh:
                data = fh.read().decode("utf-8", "surrogateescape")
        except FileNotFoundError:
            return state
        if not data:
            return state
        for raw in data.split("\n"):
            line = raw.strip("\r\n\t ")
            if not line or line.startswith("#"):
                if state.needs_signature and line == REWRITE_SIGNATURE:
                    state.needs_signature = False
                state.lines.append(line)
                continue
            argv = split_args(line)
            entry = REGISTRY.get(argv[0].lower()) if argv else None
            known = entry is not None and entry[1].kind is not Kind.IGNORED
            if argv is None or (argv and not known and argv[0].lower() != "sentinel"):
                # unparsable, or a directive that no longer exists (e.g. list-max-ziplist-entries)
                state.lines.append("# ??? " + line)
                continue
            if not argv:
                state.lines.append(line)
                continue
            # aliases are filed under the canonical name, so "slaveof" lines get replaced by "replicaof" ones
            option = entry[1].name if entry is not None else argv[0].lower()
            state.option_lines.setdefault(option, []).append(len(state.lines))
            state.lines.append(line)
        return state

    def rewrite_line(self, option: str, line: str, force: bool) -> None:
        self.processed.add(option)
        numbers = self.option_lines.get(option)
        if not numbers and not force:
            return
        if numbers:
            self.lines[numbers.pop(0)] = line
            if not numbers:
                del self.option_lines[option]
        else:
            if self.needs_signature:
                self.lines.append(REWRITE_SIGNATURE)
                self.needs_signature = False
            self.lines.append(line)

    def remove_orphaned(self) -> None:
        for option, numbers in self.option_lines.items():
            if option in self.processed:
                for n in numbers:
                    self.lines[n] = ""

    def content(self) -> str:
        out: list[str] = []
        was_empty = False
        for line in self.lines:
            if not line:
                if was_empty:
                    continue
                was_empty = True
            else:
                was_empty = False
            out.append(line + "\n")
        return "".join(out)


def _overwrite_file(path: str, content: str) -> None:
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".", dir=directory)
    try:
        data = content.encode("utf-8", "surrogateescape")
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        os.fchmod(fd, 0o644 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    os.close(fd)
