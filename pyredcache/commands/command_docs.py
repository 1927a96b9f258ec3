"""COMMAND and its subcommands (COUNT INFO DOCS LIST GETKEYS GETKEYSANDFLAGS HELP): plain views of the table.

Also the parser that turns a row's `args=` syntax line into the COMMAND DOCS argument tree, and the
encoders of COMMAND INFO / DOCS rows (each row encoded once per RESP version, then served from its cache).

Syntax line rules (space separated):
  name:type                 an argument (types: key string integer double pattern unix-time pure-token)
  name:TOKEN=type           an argument preceded by a token (`count:COUNT=integer`)
  name:TOKEN                a pure token with its own name (`sorting:ALPHA`, `auto_id:*`, `empty:""`)
  TOKEN                     a pure token named after itself (`NX` is named "nx")
  TOKEN name:type           folded into one argument with that token (`EX seconds:integer`)
  [ ... ]                   optional;  { a | b }  oneof;  { a b }  block;  name:{...}, name:TOKEN={...}
  ...                       suffix: multiple (after [TOKEN x] or {TOKEN x}: multiple_token as well)
  @N                        suffix of the type: key_spec_index N (key arguments are numbered in order)
  <since> <since,deprecated>  suffix: the argument's since / deprecated_since
A [ ] or { } group without a name is named after its children ("offset_count" for {offset count}).
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .. import errors
from .._speedups.glob import stringmatch
from .._speedups.resp import ReplyWriter
from ..errors import ReplyError
from .table import (
    ACL_CATEGORIES,
    BS_INDEX,
    BS_KEYWORD,
    FK_KEYNUM,
    FK_RANGE,
    FLAG_NAMES,
    KEY_FLAG_NAMES,
    TABLE,
    CommandSpec,
    Flag,
    KeySpec,
    all_specs,
    container,
    lookup_by_name,
    lookup_command,
    subcommand,
)

if TYPE_CHECKING:
    from ..server.client import Client

ARG_TYPES = frozenset({"string", "integer", "double", "key", "pattern", "unix-time", "pure-token",
                       "oneof", "block"})
_VALUE_TYPES = ARG_TYPES - {"oneof", "block"}


# ------------------------------------------------------------------------------- argument syntax parser


@dataclass(slots=True)
class Arg:
    """One node of the COMMAND DOCS argument tree (redisCommandArg)."""

    name: str
    type: str
    token: str | None = None
    key_spec_index: int = -1
    since: str = ""
    deprecated_since: str = ""
    optional: bool = False
    multiple: bool = False
    multiple_token: bool = False
    args: list[Arg] = field(default_factory=list)

    @property
    def flags(self) -> tuple[str, ...]:
        out = []
        if self.optional:
            out.append("optional")
        if self.multiple:
            out.append("multiple")
        if self.multiple_token:
            out.append("multiple_token")
        return tuple(out)

    def as_dict(self) -> dict[str, object]:
        """The argument as the map COMMAND DOCS returns (for tests and tools)."""
        d: dict[str, object] = {"name": self.name, "type": self.type}
        if self.key_spec_index >= 0:
            d["key_spec_index"] = self.key_spec_index
        if self.token is not None:
            d["token"] = self.token
        if self.since:
            d["since"] = self.since
        if self.deprecated_since:
            d["deprecated_since"] = self.deprecated_since
        if self.flags:
            d["flags"] = list(self.flags)
        if self.type in ("oneof", "block"):
            d["arguments"] = [a.as_dict() for a in self.args]
        return d


class ArgSyntaxError(ValueError):
    pass


_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<ellipsis>\.\.\.)
      | (?P<punct>[\[\]{}|])
      | <(?P<since>[^>]*)>
      | (?P<word>(?:"[^"]*"|[^\s\[\]{}|<.]|\.(?!\.\.))+)
    )""",
    re.VERBOSE,
)
_KEY_INDEX_RE = re.compile(r"^(.*?)@(\d+)$")


