"""Scripting commands (Redis group "scripting"): EVAL EVALSHA EVAL_RO EVALSHA_RO and SCRIPT *.

Thin: argument parsing and replies. The Lua engine, the script cache and the busy-script machinery live in
pyredcache/scripting (server.scripting); redis.call() re-enters the server through dispatch.script_call.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Final

from .. import errors
from ..errors import ReplyError
from ..replication import propagate
from ..scripting.cache import (
    ALLOW_OOM,
    ALLOW_STALE,
    EVAL_COMPAT_MODE,
    NO_WRITES,
    Script,
    ShebangError,
    parse_shebang,
    sha1hex,
)
from ..scripting.runner import ScriptingEngine
from .args import parse_int
from .generic import reply_help
from .table import TABLE, Flag, container, key_num, subcommand
from .table import command as _command

if TYPE_CHECKING:
    from ..server.client import Client

_NOSCRIPT: Final = errors.NOSCRIPT.encode()
_COMPILE_PREFIX: Final = errors.SCRIPT_COMPILE_PREFIX.encode()

_EVAL_FLAGS: Final = "NOSCRIPT SKIP_MONITOR MAY_REPLICATE NO_MANDATORY_KEYS STALE"
_EVAL_RO_FLAGS: Final = "NOSCRIPT SKIP_MONITOR NO_MANDATORY_KEYS STALE READONLY"
_RW_NOTES: Final = "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"
_RO_NOTES: Final = "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"
_COMPLEXITY: Final = "Depends on the script that is executed."


def engine(c: Client) -> ScriptingEngine:
    server = c.server
    eng: ScriptingEngine | None = server.scripting
    if eng is None:
        eng = server.scripting = ScriptingEngine(server)
        eng.acl_check = _acl_check
        server.scripts = eng.cache  # type: ignore[attr-defined]   # INFO number_of_cached_scripts
    return eng


def _acl_check(argv: list[bytes]) -> bool | None:
    """redis.acl_check_cmd: None for an unknown command; every known command is allowed (no ACL users yet)."""
    from .table import lookup_command

    return True if lookup_command(argv) is not None else None


def create_script(eng: ScriptingEngine, body: bytes, sha: bytes | None = None) -> Script:
    """luaCreateFunction: parse the shebang, compile, cache. Raises ReplyError with Redis's texts."""
    if sha is None:
        sha = sha1hex(body)
    script = eng.cache.get(sha)
    if script is not None:
        return script
    try:
        flags, shebang_len = parse_shebang(body)
    except ShebangError as exc:
        raise ReplyError(exc.message) from None
    # The shebang line becomes a comment, so that line numbers in errors stay those of the body.
    source = b"--" + body if shebang_len else body
    fn, err = eng.lua.compile(source)
    if fn is None:
        assert err is not None
        raise ReplyError((_COMPILE_PREFIX + err).replace(b"\r", b" ").replace(b"\n", b" "))
    script = Script(sha, body, fn, flags)
    eng.cache.add(script)
    return script


def _numkeys(argv: list[bytes]) -> int:
    numkeys = parse_int(argv[2])
    if numkeys > len(argv) - 3:
        raise ReplyError(errors.SCRIPT_KEYS_TOO_MANY)
    if numkeys < 0:
        raise ReplyError(errors.SCRIPT_KEYS_NEGATIVE)
    return numkeys


def eval_command_flags(c: Client, argv: list[bytes], flags: int) -> int:
    """evalGetCommandFlags: with a shebang, the script's flags replace WRITE/DENYOOM/STALE/MAY_REPLICATE."""
    evalsha = argv[0].lower() in (b"evalsha", b"evalsha_ro")
    if evalsha and len(argv[1]) != 40:
        return flags
    eng = c.server.scripting
    script = None
    if eng is not None:
        script = eng.cache.get(argv[1].lower()) if evalsha else eng.cache.by_body.get(argv[1])
    if script is not None:
        script_flags = script.flags
    elif evalsha:
        return flags
    else:
        try:
            script_flags = parse_shebang(argv[1])[0]
        except ShebangError:
            return flags
    if script_flags & EVAL_COMPAT_MODE:
        return flags
    flags &= ~int(Flag.STALE | Flag.DENYOOM | Flag.WRITE | Flag.MAY_REPLICATE)
    if not script_flags & (ALLOW_OOM | NO_WRITES):
        flags |= Flag.DENYOOM
    if not script_flags & NO_WRITES:
        flags |= Flag.WRITE
    if script_flags & ALLOW_STALE:
        flags |= Flag.STALE
    return flags


