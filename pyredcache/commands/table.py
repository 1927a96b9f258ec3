"""The one command table: every command's name, arity, flags, key specs, ACL categories and docs.

Rows are added by the @command/@subcommand decorators next to their handlers; dispatch, arity errors,
COMMAND INFO/DOCS/GETKEYS and (later) cluster routing all read this table. It validates itself as rows
are added and derives the implicit ACL categories and the legacy (first, last, step) triple once.
"""
from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..server.client import Client

Handler = Callable[["Client", list[bytes]], None]


class Flag:
    """Command flags as plain ints (enum.IntFlag operations allocate; these are tested per command)."""

    WRITE = 1 << 0
    READONLY = 1 << 1
    DENYOOM = 1 << 2
    MODULE = 1 << 3
    ADMIN = 1 << 4
    PUBSUB = 1 << 5
    NOSCRIPT = 1 << 6
    BLOCKING = 1 << 8
    LOADING = 1 << 9
    STALE = 1 << 10
    SKIP_MONITOR = 1 << 11
    SKIP_SLOWLOG = 1 << 12
    ASKING = 1 << 13
    FAST = 1 << 14
    NO_AUTH = 1 << 15
    MAY_REPLICATE = 1 << 16
    SENTINEL = 1 << 17
    ONLY_SENTINEL = 1 << 18
    NO_MANDATORY_KEYS = 1 << 19
    PROTECTED = 1 << 20
    MODULE_GETKEYS = 1 << 21
    MODULE_NO_CLUSTER = 1 << 22
    NO_ASYNC_LOADING = 1 << 23
    NO_MULTI = 1 << 24
    MOVABLE_KEYS = 1 << 25
    ALLOW_BUSY = 1 << 26
    MODULE_GETCHANNELS = 1 << 27
    TOUCHES_ARBITRARY_KEYS = 1 << 28


_FLAG_BY_NAME = {name: value for name, value in vars(Flag).items() if name.isupper()}

# The order COMMAND INFO lists flags in (Redis's commandFlagNames order).
FLAG_NAMES: tuple[tuple[int, bytes], ...] = (
    (Flag.WRITE, b"write"), (Flag.READONLY, b"readonly"), (Flag.DENYOOM, b"denyoom"),
    (Flag.MODULE, b"module"), (Flag.ADMIN, b"admin"), (Flag.PUBSUB, b"pubsub"),
    (Flag.NOSCRIPT, b"noscript"), (Flag.BLOCKING, b"blocking"), (Flag.LOADING, b"loading"),
    (Flag.STALE, b"stale"), (Flag.SKIP_MONITOR, b"skip_monitor"), (Flag.SKIP_SLOWLOG, b"skip_slowlog"),
    (Flag.ASKING, b"asking"), (Flag.FAST, b"fast"), (Flag.NO_AUTH, b"no_auth"),
    (Flag.MAY_REPLICATE, b"may_replicate"), (Flag.NO_MANDATORY_KEYS, b"no_mandatory_keys"),
    (Flag.NO_ASYNC_LOADING, b"no_async_loading"), (Flag.NO_MULTI, b"no_multi"),
    (Flag.MOVABLE_KEYS, b"movablekeys"), (Flag.ALLOW_BUSY, b"allow_busy"),
)



class KeyFlag(enum.IntFlag):
    RO = 1 << 0
    RW = 1 << 1
    OW = 1 << 2
    RM = 1 << 3
    ACCESS = 1 << 4
    UPDATE = 1 << 5
    INSERT = 1 << 6
    DELETE = 1 << 7
    NOT_KEY = 1 << 8
    INCOMPLETE = 1 << 9
    VARIABLE_FLAGS = 1 << 10


KEY_FLAG_NAMES: tuple[tuple[KeyFlag, bytes], ...] = tuple((f, f.name.encode()) for f in KeyFlag)  # type: ignore[union-attr]