def _tokenize(line: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    line = line.rstrip()
    while pos < len(line):
        m = _TOKEN_RE.match(line, pos)
        if m is None or m.end() == pos:
            raise ArgSyntaxError(f"cannot parse at {line[pos:pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup
        assert kind is not None
        out.append((kind, m.group(kind)))
    return out


@dataclass(slots=True)
class _Item:
    arg: Arg
    wrapped: bool = False        # produced by [ ] or { } around a single argument
    bare_token: bool = False     # a bare TOKEN that may fold into the following argument


class _Parser:
    def __init__(self, line: str) -> None:
        self.toks = _tokenize(line)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.toks[self.pos] if self.pos < len(self.toks) else None

    def take(self) -> tuple[str, str]:
        tok = self.toks[self.pos]
        self.pos += 1
        return tok

    def expect(self, value: str) -> None:
        tok = self.peek()
        if tok is None or tok[1] != value:
            raise ArgSyntaxError(f"expected {value!r}, got {tok[1] if tok else 'end of line'!r}")
        self.pos += 1

    def parse(self) -> list[Arg]:
        items = self.seq()
        tok = self.peek()
        if tok is not None:
            raise ArgSyntaxError(f"unexpected {tok[1]!r}")
        return [it.arg for it in items]

    def seq(self) -> list[_Item]:
        items: list[_Item] = []
        while True:
            tok = self.peek()
            if tok is None or tok[1] in ("]", "}", "|") and tok[0] == "punct":
                break
            items.append(self.item())
        return _fold(items)

    def item(self) -> _Item:
        it = self.primary()
        while True:
            tok = self.peek()
            if tok is None:
                break
            if tok[0] == "ellipsis":
                self.pos += 1
                it.arg.multiple = True
                if it.wrapped and it.arg.token is not None:
                    it.arg.multiple_token = True
                it.bare_token = False
            elif tok[0] == "since":
                self.pos += 1
                since, _, deprecated = tok[1].partition(",")
                it.arg.since = since.strip()
                it.arg.deprecated_since = deprecated.strip()
                it.bare_token = False
            else:
                break
        return it

    def primary(self) -> _Item:
        kind, value = self.take()
        if kind == "punct" and value == "[":
            items = self.seq()
            self.expect("]")
            if len(items) == 1:
                arg = items[0].arg
                arg.optional = True
                return _Item(arg, wrapped=True)
            if not items:
                raise ArgSyntaxError("empty [ ]")
            return _Item(_block(None, None, items, optional=True), wrapped=False)
        if kind == "punct" and value == "{":
            alts = self.alternatives()
            if len(alts) == 1 and len(alts[0]) == 1:
                return _Item(alts[0][0].arg, wrapped=True)
            return _Item(_group(None, None, alts))
        if kind != "word":
            raise ArgSyntaxError(f"unexpected {value!r}")
        return self.word(value)

    def alternatives(self) -> list[list[_Item]]:
        alts = [self.seq()]
        while True:
            tok = self.take() if self.peek() is not None else None
            if tok is None:
                raise ArgSyntaxError("unclosed {")
            if tok[1] == "}":
                return alts
            if tok[1] != "|":
                raise ArgSyntaxError(f"unexpected {tok[1]!r} in {{ }}")
            alts.append(self.seq())

    def word(self, word: str) -> _Item:
        name, colon, rhs = word.rpartition(":") if ":" in word else ("", "", word)
        tok = self.peek()
        opens_group = tok is not None and tok == ("punct", "{")
        if colon and (rhs == "" or rhs.endswith("=")) and opens_group:
            # name:{...}  or  name:TOKEN={...}
            token = _unquote(rhs[:-1]) if rhs else None
            self.pos += 1
            alts = self.alternatives()
            return _Item(_group(name, token, alts))
        if not colon:
            return self.bare(word)
        if not name:
            raise ArgSyntaxError(f"missing argument name in {word!r}")
        index = -1
        m = _KEY_INDEX_RE.match(rhs)
        if m is not None:
            rhs, index = m.group(1), int(m.group(2))
        if rhs in _VALUE_TYPES:
            token = name.upper() if rhs == "pure-token" else None
            arg = Arg(name, rhs, token=token, key_spec_index=index)
        elif "=" in rhs and rhs != "=":
            token_text, _, typ = rhs.partition("=")
            if typ not in _VALUE_TYPES or typ == "pure-token":
                raise ArgSyntaxError(f"unknown argument type {typ!r} in {word!r}")
            arg = Arg(name, typ, token=_unquote(token_text), key_spec_index=index)
        else:
            arg = Arg(name, "pure-token", token=_unquote(rhs))
        return _Item(arg)

    def bare(self, word: str) -> _Item:
        index = -1
        m = _KEY_INDEX_RE.match(word)
        if m is not None:
            word, index = m.group(1), int(m.group(2))
        if word.startswith('"'):
            token = _unquote(word)
            return _Item(Arg(token.lower(), "pure-token", token=token), bare_token=True)
        if any(ch.islower() for ch in word):
            typ = word if word in _VALUE_TYPES and word != "pure-token" else "string"
            return _Item(Arg(word, typ, key_spec_index=index))
        return _Item(Arg(word.lower(), "pure-token", token=word), bare_token=True)


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def _fold(items: list[_Item]) -> list[_Item]:
    """Fold a bare TOKEN into the argument right after it (`EX seconds:integer` is one argument)."""
    out: list[_Item] = []
    i = 0
    while i < len(items):
        it = items[i]
        nxt = items[i + 1] if i + 1 < len(items) else None
        if (it.bare_token and nxt is not None and nxt.arg.token is None and nxt.arg.type != "pure-token"
                and not nxt.arg.optional):
            nxt.arg.token = it.arg.token
            out.append(nxt)
            i += 2
            continue
        out.append(it)
        i += 1
    return out


def _block(name: str | None, token: str | None, items: list[_Item], optional: bool = False) -> Arg:
    children = [it.arg for it in items]
    return Arg(name or "_".join(a.name for a in children), "block", token=token, optional=optional,
               args=children)


def _group(name: str | None, token: str | None, alts: list[list[_Item]]) -> Arg:
    if len(alts) == 1:
        if not alts[0]:
            raise ArgSyntaxError("empty { }")
        return _block(name, token, alts[0])
    children: list[Arg] = []
    for alt in alts:
        if not alt:
            raise ArgSyntaxError("empty alternative in { }")
        children.append(alt[0].arg if len(alt) == 1 else _block(None, None, alt))
    return Arg(name or "_".join(a.name for a in children), "oneof", token=token, args=children)


def _walk(args: Iterable[Arg]) -> Iterator[Arg]:
    for a in args:
        yield a
        yield from _walk(a.args)


def parse_args(line: str, key_specs: int | None = None) -> list[Arg]:
    """The COMMAND DOCS argument tree for a syntax line (raises ArgSyntaxError, a ValueError).

    Key arguments without @N take the next key-spec number after the highest seen so far (in document
    order), capped at the row's last key spec when `key_specs` (their count) is given: LCS's key1 and
    key2 both belong to its one range spec.
    """
    if not line.strip():
        return []
    args = _Parser(line).parse()
    for a in _walk(args):
        if not a.name:
            a.name = "_".join(c.name for c in a.args) if a.args else (a.token or "").lower()
    top = -1
    for a in _walk(args):
        if a.key_spec_index >= 0:
            top = max(top, a.key_spec_index)
        elif a.type == "key":
            top += 1
            if key_specs is not None and top >= key_specs:
                top = max(key_specs - 1, 0)
            a.key_spec_index = top
    return args


def validate_args(spec: CommandSpec) -> list[Arg]:
    """Parse a row's args and check them against the row (raises ValueError naming the command)."""
    try:
        args = parse_args(spec.args, len(spec.key_specs))
    except ValueError as exc:
        raise ValueError(f"{spec.fullname}: bad args syntax {spec.args!r}: {exc}") from None
    for a in _walk(args):
        if a.key_spec_index >= len(spec.key_specs):
            raise ValueError(f"{spec.fullname}: argument {a.name!r} names key spec {a.key_spec_index}, "
                             f"the row has {len(spec.key_specs)}")
        if a.type in ("oneof", "block") and not a.args:
            raise ValueError(f"{spec.fullname}: empty group {a.name!r}")
    return args


# ------------------------------------------------------------------------------------- reply encoders


def _write_flag_set(w: ReplyWriter, names: list[bytes]) -> None:
    w.set_header(len(names))
    for n in names:
        w.simple(n)


def _key_flag_names(flags: int) -> list[bytes]:
    return [name for flag, name in KEY_FLAG_NAMES if flags & flag]


def _write_key_spec(w: ReplyWriter, ks: KeySpec) -> None:
    w.map_header(4 if ks.notes else 3)
    if ks.notes:
        w.bulk(b"notes")
        w.bulk(ks.notes.encode())
    w.bulk(b"flags")
    _write_flag_set(w, _key_flag_names(ks.flags))
    w.bulk(b"begin_search")
    w.map_header(2)
    w.bulk(b"type")
    w.bulk(ks.bs_type.encode())
    w.bulk(b"spec")
    if ks.bs_type == BS_INDEX:
        w.map_header(1)
        w.bulk(b"index")
        w.integer(ks.index)
    elif ks.bs_type == BS_KEYWORD:
        w.map_header(2)
        w.bulk(b"keyword")
        w.bulk(ks.keyword or b"")
        w.bulk(b"startfrom")
        w.integer(ks.startfrom)
    else:
        w.map_header(0)
    w.bulk(b"find_keys")
    w.map_header(2)
    w.bulk(b"type")
    w.bulk(ks.fk_type.encode())
    w.bulk(b"spec")
    if ks.fk_type == FK_RANGE:
        w.map_header(3)
        w.bulk(b"lastkey")
        w.integer(ks.lastkey)
        w.bulk(b"keystep")
        w.integer(ks.keystep)
        w.bulk(b"limit")
        w.integer(ks.limit)
    elif ks.fk_type == FK_KEYNUM:
        w.map_header(3)
        w.bulk(b"keynumidx")
        w.integer(ks.keynum_idx or 0)
        w.bulk(b"firstkey")
        w.integer(ks.firstkey)
        w.bulk(b"keystep")
        w.integer(ks.keystep)
    else:
        w.map_header(0)


def info_reply(spec: CommandSpec, resp: int) -> bytes:
    """The COMMAND INFO row of spec (addReplyCommandInfo), encoded once per RESP version."""
    key = ("info", resp)
    cached = spec.reply_cache.get(key)
    if cached is not None:
        return cached
    w = ReplyWriter(resp)
    w.array_header(10)
    w.bulk(spec.fullname.encode())
    w.integer(spec.arity)
    _write_flag_set(w, [name for flag, name in FLAG_NAMES if spec.flags & flag])
    first, last, step = spec.legacy_range
    w.integer(first)
    w.integer(last)
    w.integer(step)
    _write_flag_set(w, [b"@" + c.encode() for c in spec.acl_categories])
    w.set_header(len(spec.tips))
    for tip in spec.tips:
        w.bulk(tip.encode())
    w.set_header(len(spec.key_specs))
    for ks in spec.key_specs:
        _write_key_spec(w, ks)
    # addReplyCommandSubCommands: an empty set when there are none, else an array of rows.
    if spec.subcommands:
        w.array_header(len(spec.subcommands))
    else:
        w.set_header(0)
    for sub in spec.subcommands.values():
        w.raw(info_reply(sub, resp))
    out = bytes(w.take())
    spec.reply_cache[key] = out
    return out


def _write_args(w: ReplyWriter, args: list[Arg]) -> None:
    w.array_header(len(args))
    for a in args:
        group = a.type in ("oneof", "block")
        flags = a.flags
        n = 2 + (a.key_spec_index >= 0) + (a.token is not None) + bool(a.since) + bool(a.deprecated_since)
        n += bool(flags) + group
        w.map_header(n)
        w.bulk(b"name")
        w.bulk(a.name.encode())
        w.bulk(b"type")
        w.bulk(a.type.encode())
        if a.key_spec_index >= 0:
            w.bulk(b"key_spec_index")
            w.integer(a.key_spec_index)
        if a.token is not None:
            w.bulk(b"token")
            w.bulk(a.token.encode())
        if a.since:
            w.bulk(b"since")
            w.bulk(a.since.encode())
        if a.deprecated_since:
            w.bulk(b"deprecated_since")
            w.bulk(a.deprecated_since.encode())
        if flags:
            w.bulk(b"flags")
            _write_flag_set(w, [f.encode() for f in flags])
        if group:
            w.bulk(b"arguments")
            _write_args(w, a.args)


def docs_reply(spec: CommandSpec, resp: int) -> bytes:
    """The COMMAND DOCS map of spec (addReplyCommandDocs), without its name; encoded once per RESP."""
    key = ("docs", resp)
    cached = spec.reply_cache.get(key)
    if cached is not None:
        return cached
    try:
        args = parse_args(spec.args, len(spec.key_specs))
    except ArgSyntaxError:
        args = []           # a broken line must not take COMMAND DOCS down; the unit tests reject it
    fields = 1 + sum(map(bool, (spec.summary, spec.since, spec.complexity, spec.doc_flags,
                                spec.deprecated_since, spec.replaced_by, spec.history, args,
                                spec.subcommands)))
    w = ReplyWriter(resp)
    w.map_header(fields)
    if spec.summary:
        w.bulk(b"summary")
        w.bulk(spec.summary.encode())
    if spec.since:
        w.bulk(b"since")
        w.bulk(spec.since.encode())
    w.bulk(b"group")
    w.bulk(spec.group.encode())
    if spec.complexity:
        w.bulk(b"complexity")
        w.bulk(spec.complexity.encode())
    if spec.doc_flags:
        w.bulk(b"doc_flags")
        _write_flag_set(w, [f.encode() for f in spec.doc_flags])
    if spec.deprecated_since:
        w.bulk(b"deprecated_since")
        w.bulk(spec.deprecated_since.encode())
    if spec.replaced_by:
        w.bulk(b"replaced_by")
        w.bulk(spec.replaced_by.encode())
    if spec.history:
        w.bulk(b"history")
        w.set_header(len(spec.history))
        for version, text in spec.history:
            w.array_header(2)
            w.bulk(version.encode())
            w.bulk(text.encode())
    if args:
        w.bulk(b"arguments")
        _write_args(w, args)
    if spec.subcommands:
        w.bulk(b"subcommands")
        w.map_header(len(spec.subcommands))
        for sub in spec.subcommands.values():
            w.bulk(sub.fullname.encode())
            w.raw(docs_reply(sub, resp))
    out = bytes(w.take())
    spec.reply_cache[key] = out
    return out


_ALL_REPLIES: dict[tuple[str, int], tuple[int, bytes]] = {}


def _all_info(resp: int) -> bytes:
    """COMMAND / COMMAND INFO without names: every top-level row (built once per RESP version)."""
    hit = _ALL_REPLIES.get(("info", resp))
    if hit is not None and hit[0] == len(TABLE):
        return hit[1]
    w = ReplyWriter(resp)
    w.array_header(len(TABLE))
    for spec in TABLE.values():
        w.raw(info_reply(spec, resp))
    out = bytes(w.take())
    _ALL_REPLIES[("info", resp)] = (len(TABLE), out)
    return out


def _all_docs(resp: int) -> bytes:
    """COMMAND DOCS without names (what interactive redis-cli asks for at start-up), built once."""
    hit = _ALL_REPLIES.get(("docs", resp))
    if hit is not None and hit[0] == len(TABLE):
        return hit[1]
    w = ReplyWriter(resp)
    w.map_header(len(TABLE))
    for spec in TABLE.values():
        w.bulk(spec.fullname.encode())
        w.raw(docs_reply(spec, resp))
    out = bytes(w.take())
    _ALL_REPLIES[("docs", resp)] = (len(TABLE), out)
    return out


# --------------------------------------------------------------------------------------- the commands


_COMMAND_HELP = (
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
)


def help_reply(c: Client, container_name: str, lines: Iterable[str]) -> None:
    """addReplyHelp: the usage line, the container's lines, then HELP's own two lines, as status replies."""
    body = [f"{container_name.upper()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", *lines,
            "HELP", "    Prints this help."]
    c.out.array_header(len(body))
    for line in body:
        c.out.simple(line.encode())


def command_command(c: Client, argv: list[bytes]) -> None:
    """COMMAND"""
    c.out.raw(_all_info(c.resp))


_COMMAND = container(
    "command", -1, "LOADING STALE", handler=command_command, acl="@connection", group="server",
    since="2.8.13", complexity="O(N) where N is the total number of Redis commands",
    summary="Get array of Redis command details", tips=("nondeterministic_output_order",),
)


@subcommand("command", "count", 2, "LOADING STALE", acl="@connection", since="2.8.13",
            complexity="O(1)", summary="Get total number of Redis commands")
def command_count_command(c: Client, argv: list[bytes]) -> None:
    """COMMAND COUNT"""
    c.out.integer(len(TABLE))


@subcommand("command", "info", -2, "LOADING STALE", acl="@connection", since="2.8.13",
            complexity="O(N) where N is the number of commands to look up",
            summary="Get array of specific Redis command details, or all when no argument is given.",
            args="[command-name:string...]", tips=("nondeterministic_output_order",),
            history=(("7.0.0", "Allowed to be called with no argument to get info on all commands."),))
def command_info_command(c: Client, argv: list[bytes]) -> None:
    """COMMAND INFO [command-name ...]"""
    resp = c.resp
    if len(argv) == 2:
        c.out.raw(_all_info(resp))
        return
    out = c.out
    out.array_header(len(argv) - 2)
    for name in argv[2:]:
        spec = lookup_by_name(name)
        if spec is None:
            out.null()
        else:
            out.raw(info_reply(spec, resp))


@subcommand("command", "docs", -2, "LOADING STALE", acl="@connection", since="7.0.0",
            complexity="O(N) where N is the number of commands to look up",
            summary="Get array of specific Redis command documentation", args="[command-name:string...]",
            tips=("nondeterministic_output_order",))
def command_docs_command(c: Client, argv: list[bytes]) -> None:
    """COMMAND DOCS [command-name ...]"""
    resp = c.resp
    if len(argv) == 2:
        c.out.raw(_all_docs(resp))
        return
    specs = [spec for spec in map(lookup_by_name, argv[2:]) if spec is not None]
    out = c.out
    out.map_header(len(specs))
    for spec in specs:
        out.bulk(spec.fullname.encode())
        out.raw(docs_reply(spec, resp))


@subcommand("command", "list", -2, "LOADING STALE", acl="@connection", since="7.0.0",
            complexity="O(N) where N is the total number of Redis commands",
            summary="Get an array of Redis command names",
            args="[filterby:FILTERBY={module-name:MODULE=string|category:ACLCAT=string|pattern:PATTERN=pattern}]",
            tips=("nondeterministic_output_order",))
def command_list_command(c: Client, argv: list[bytes]) -> None:
    """COMMAND LIST [FILTERBY MODULE module-name|ACLCAT category|PATTERN pattern]"""
    kind = b""
    arg = b""
    i = 2
    n = len(argv)
    while i < n:
        if argv[i].lower() == b"filterby" and n - 1 - i == 2:
            kind = argv[i + 1].lower()
            if kind not in (b"module", b"aclcat", b"pattern"):
                raise ReplyError(errors.SYNTAX)
            arg = argv[i + 2]
            i += 3
        else:
            raise ReplyError(errors.SYNTAX)
    specs = all_specs()
    if kind == b"module":
        names: list[bytes] = []        # no modules can be loaded
    elif kind == b"aclcat":
        cat = arg.decode("latin-1").lower()
        names = [s.fullname.encode() for s in specs if cat in ACL_CATEGORIES and cat in s.acl_categories]
    elif kind == b"pattern":
        names = [name for name in (s.fullname.encode() for s in specs) if stringmatch(arg, name, True)]
    else:
        names = [s.fullname.encode() for s in specs]
    c.out.array_header(len(names))
    for name in names:
        c.out.bulk(name)


def _get_keys_generic(c: Client, argv: list[bytes], with_flags: bool) -> None:
    # getKeysSubcommandImpl: lookup, "has keys", arity, then the key specs (or the row's key finder).
    target = argv[2:]
    spec = lookup_command(target)
    if spec is None:
        raise ReplyError("ERR Invalid command specified")
    if not spec.has_keys:
        raise ReplyError("ERR The command has no key arguments")
    argc = len(target)
    if (spec.arity > 0 and spec.arity != argc) or argc < -spec.arity:
        raise ReplyError("ERR Invalid number of arguments specified for command")
    refs = spec.key_refs(target)
    out = c.out
    if not refs:
        if spec.flags & Flag.NO_MANDATORY_KEYS:
            out.array_header(0)
            return
        raise ReplyError("ERR Invalid arguments specified for command")
    out.array_header(len(refs))
    for pos, flags in refs:
        if with_flags:
            out.array_header(2)
            out.bulk(target[pos])
            _write_flag_set(out, _key_flag_names(flags))
        else:
            out.bulk(target[pos])


@subcommand("command", "getkeys", -4, "LOADING STALE", acl="@connection", since="2.8.13",
            complexity="O(N) where N is the number of arguments to the command",
            summary="Extract keys given a full Redis command")
def command_getkeys_command(c: Client, argv: list[bytes]) -> None:
    """COMMAND GETKEYS command [arg ...]"""
    _get_keys_generic(c, argv, False)


@subcommand("command", "getkeysandflags", -4, "LOADING STALE", acl="@connection", since="7.0.0",
            complexity="O(N) where N is the number of arguments to the command",
            summary="Extract keys and access flags given a full Redis command")
def command_getkeysandflags_command(c: Client, argv: list[bytes]) -> None:
    """COMMAND GETKEYSANDFLAGS command [arg ...]"""
    _get_keys_generic(c, argv, True)


@subcommand("command", "help", 2, "LOADING STALE", acl="@connection", since="5.0.0", complexity="O(1)",
            summary="Show helpful text about the different subcommands")
def command_help_command(c: Client, argv: list[bytes]) -> None:
    """COMMAND HELP"""
    help_reply(c, "command", _COMMAND_HELP)