def eval_generic(c: Client, argv: list[bytes], evalsha: bool, read_only: bool) -> None:
    """evalGenericCommand: numkeys, find or compile the script, flag checks, run."""
    propagate.prevent(c)    # effects replication: each write redis.call() propagates, not the script
    server = c.server
    if server.monitors:
        # evalCommand feeds monitors itself, first, so that the script's own commands follow it.
        server.feed_monitors(c, argv)
    numkeys = _numkeys(argv)
    eng = engine(c)
    if evalsha:
        sha = argv[1].lower()
        script = eng.cache.get(sha) if len(sha) == 40 else None
        if script is None:
            raise ReplyError(_NOSCRIPT)
    else:
        script = eng.cache.by_body.get(argv[1]) or create_script(eng, argv[1])
    if read_only and not script.flags & (EVAL_COMPAT_MODE | NO_WRITES):
        raise ReplyError(errors.SCRIPT_WRITE_FLAG_RO)
    if (server.maxmemory_on and not script.flags & (EVAL_COMPAT_MODE | ALLOW_OOM | NO_WRITES)
            and server.evictor.out_of_memory()):
        raise ReplyError(errors.SCRIPT_OOM)
    stats = server.stats
    before = stats.total_error_replies
    eng.run(c, script, argv[3:], numkeys, read_only)
    if stats.total_error_replies > before and c.blocked is None:
        # Redis counts EVAL as failed when any error reply (its own, or a redis.call's) happened meanwhile.
        spec = TABLE[argv[0].lower()]
        c.cmdstats[spec.index].failed_calls += 1


@_command("eval", -3, _EVAL_FLAGS, keys=[key_num(2, 0, 1, "RW ACCESS UPDATE", notes=_RW_NOTES)],
          acl="@scripting", group="scripting", since="2.6.0", complexity=_COMPLEXITY,
          summary="Execute a Lua script server side", args="script:string numkeys:integer [key:key...] "
          "[arg:string...]")
def eval_command(c: Client, argv: list[bytes]) -> None:
    """EVAL script numkeys [key [key ...]] [arg [arg ...]]"""
    eval_generic(c, argv, False, False)


@_command("evalsha", -3, _EVAL_FLAGS, keys=[key_num(2, 0, 1, "RW ACCESS UPDATE")], acl="@scripting",
          group="scripting", since="2.6.0", complexity=_COMPLEXITY, summary="Execute a Lua script server side",
          args="sha1:string numkeys:integer [key:key...] [arg:string...]")
def evalsha_command(c: Client, argv: list[bytes]) -> None:
    """EVALSHA sha1 numkeys [key [key ...]] [arg [arg ...]]"""
    eval_generic(c, argv, True, False)


@_command("eval_ro", -3, _EVAL_RO_FLAGS, keys=[key_num(2, 0, 1, "RO ACCESS", notes=_RO_NOTES)],
          acl="@scripting", group="scripting", since="7.0.0", complexity=_COMPLEXITY,
          summary="Execute a read-only Lua script server side",
          args="script:string numkeys:integer [key:key...] [arg:string...]")
def eval_ro_command(c: Client, argv: list[bytes]) -> None:
    """EVAL_RO script numkeys [key [key ...]] [arg [arg ...]]"""
    eval_generic(c, argv, False, True)


@_command("evalsha_ro", -3, _EVAL_RO_FLAGS, keys=[key_num(2, 0, 1, "RO ACCESS")], acl="@scripting",
          group="scripting", since="7.0.0", complexity=_COMPLEXITY,
          summary="Execute a read-only Lua script server side",
          args="sha1:string numkeys:integer [key:key...] [arg:string...]")
def evalsha_ro_command(c: Client, argv: list[bytes]) -> None:
    """EVALSHA_RO sha1 numkeys [key [key ...]] [arg [arg ...]]"""
    eval_generic(c, argv, True, True)


# ------------------------------------------------------------------------------------------ SCRIPT

container("script", -2, group="scripting", since="2.6.0", complexity="Depends on subcommand.",
          summary="A container for Lua scripts management commands")