@dataclass(slots=True, frozen=True)
class KeySpec:
    """Redis 7 key spec: begin_search (index or keyword) + find_keys (range or keynum) + flags."""

    flags: KeyFlag
    index: int = 0              # begin_search index (when keyword is None)
    keyword: bytes | None = None
    startfrom: int = 0          # keyword search start (negative: from the end)
    lastkey: int = 0            # find_keys range
    keystep: int = 1
    limit: int = 0
    keynum_idx: int | None = None   # find_keys keynum (keynum_idx, firstkey, keystep)
    firstkey: int = 0
    notes: str = ""

    def find(self, argv: list[bytes]) -> list[int]:
        """Positions of this spec's keys in argv (may be empty)."""
        argc = len(argv)
        found = self.index if self.keyword is None else self._keyword_start(argv)
        if found is None:
            return []
        begin = found
        if begin >= argc or begin <= 0:
            return []
        if self.keynum_idx is not None:
            try:
                numkeys = int(argv[begin + self.keynum_idx])
            except (IndexError, ValueError):
                return []
            first = begin + self.firstkey
            last = first + (numkeys - 1) * self.keystep
            if numkeys <= 0 or last >= argc:
                return []
            return list(range(first, last + 1, self.keystep))
        if self.lastkey >= 0:
            last = begin + self.lastkey
        elif self.limit > 1:
            last = begin + ((argc - 1 - begin) // self.limit) + self.lastkey + 1
        else:
            last = argc + self.lastkey
        last = min(last, argc - 1)
        return list(range(begin, last + 1, self.keystep))

    def _keyword_start(self, argv: list[bytes]) -> int | None:
        kw = self.keyword.lower() if self.keyword else b""
        argc = len(argv)
        if self.startfrom >= 0:
            rng = range(self.startfrom, argc)
        else:
            rng = range(argc + self.startfrom, 0, -1)
        for i in rng:
            if 0 < i < argc and argv[i].lower() == kw:
                return i + 1
        return None


def key_range(index: int, flags: str, lastkey: int = 0, step: int = 1, limit: int = 0) -> KeySpec:
    return KeySpec(flags=_key_flags(flags), index=index, lastkey=lastkey, keystep=step, limit=limit)


def key_keyword(keyword: bytes, startfrom: int, flags: str, lastkey: int = 0, step: int = 1,
                limit: int = 0) -> KeySpec:
    return KeySpec(flags=_key_flags(flags), keyword=keyword, startfrom=startfrom, lastkey=lastkey,
                   keystep=step, limit=limit)


def key_num(index: int, keynum_idx: int, firstkey: int, flags: str, step: int = 1) -> KeySpec:
    return KeySpec(flags=_key_flags(flags), index=index, keynum_idx=keynum_idx, firstkey=firstkey,
                   keystep=step)


def _key_flags(text: str) -> KeyFlag:
    out = KeyFlag(0)
    for name in text.split():
        try:
            out |= KeyFlag[name]
        except KeyError:
            raise ValueError(f"unknown key-spec flag {name!r}") from None
    return out


@dataclass(slots=True)
class CommandSpec:
    name: bytes                      # lower-case lookup key; for subcommands the subcommand alone
    fullname: str                    # "get", "client|setname"
    arity: int
    flags: int
    handler: Handler | None
    key_specs: tuple[KeySpec, ...] = ()
    acl: tuple[str, ...] = ()        # explicit categories, without '@'
    group: str = ""
    since: str = ""
    complexity: str = ""
    summary: str = ""
    args: str = ""                   # syntax line, turned into the COMMAND DOCS argument tree
    tips: tuple[str, ...] = ()
    history: tuple[tuple[str, str], ...] = ()
    doc_flags: tuple[str, ...] = ()
    deprecated_since: str = ""
    replaced_by: str = ""
    get_keys_fn: Callable[[list[bytes]], list[int]] | None = None
    parent: CommandSpec | None = None
    subcommands: dict[bytes, CommandSpec] = field(default_factory=dict)
    # derived once
    log_name: bytes = b""            # "get", "client|setname": CLIENT LIST's cmd= and commandstats names
    acl_categories: tuple[str, ...] = ()
    legacy_range: tuple[int, int, int] = (0, 0, 0)
    # runtime statistics (commandstats): calls, usec, rejected_calls, failed_calls
    calls: int = 0
    usec: int = 0
    rejected_calls: int = 0
    failed_calls: int = 0

    def get_keys(self, argv: list[bytes]) -> list[int]:
        """Key positions in argv, from the key specs (or the row's own function for irregular commands)."""
        if self.get_keys_fn is not None:
            return self.get_keys_fn(argv)
        if len(self.key_specs) == 1:
            return self.key_specs[0].find(argv)
        out: list[int] = []
        for spec in self.key_specs:
            out.extend(spec.find(argv))
        return out

    @property
    def is_container(self) -> bool:
        return bool(self.subcommands)


TABLE: dict[bytes, CommandSpec] = {}


def _derive(spec: CommandSpec) -> None:
    spec.log_name = spec.fullname.encode()
    cats = list(spec.acl)
    f = spec.flags
    if f & Flag.WRITE:
        cats.append("write")
    if f & Flag.READONLY and "scripting" not in spec.acl:
        cats.append("read")
    if f & Flag.ADMIN:
        cats += ["admin", "dangerous"]
    if f & Flag.PUBSUB:
        cats.append("pubsub")
    cats.append("fast" if f & Flag.FAST else "slow")
    if f & Flag.BLOCKING:
        cats.append("blocking")
    seen: list[str] = []
    for c in cats:
        if c not in seen:
            seen.append(c)
    spec.acl_categories = tuple(seen)
    spec.legacy_range = _legacy_range(spec)
    if spec.get_keys_fn is not None or any(
        ks.keyword is not None or ks.keynum_idx is not None for ks in spec.key_specs
    ):
        spec.flags |= Flag.MOVABLE_KEYS


def _legacy_range(spec: CommandSpec) -> tuple[int, int, int]:
    """populateCommandLegacyRangeSpec: (first, last, step) covering the plain index+range specs."""
    first = last = step = 0
    prev_last = 0
    for ks in spec.key_specs:
        if ks.keyword is not None or ks.keynum_idx is not None:
            continue
        if ks.flags & KeyFlag.INCOMPLETE:
            continue
        if first == 0:
            first, step = ks.index, ks.keystep
            last = ks.index + ks.lastkey if ks.lastkey >= 0 else ks.lastkey
            prev_last = last
            continue
        if ks.index != prev_last + step or ks.keystep != step or prev_last < 0:
            continue
        last = ks.index + ks.lastkey if ks.lastkey >= 0 else ks.lastkey
        prev_last = last
    return (first, last, step)


def _validate(spec: CommandSpec) -> None:
    if spec.arity == 0:
        raise ValueError(f"{spec.fullname}: arity 0")
    if spec.flags & Flag.WRITE and spec.flags & Flag.READONLY:
        raise ValueError(f"{spec.fullname}: WRITE and READONLY together")
    if not spec.summary:
        raise ValueError(f"{spec.fullname}: missing summary")
    if spec.arity > 0:
        for ks in spec.key_specs:
            if ks.keyword is None and ks.keynum_idx is None and ks.index >= spec.arity:
                raise ValueError(f"{spec.fullname}: key spec index past arity")


def _parse_flags(flags: str | int) -> int:
    if isinstance(flags, int):
        return flags
    out = 0
    for name in flags.split():
        try:
            out |= _FLAG_BY_NAME[name.upper()]
        except KeyError:
            raise ValueError(f"unknown command flag {name!r}") from None
    return out


def _make(name: str, arity: int, flags: str | int, keys: list[KeySpec] | tuple[KeySpec, ...],
          kwargs: dict[str, Any], handler: Handler | None, parent: CommandSpec | None) -> CommandSpec:
    acl = kwargs.pop("acl", ())
    if isinstance(acl, str):
        acl = tuple(a.lstrip("@") for a in acl.split())
    fullname = f"{parent.fullname}|{name.lower()}" if parent else name.lower()
    spec = CommandSpec(
        name=name.lower().encode(), fullname=fullname, arity=arity, flags=_parse_flags(flags),
        handler=handler, key_specs=tuple(keys), acl=tuple(acl), parent=parent, **kwargs,
    )
    _validate(spec)
    _derive(spec)
    return spec


def command(name: str, arity: int, flags: str | int = "", keys: list[KeySpec] | tuple[KeySpec, ...] = (),
            **kwargs: Any) -> Callable[[Handler], Handler]:
    """Register a top-level command row for the decorated handler."""

    def register(handler: Handler) -> Handler:
        key = name.lower().encode()
        if key in TABLE:
            raise ValueError(f"duplicate command {name}")
        TABLE[key] = _make(name, arity, flags, keys, dict(kwargs), handler, None)
        return handler

    return register


def container(name: str, arity: int = -2, flags: str | int = "", **kwargs: Any) -> CommandSpec:
    """Register a container command (CLIENT, CONFIG, OBJECT, ...) whose rows are its subcommands."""
    key = name.lower().encode()
    if key in TABLE:
        raise ValueError(f"duplicate command {name}")
    spec = _make(name, arity, flags, (), dict(kwargs), None, None)
    TABLE[key] = spec
    return spec


def subcommand(parent: str, name: str, arity: int, flags: str | int = "",
               keys: list[KeySpec] | tuple[KeySpec, ...] = (), **kwargs: Any) -> Callable[[Handler], Handler]:
    """Register a subcommand row (`client|setname`) under an existing container."""

    def register(handler: Handler) -> Handler:
        box = TABLE[parent.lower().encode()]
        key = name.lower().encode()
        if key in box.subcommands:
            raise ValueError(f"duplicate subcommand {parent}|{name}")
        kwargs.setdefault("group", box.group)
        box.subcommands[key] = _make(name, arity, flags, keys, dict(kwargs), handler, box)
        return handler

    return register


def lookup(argv: list[bytes]) -> CommandSpec | None:
    """The row for argv (subcommand row for containers when argv has a known subcommand)."""
    spec = TABLE.get(argv[0].lower())
    if spec is not None and spec.subcommands and len(argv) > 1:
        return spec.subcommands.get(argv[1].lower(), spec)
    return spec


def all_specs() -> list[CommandSpec]:
    """Every top-level row and every subcommand row."""
    out: list[CommandSpec] = []
    for spec in TABLE.values():
        out.append(spec)
        out.extend(spec.subcommands.values())
    return out
