"""The one command table: every command's name, arity, flags, key specs, ACL categories and docs.

Rows come from the @command/@container/@subcommand decorators; dispatch, COMMAND, ACL and routing read them.

Rules of this module: a bad row raises when it is registered. What Redis 7.0 derives at start-up is derived
once here: implicit ACL categories (setImplicitACLCategories), the legacy (first, last, step) triple
(populateCommandLegacyRangeSpec), MOVABLE_KEYS (populateCommandMovableKeys). Key positions come from the key
specs walked as db.c getKeysUsingKeySpecs does, with the row's get_keys_fn as the fallback (getkeys_proc).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from .args import try_parse_int

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


# The flags COMMAND INFO shows, in its order (server.c addReplyFlagsForCommand). MAY_REPLICATE, SENTINEL,
# ONLY_SENTINEL, PROTECTED and TOUCHES_ARBITRARY_KEYS are hidden on purpose in Redis 7.0.
FLAG_NAMES: Final[tuple[tuple[int, bytes], ...]] = (
    (Flag.WRITE, b"write"), (Flag.READONLY, b"readonly"), (Flag.DENYOOM, b"denyoom"),
    (Flag.MODULE, b"module"), (Flag.ADMIN, b"admin"), (Flag.PUBSUB, b"pubsub"),
    (Flag.NOSCRIPT, b"noscript"), (Flag.BLOCKING, b"blocking"), (Flag.LOADING, b"loading"),
    (Flag.STALE, b"stale"), (Flag.SKIP_MONITOR, b"skip_monitor"), (Flag.SKIP_SLOWLOG, b"skip_slowlog"),
    (Flag.ASKING, b"asking"), (Flag.FAST, b"fast"), (Flag.NO_AUTH, b"no_auth"),
    (Flag.NO_MANDATORY_KEYS, b"no_mandatory_keys"), (Flag.NO_ASYNC_LOADING, b"no_async_loading"),
    (Flag.NO_MULTI, b"no_multi"), (Flag.MOVABLE_KEYS, b"movablekeys"), (Flag.ALLOW_BUSY, b"allow_busy"),
)

_FLAG_BY_NAME: Final = {name: value for name, value in vars(Flag).items() if name.isupper()}


class KeyFlag:
    """Key-spec flags as plain ints (CMD_KEY_*)."""

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


# How COMMAND INFO / GETKEYSANDFLAGS spell key-spec flags (addReplyFlagsForKeyArgs), in that order.
KEY_FLAG_NAMES: Final[tuple[tuple[int, bytes], ...]] = (
    (KeyFlag.RO, b"RO"), (KeyFlag.RW, b"RW"), (KeyFlag.OW, b"OW"), (KeyFlag.RM, b"RM"),
    (KeyFlag.ACCESS, b"access"), (KeyFlag.UPDATE, b"update"), (KeyFlag.INSERT, b"insert"),
    (KeyFlag.DELETE, b"delete"), (KeyFlag.NOT_KEY, b"not_key"), (KeyFlag.INCOMPLETE, b"incomplete"),
    (KeyFlag.VARIABLE_FLAGS, b"variable_flags"),
)

# ACL categories in acl.c ACLCommandCategories order: COMMAND INFO lists a row's categories in this order.
ACL_CATEGORIES: Final[tuple[str, ...]] = (
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog",
    "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection",
    "transaction", "scripting",
)
_ACL_ORDER: Final = {name: i for i, name in enumerate(ACL_CATEGORIES)}

# COMMAND DOCS "group" values (commandGroupStr).
GROUPS: Final = frozenset({
    "generic", "string", "list", "set", "sorted-set", "hash", "pubsub", "transactions", "connection",
    "server", "scripting", "hyperloglog", "cluster", "sentinel", "geo", "stream", "bitmap", "module",
})
DOC_FLAGS: Final = ("deprecated", "syscmd")

# begin_search / find_keys kinds (KSPEC_BS_* / KSPEC_FK_*).
BS_INDEX: Final = "index"
BS_KEYWORD: Final = "keyword"
BS_UNKNOWN: Final = "unknown"
FK_RANGE: Final = "range"
FK_KEYNUM: Final = "keynum"
FK_UNKNOWN: Final = "unknown"

_KEY_FLAG_BY_NAME: Final = {name: value for name, value in vars(KeyFlag).items() if name.isupper()}

KeyRefs = list[tuple[int, int]]
# A row's own key finder (Redis's getkeys_proc), used when walking the key specs fails or cannot give
# reliable flags: it returns key positions, or (position, KeyFlag) pairs when it knows the flags.
GetKeysFn = Callable[[list[bytes]], Sequence["int | tuple[int, int]"]]


def _trunc_div(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


@dataclass(slots=True, frozen=True)
class KeySpec:
    """Redis 7 key spec: begin_search (index, keyword or unknown) + find_keys (range, keynum or unknown)."""

    flags: int                  # KeyFlag bits
    index: int = 0              # begin_search index
    keyword: bytes | None = None
    startfrom: int = 0          # keyword search start (negative: from the end)
    lastkey: int = 0            # find_keys range
    keystep: int = 1
    limit: int = 0
    keynum_idx: int | None = None   # find_keys keynum (keynum_idx, firstkey, keystep)
    firstkey: int = 0
    notes: str = ""
    bs_type: str = BS_INDEX
    fk_type: str = FK_RANGE

    @property
    def is_range(self) -> bool:
        """An index + range spec: the only kind the legacy (first, last, step) triple can express."""
        return self.bs_type == BS_INDEX and self.fk_type == FK_RANGE

    def find(self, argv: Sequence[bytes]) -> list[int] | None:
        """This spec's key positions in argv: [] when its keyword is absent, None when the spec is invalid
        for this argv (Redis's invalid_spec: out of bounds, bad numkeys, unknown or INCOMPLETE spec)."""
        argc = len(argv)
        bs = self.bs_type
        if bs == BS_INDEX:
            first = self.index
        elif bs == BS_KEYWORD:
            first = self._keyword_start(argv)
            if not first:
                return []
        else:
            return None
        fk = self.fk_type
        if fk == FK_RANGE:
            step = self.keystep
            if self.lastkey >= 0:
                last = first + self.lastkey
            elif not self.limit:
                last = argc + self.lastkey
            else:
                last = first + _trunc_div(argc - first, self.limit) + self.lastkey
        elif fk == FK_KEYNUM:
            step = self.keystep
            assert self.keynum_idx is not None
            # Redis 7.0 bounds-checks keynumidx alone, then reads argv[first + keynumidx].
            if self.keynum_idx >= argc or first + self.keynum_idx >= argc:
                return None
            numkeys = try_parse_int(argv[first + self.keynum_idx])
            if numkeys is None or numkeys < 0:
                return None
            first += self.firstkey
            last = first + numkeys - 1
        else:
            return None
        if last >= argc or last < first or first >= argc:
            return None
        if self.flags & KeyFlag.INCOMPLETE:
            return None
        return list(range(first, last + 1, step))

    def _keyword_start(self, argv: Sequence[bytes]) -> int:
        # getKeysUsingKeySpecs: scan forward from startfrom up to argc-2, or backward from argc+startfrom
        # down to 2; the key range starts just after the keyword.
        argc = len(argv)
        kw = (self.keyword or b"").lower()
        if self.startfrom > 0:
            start, end = self.startfrom, argc - 1
        else:
            start, end = argc + self.startfrom, 1
        delta = 1 if start <= end else -1
        i = start
        while i != end:
            if i >= argc or i < 1:
                break
            if argv[i].lower() == kw:
                return i + 1
            i += delta
        return 0


def key_range(index: int, flags: str, lastkey: int = 0, step: int = 1, limit: int = 0,
              notes: str = "") -> KeySpec:
    """begin_search index + find_keys range (lastkey relative to index; -1 = last argument)."""
    return KeySpec(flags=_key_flags(flags), index=index, lastkey=lastkey, keystep=step, limit=limit,
                   notes=notes)


def key_keyword(keyword: bytes, startfrom: int, flags: str, lastkey: int = 0, step: int = 1,
                limit: int = 0, notes: str = "") -> KeySpec:
    """begin_search keyword (case-insensitive; startfrom < 0 searches backwards) + find_keys range."""
    return KeySpec(flags=_key_flags(flags), keyword=keyword, startfrom=startfrom, lastkey=lastkey,
                   keystep=step, limit=limit, notes=notes, bs_type=BS_KEYWORD)


def key_num(index: int, keynum_idx: int, firstkey: int, flags: str, step: int = 1,
            notes: str = "") -> KeySpec:
    """begin_search index + find_keys keynum (the key count at index+keynum_idx, keys from index+firstkey)."""
    return KeySpec(flags=_key_flags(flags), index=index, keynum_idx=keynum_idx, firstkey=firstkey,
                   keystep=step, notes=notes, fk_type=FK_KEYNUM)


def key_keyword_num(keyword: bytes, startfrom: int, keynum_idx: int, firstkey: int, flags: str,
                    step: int = 1, notes: str = "") -> KeySpec:
    """begin_search keyword + find_keys keynum."""
    return KeySpec(flags=_key_flags(flags), keyword=keyword, startfrom=startfrom,
                   keynum_idx=keynum_idx, firstkey=firstkey, keystep=step, notes=notes,
                   bs_type=BS_KEYWORD, fk_type=FK_KEYNUM)


def key_unknown(flags: str, notes: str = "") -> KeySpec:
    """begin_search unknown + find_keys unknown (SORT's BY/GET/STORE keys): the row needs get_keys_fn."""
    return KeySpec(flags=_key_flags(flags), notes=notes, bs_type=BS_UNKNOWN, fk_type=FK_UNKNOWN)


def _key_flags(text: str) -> int:
    out = 0
    for name in text.split():
        try:
            out |= _KEY_FLAG_BY_NAME[name.upper()]
        except KeyError:
            raise ValueError(f"unknown key-spec flag {name!r}") from None
    return out


@dataclass(slots=True)
class CommandSpec:
    name: bytes                      # lower-case lookup key; for subcommands the subcommand alone
    fullname: str                    # "get", "client|setname"
    arity: int
    flags: int                       # Flag bits
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
    get_keys_fn: GetKeysFn | None = None
    parent: CommandSpec | None = None
    subcommands: dict[bytes, CommandSpec] = field(default_factory=dict)
    # derived once
    log_name: bytes = b""            # "get", "client|setname": CLIENT LIST's cmd= and commandstats names
    acl_categories: tuple[str, ...] = ()
    legacy_range: tuple[int, int, int] = (0, 0, 0)
    has_keys: bool = False           # doesCommandHaveKeys: COMMAND GETKEYS answers "no key arguments" if not
    walk_specs: bool = False         # key specs are complete enough to trust (no VARIABLE_FLAGS)
    fast_range: tuple[int, int, int] | None = None   # (first, lastkey>=0, step) for the one-plain-spec rows
    # encoded COMMAND INFO / DOCS replies, keyed by (kind, resp); filled on first use
    reply_cache: dict[tuple[str, int], bytes] = field(default_factory=dict)
    # position of this row in each server's per-command statistics (server/stats.py CommandStat list)
    index: int = -1

    def get_keys(self, argv: list[bytes]) -> list[int]:
        """Key positions in argv (getKeysFromCommandWithSpecs); [] when there are none or argv is invalid."""
        fr = self.fast_range
        if fr is not None:
            first, lastkey, step = fr
            last = first + lastkey
            if last < len(argv):
                return list(range(first, last + 1, step))
            return []
        return [pos for pos, _ in self.key_refs(argv)]

    def key_refs(self, argv: list[bytes]) -> KeyRefs:
        """(position, key-spec flags) of every key in argv, as COMMAND GETKEYSANDFLAGS reports them."""
        if self.walk_specs:
            refs = self._walk(argv)
            if refs is not None:
                return refs
        fn = self.get_keys_fn
        if fn is not None:
            return [(item, 0) if isinstance(item, int) else item for item in fn(argv)]
        if self.has_keys and not self.walk_specs:
            # VARIABLE_FLAGS without a get_keys_fn: positions from the specs, flags as declared.
            return self._walk(argv) or []
        return []

    def _walk(self, argv: list[bytes]) -> KeyRefs | None:
        refs: KeyRefs = []
        for ks in self.key_specs:
            if ks.flags & KeyFlag.NOT_KEY:
                continue
            found = ks.find(argv)
            if found is None:
                return None
            flags = ks.flags
            refs.extend((pos, flags) for pos in found)
        return refs

    @property
    def is_container(self) -> bool:
        return bool(self.subcommands)


TABLE: dict[bytes, CommandSpec] = {}


def _derive(spec: CommandSpec) -> None:
    spec.log_name = spec.fullname.encode()
    # setImplicitACLCategories (Redis 7.0): note "slow" is added when the *categories* lack "fast".
    cats = set(spec.acl)
    f = spec.flags
    if f & Flag.WRITE:
        cats.add("write")
    if f & Flag.READONLY and "scripting" not in cats:
        cats.add("read")
    if f & Flag.ADMIN:
        cats.update(("admin", "dangerous"))
    if f & Flag.PUBSUB:
        cats.add("pubsub")
    if f & Flag.FAST:
        cats.add("fast")
    if f & Flag.BLOCKING:
        cats.add("blocking")
    if "fast" not in cats:
        cats.add("slow")
    spec.acl_categories = tuple(sorted(cats, key=_ACL_ORDER.__getitem__))
    spec.legacy_range = _legacy_range(spec.key_specs)

    specs = spec.key_specs
    has_varflags = any(ks.flags & KeyFlag.VARIABLE_FLAGS for ks in specs)
    has_keyspec = any(not ks.flags & KeyFlag.NOT_KEY for ks in specs)
    spec.has_keys = spec.get_keys_fn is not None or has_keyspec
    spec.walk_specs = has_keyspec and not has_varflags
    # populateCommandMovableKeys as 7.0.15 behaves: any spec that is not index+range, or a key finder
    # that is not only there to refine VARIABLE_FLAGS (SET and BITFIELD are not movable).
    if any(not ks.is_range for ks in specs) or (spec.get_keys_fn is not None and not has_varflags):
        spec.flags |= Flag.MOVABLE_KEYS
    spec.fast_range = None
    if len(specs) == 1 and spec.get_keys_fn is None:
        ks = specs[0]
        if ks.is_range and ks.lastkey >= 0 and not ks.flags & (
            KeyFlag.NOT_KEY | KeyFlag.INCOMPLETE | KeyFlag.VARIABLE_FLAGS
        ):
            spec.fast_range = (ks.index, ks.lastkey, ks.keystep)


def _legacy_range(specs: Sequence[KeySpec]) -> tuple[int, int, int]:
    """populateCommandLegacyRangeSpec (7.0) as COMMAND INFO reports it: (first, last, step).

    One index+range spec is taken as is. Otherwise the index+range specs are glued when all have step 1
    (the lowest index, the highest last key compared as unsigned so -1 wins); anything else is (0, 0, 0).
    """
    if not specs:
        return (0, 0, 0)
    if len(specs) == 1 and specs[0].is_range:
        ks = specs[0]
        last = ks.lastkey + ks.index if ks.lastkey >= 0 else ks.lastkey
        return (ks.index, last, ks.keystep)
    firstkey: int | None = None
    lastkey = 0
    for ks in specs:
        if not ks.is_range:
            continue
        if ks.keystep != 1:
            return (0, 0, 0)
        firstkey = ks.index if firstkey is None else min(firstkey, ks.index)
        last_abs = ks.lastkey + ks.index if ks.lastkey >= 0 else ks.lastkey
        lastkey = max(lastkey, last_abs, key=lambda v: v & 0xFFFFFFFF)
    if firstkey is None:
        return (0, 0, 0)
    return (firstkey, lastkey, 1)


def _validate(spec: CommandSpec) -> None:
    name = spec.fullname
    if spec.arity == 0:
        raise ValueError(f"{name}: arity 0")
    if spec.flags & Flag.WRITE and spec.flags & Flag.READONLY:
        raise ValueError(f"{name}: WRITE and READONLY together")
    if not spec.summary:
        raise ValueError(f"{name}: missing summary")
    if not spec.since:
        raise ValueError(f"{name}: missing since")
    if spec.group not in GROUPS:
        raise ValueError(f"{name}: unknown group {spec.group!r}")
    for cat in spec.acl:
        if cat not in _ACL_ORDER:
            raise ValueError(f"{name}: unknown ACL category {cat!r}")
    for flag in spec.doc_flags:
        if flag not in DOC_FLAGS:
            raise ValueError(f"{name}: unknown doc flag {flag!r}")
    if isinstance(spec.tips, str) or not all(isinstance(t, str) and t for t in spec.tips):
        raise ValueError(f"{name}: tips must be a tuple of strings")
    for entry in spec.history:
        if len(entry) != 2 or not all(isinstance(x, str) for x in entry):
            raise ValueError(f"{name}: history entries are (version, text) pairs")
    for ks in spec.key_specs:
        if not isinstance(ks, KeySpec):
            raise ValueError(f"{name}: key specs must be KeySpec (use key_range/key_keyword/...)")
        rw = ks.flags & (KeyFlag.RO | KeyFlag.RW | KeyFlag.OW | KeyFlag.RM)
        if rw and rw & (rw - 1):
            raise ValueError(f"{name}: a key spec takes one of RO/RW/OW/RM")
        if ks.keystep < 1:
            raise ValueError(f"{name}: key spec step must be >= 1")
        if ks.bs_type == BS_INDEX and ks.index < 1:
            raise ValueError(f"{name}: key spec index must be >= 1")
        if ks.fk_type == FK_RANGE and ks.limit and ks.lastkey != -1:
            raise ValueError(f"{name}: a range limit needs lastkey -1")
        if spec.arity > 0 and ks.bs_type == BS_INDEX:
            if ks.index >= spec.arity:
                raise ValueError(f"{name}: key spec index past arity")
            if ks.fk_type == FK_RANGE and ks.lastkey >= 0 and ks.index + ks.lastkey >= spec.arity:
                raise ValueError(f"{name}: key spec last key past arity")
    if spec.flags & Flag.MOVABLE_KEYS:
        raise ValueError(f"{name}: MOVABLE_KEYS is derived from the key specs, do not declare it")


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


def _make(name: str, arity: int, flags: str | int, keys: Sequence[KeySpec],
          kwargs: dict[str, Any], handler: Handler | None, parent: CommandSpec | None) -> CommandSpec:
    acl = kwargs.pop("acl", ())
    if isinstance(acl, str):
        acl = tuple(a.lstrip("@").lower() for a in acl.split())
    else:
        acl = tuple(a.lstrip("@").lower() for a in acl)
    for key in ("tips", "doc_flags"):
        if isinstance(kwargs.get(key), str):
            kwargs[key] = tuple(kwargs[key].split())
    if "history" in kwargs:
        kwargs["history"] = tuple(tuple(h) for h in kwargs["history"])
    fullname = f"{parent.fullname}|{name.lower()}" if parent else name.lower()
    try:
        spec = CommandSpec(
            name=name.lower().encode(), fullname=fullname, arity=arity, flags=_parse_flags(flags),
            handler=handler, key_specs=tuple(keys), acl=acl, parent=parent, **kwargs,
        )
    except TypeError as exc:
        raise ValueError(f"{fullname}: {exc}") from None
    _validate(spec)
    _derive(spec)
    spec.index = len(_ALL_ROWS)
    _ALL_ROWS.append(spec)
    return spec


# Every row ever made, in creation order: row.index is its position (per-server statistics are lists).
_ALL_ROWS: list[CommandSpec] = []


def row_count() -> int:
    """How many rows (commands and subcommands) the table holds."""
    return len(_ALL_ROWS)


def command(name: str, arity: int, flags: str | int = "", keys: Sequence[KeySpec] = (),
            **kwargs: Any) -> Callable[[Handler], Handler]:
    """Register a top-level command row for the decorated handler."""

    def register(handler: Handler) -> Handler:
        key = name.lower().encode()
        if key in TABLE:
            raise ValueError(f"duplicate command {name}")
        TABLE[key] = _make(name, arity, flags, keys, dict(kwargs), handler, None)
        return handler

    return register


def container(name: str, arity: int = -2, flags: str | int = "", handler: Handler | None = None,
              **kwargs: Any) -> CommandSpec:
    """Register a container command (CLIENT, CONFIG, OBJECT, ...) whose rows are its subcommands.

    A container with its own handler (COMMAND) runs it when called without a subcommand.
    """
    key = name.lower().encode()
    if key in TABLE:
        raise ValueError(f"duplicate command {name}")
    spec = _make(name, arity, flags, (), dict(kwargs), handler, None)
    TABLE[key] = spec
    return spec


def subcommand(parent: str, name: str, arity: int, flags: str | int = "",
               keys: Sequence[KeySpec] = (), **kwargs: Any) -> Callable[[Handler], Handler]:
    """Register a subcommand row (`client|setname`) under an existing container."""

    def register(handler: Handler) -> Handler:
        box = TABLE[parent.lower().encode()]
        key = name.lower().encode()
        if key in box.subcommands:
            raise ValueError(f"duplicate subcommand {parent}|{name}")
        kw = dict(kwargs)
        kw.setdefault("group", box.group)
        box.subcommands[key] = _make(name, arity, flags, keys, kw, handler, box)
        return handler

    return register


def build_row(name: str, arity: int, flags: str | int = "", keys: Sequence[KeySpec] = (),
              **kwargs: Any) -> CommandSpec:
    """A validated row with its derived data, not registered in TABLE (for tools and tests)."""
    return _make(name, arity, flags, keys, dict(kwargs), None, None)


def lookup(argv: list[bytes]) -> CommandSpec | None:
    """The row for argv (subcommand row for containers when argv has a known subcommand)."""
    spec = TABLE.get(argv[0].lower())
    if spec is not None and spec.subcommands and len(argv) > 1:
        return spec.subcommands.get(argv[1].lower(), spec)
    return spec


def lookup_command(argv: Sequence[bytes]) -> CommandSpec | None:
    """lookupCommand: the row argv runs (None for an unknown command or unknown subcommand)."""
    spec = TABLE.get(argv[0].lower())
    if spec is None or len(argv) == 1 or not spec.subcommands:
        return spec
    return spec.subcommands.get(argv[1].lower())


def lookup_by_name(name: bytes) -> CommandSpec | None:
    """lookupCommandBySds: "get" or "config|get" (strict: no deeper levels, no stray separators)."""
    parts = name.lower().split(b"|")
    if len(parts) > 2:
        return None
    spec = TABLE.get(parts[0])
    if spec is None or len(parts) == 1:
        return spec
    if not spec.subcommands:
        return None
    return spec.subcommands.get(parts[1])


def all_specs() -> list[CommandSpec]:
    """Every top-level row and every subcommand row."""
    out: list[CommandSpec] = []
    for spec in TABLE.values():
        out.append(spec)
        out.extend(spec.subcommands.values())
    return out