_SCRIPT_HELP: Final = (
    b"DEBUG (YES|SYNC|NO)",
    b"    Set the debug mode for subsequent scripts executed.",
    b"EXISTS <sha1> [<sha1> ...]",
    b"    Return information about the existence of the scripts in the script cache.",
    b"FLUSH [ASYNC|SYNC]",
    b"    Flush the Lua scripts cache. Very dangerous on replicas.",
    b"    When called without the optional mode argument, the behavior is determined by the",
    b"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    b"    * ASYNC: Asynchronously flush the scripts cache.",
    b"    * SYNC: Synchronously flush the scripts cache.",
    b"KILL",
    b"    Kill the currently executing Lua script.",
    b"LOAD <script>",
    b"    Load a script into the scripts cache without executing it.",
)


@subcommand("script", "flush", -2, "NOSCRIPT", acl="@scripting", since="2.6.0",
            complexity="O(N) with N being the number of scripts in cache",
            summary="Remove all the scripts from the script cache.", args="[async:{ASYNC|SYNC}<6.2.0>]",
            history=(("6.2.0", "Added the `ASYNC` and `SYNC` flushing mode modifiers."),),
            tips=("request_policy:all_nodes", "response_policy:all_succeeded"))
def script_flush_command(c: Client, argv: list[bytes]) -> None:
    """SCRIPT FLUSH [ASYNC|SYNC]"""
    if len(argv) > 3 or (len(argv) == 3 and argv[2].upper() not in (b"ASYNC", b"SYNC")):
        raise ReplyError(errors.SCRIPT_FLUSH_OPTION)
    engine(c).flush()
    c.out.ok()


@subcommand("script", "exists", -3, "NOSCRIPT", acl="@scripting", since="2.6.0",
            complexity="O(N) with N being the number of scripts to check (so checking a single script is an "
                       "O(1) operation).",
            summary="Check existence of scripts in the script cache.", args="sha1:string...",
            tips=("request_policy:all_shards", "response_policy:agg_logical_and"))
def script_exists_command(c: Client, argv: list[bytes]) -> None:
    """SCRIPT EXISTS sha1 [sha1 ...]"""
    cache = engine(c).cache
    out = c.out
    out.array_header(len(argv) - 2)
    for sha in argv[2:]:
        out.integer(1 if cache.get(sha.lower()) is not None else 0)


@subcommand("script", "load", 3, "NOSCRIPT STALE", acl="@scripting", since="2.6.0",
            complexity="O(N) with N being the length in bytes of the script body.",
            summary="Load the specified Lua script into the script cache.", args="script:string",
            tips=("request_policy:all_nodes", "response_policy:all_succeeded"))
def script_load_command(c: Client, argv: list[bytes]) -> None:
    """SCRIPT LOAD script"""
    script = create_script(engine(c), argv[2])
    c.out.bulk(script.sha)


@subcommand("script", "kill", 2, "NOSCRIPT ALLOW_BUSY", acl="@scripting", since="2.6.0", complexity="O(1)",
            summary="Kill the script currently in execution.",
            tips=("request_policy:all_shards", "response_policy:one_succeeded"))
def script_kill_command(c: Client, argv: list[bytes]) -> None:
    """SCRIPT KILL"""
    eng = c.server.scripting
    error = eng.kill() if eng is not None else errors.NOT_BUSY.encode()
    if error is not None:
        raise ReplyError(error)
    c.out.ok()


@subcommand("script", "debug", 3, "NOSCRIPT", acl="@scripting", since="3.2.0", complexity="O(1)",
            summary="Set the debug mode for executed scripts.", args="mode:{YES|SYNC|NO}")
def script_debug_command(c: Client, argv: list[bytes]) -> None:
    """SCRIPT DEBUG YES|SYNC|NO"""
    mode = argv[2].upper()
    if mode == b"NO":
        c.out.ok()
        return
    if mode in (b"YES", b"SYNC"):
        # The Lua debugger (LDB) is not implemented.
        raise ReplyError(b"ERR SCRIPT DEBUG is not supported by this server")
    raise ReplyError(b"ERR Use SCRIPT DEBUG YES/SYNC/NO")


@subcommand("script", "help", 2, "LOADING STALE", acl="@scripting", since="5.0.0", complexity="O(1)",
            summary="Show helpful text about the different subcommands")
def script_help_command(c: Client, argv: list[bytes]) -> None:
    """SCRIPT HELP"""
    reply_help(c, argv[0], _SCRIPT_HELP)


__all__ = ["create_script", "engine"]
