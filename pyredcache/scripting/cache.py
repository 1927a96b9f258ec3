"""The eval script cache: SHA1 of the body -> compiled script and its shebang flags (eval.c's lua_scripts).

Also the `#!lua flags=...` shebang parser (evalExtractShebangFlags) with Redis 7.0.15's error texts.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Final

# SCRIPT_FLAG_* (script.h).
NO_WRITES: Final = 1 << 0
ALLOW_OOM: Final = 1 << 1
ALLOW_STALE: Final = 1 << 2
NO_CLUSTER: Final = 1 << 3
EVAL_COMPAT_MODE: Final = 1 << 4    # no shebang: the pre-7.0 behaviour
ALLOW_CROSS_SLOT: Final = 1 << 5

_FLAG_NAMES: Final = {
    b"no-writes": NO_WRITES,
    b"allow-oom": ALLOW_OOM,
    b"allow-stale": ALLOW_STALE,
    b"no-cluster": NO_CLUSTER,
    b"allow-cross-slot-keys": ALLOW_CROSS_SLOT,
}


class ShebangError(Exception):
    def __init__(self, message: bytes) -> None:
        super().__init__(message)
        self.message = message


def sha1hex(body: bytes) -> bytes:
    return hashlib.sha1(body).hexdigest().encode()


def parse_shebang(body: bytes) -> tuple[int, int]:
    """(script flags, length of the shebang line) for a script body; raises ShebangError."""
    if not body.startswith(b"#!"):
        return EVAL_COMPAT_MODE, 0
    end = body.find(b"\n")
    if end < 0:
        raise ShebangError(b"ERR Invalid script shebang")
    parts = body[:end].split()
    if not parts:
        raise ShebangError(b"ERR Invalid engine in script shebang")
    if parts[0] != b"#!lua":
        raise ShebangError(b"ERR Unexpected engine in script shebang: " + parts[0])
    flags = 0
    for part in parts[1:]:
        if not part.startswith(b"flags="):
            raise ShebangError(b"ERR Unknown lua shebang option: " + part)
        names = part[6:]
        for name in names.split(b",") if names else ():
            flag = _FLAG_NAMES.get(name)
            if flag is None:
                raise ShebangError(b"ERR Unexpected flag in script shebang: " + name)
            flags |= flag
    return flags, end


@dataclass(slots=True)
class Script:
    sha: bytes
    body: bytes
    fn: Any          # the compiled Lua function
    flags: int


class ScriptCache:
    """sha -> Script, with the memory figure INFO reports (used_memory_scripts_eval)."""

    def __init__(self) -> None:
        self.scripts: dict[bytes, Script] = {}
        self.by_body: dict[bytes, Script] = {}   # EVAL finds its script without hashing the body again
        self.memory = 0

    def __len__(self) -> int:
        return len(self.scripts)

    def get(self, sha: bytes) -> Script | None:
        return self.scripts.get(sha)

    def add(self, script: Script) -> None:
        if script.sha not in self.scripts:
            if not self.scripts:
                self.memory += 32   # the dict's first table
            self.scripts[script.sha] = script
            self.by_body[script.body] = script
            # What Redis 7.0.15 reports (jemalloc): sha sds, robj and dict entry, plus the body's sds.
            self.memory += 88 + _alloc_size(len(script.body) + 4)

    def clear(self) -> None:
        self.scripts.clear()
        self.by_body.clear()
        self.memory = 0


def _alloc_size(n: int) -> int:
    """jemalloc's size class for an n-byte allocation."""
    if n <= 8:
        return 8
    if n <= 128:
        return (n + 15) & ~15
    step = 1 << (n - 1).bit_length() - 3
    return (n + step - 1) // step * step
