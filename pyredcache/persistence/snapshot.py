"""RDB snapshots: SAVE / BGSAVE orchestration, save points, loading at start-up and for DEBUG RELOAD.

Follows rdb.c's rdbSave / rdbSaveBackground / backgroundSaveDoneHandler / rdbLoad and serverCron's save-point
check. A BGSAVE forks: the child inherits a copy-on-write image of the keyspace, writes it to
`temp-<childpid>.rdb` in `dir`, fsyncs, renames over `dbfilename` and leaves with os._exit, never returning into
the parent's event loop. The parent reaps it from the cron (os.waitpid with WNOHANG, as checkChildrenDone).
The replication code calls save_sync / start_bgsave / load_file / empty_data too.
"""
from __future__ import annotations

import gc
import os
import signal
import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, BinaryIO

if TYPE_CHECKING:
    from ..server.instance import Server

# CONFIG_BGSAVE_RETRY_DELAY: after a failed BGSAVE, save points wait this long before trying again.
BGSAVE_RETRY_DELAY = 5
_LRU_CLOCK_MAX = (1 << 24) - 1
_WRITE_BUFFER = 1 << 20


class RdbLoadError(Exception):
    """The RDB file could not be loaded (corrupt, truncated, unsupported); the reason was already logged."""


class Persistence:
    """Snapshot state of one server (the rdb_* fields of Redis's server struct) and the cron step."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.child_pid = -1
        self.save_time_start = -1          # unix seconds when the running BGSAVE started, -1 when none
        self.save_time_last = -1           # duration of the last BGSAVE (rdb_last_bgsave_time_sec)
        self.bgsave_ok = True              # lastbgsave_status
        self.lastbgsave_try = 0
        self.dirty_before_bgsave = 0
        self.bgsave_scheduled = False
        self.saves = 0                     # rdb_saves
        self.keys_at_fork = 0
        self.last_load_keys_loaded = 0
        self.last_load_keys_expired = 0
        self.last_load_aux: dict[str, bytes] = {}
        self.loading = False
        self.latest_fork_usec = 0
        self.total_forks = 0
        self.info_fd = -1                  # read end of the child's info pipe
        self.last_cow_size = 0             # rdb_last_cow_size
        # stop-writes-on-bgsave-error in force: dispatch answers MISCONF to writes (the fast path is off).
        self.deny_writes = False
        self.on_done: list[Callable[[bool], None]] = []
        server.cron_hooks.append(self.cron)
        for name in ("save", "stop-writes-on-bgsave-error"):
            server.config.add_apply_hook(name, self._config_changed)

    # ------------------------------------------------------------------------------ state helpers

    def _config_changed(self, old: Any, new: Any) -> None:
        self.update_deny_writes()

    def update_deny_writes(self) -> None:
        """writeCommandsDeniedByDiskError: a failed last BGSAVE with save points and the option on."""
        cfg = self.server.config
        deny = (not self.bgsave_ok) and bool(cfg["stop-writes-on-bgsave-error"]) and bool(cfg["save"])
        if deny != self.deny_writes:
            self.deny_writes = deny
            # The fast path knows nothing of MISCONF; a replica keeps it off for its own reasons.
            self.server.fastpath.enabled = not deny and getattr(self.server, "role", "master") == "master"

    # ------------------------------------------------------------------------------ cron

    def cron(self) -> None:
        """serverCron's persistence part: reap a finished child, then save points and scheduled BGSAVEs."""
        if self.child_pid != -1:
            self.check_child_done()
            return
        server = self.server
        now = int(time.time())
        retry_ok = self.bgsave_ok or now - self.lastbgsave_try > BGSAVE_RETRY_DELAY
        for seconds, changes in server.config["save"]:
            if server.dirty >= changes and now - server.lastsave > seconds and retry_ok:
                server.log.notice(f"{changes} changes in {seconds} seconds. Saving...")
                start_bgsave(server)
                return
        if self.bgsave_scheduled and retry_ok:
            if start_bgsave(server):
                self.bgsave_scheduled = False

    def check_child_done(self) -> None:
        """checkChildrenDone: reap the BGSAVE child if it exited and run backgroundSaveDoneHandler."""
        pid = self.child_pid
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done, status = pid, 1 << 8     # someone else reaped it: count it as an error exit
        if done == 0:
            return
        server = self.server
        log = server.log
        ok = False
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            log.warning(f"Background saving terminated by signal {sig}")
            remove_temp_file(server, pid)
            # SIGUSR1 is how the server itself stops a child (killRDBChild): not an error.
            if sig != signal.SIGUSR1:
                self.bgsave_ok = False
        elif os.WEXITSTATUS(status) == 0:
            log.notice("Background saving terminated with success")
            server.dirty -= self.dirty_before_bgsave
            server.lastsave = int(time.time())
            self.bgsave_ok = True
            ok = True
        else:
            log.warning("Background saving error")
            self.bgsave_ok = False
        self.child_pid = -1
        self._read_child_info(ok)
        self.save_time_last = int(time.time()) - self.save_time_start
        self.save_time_start = -1
        self.update_deny_writes()
        callbacks, self.on_done = self.on_done, []
        for cb in callbacks:
            try:
                cb(ok)
            except Exception as exc:  # a failing listener must not break the cron
                log.warning(f"BGSAVE completion callback failed: {exc!r}")

    def _read_child_info(self, ok: bool) -> None:
        fd, self.info_fd = self.info_fd, -1
        if fd == -1:
            return
        try:
            data = os.read(fd, 64) if ok else b""
        except OSError:
            data = b""
        finally:
            os.close(fd)
        if data.isdigit():
            self.last_cow_size = int(data)

    def kill_child(self) -> None:
        """killRDBChild: SIGUSR1 to the child; the cron reaps it (and removes its temp file)."""
        if self.child_pid != -1:
            try:
                os.kill(self.child_pid, signal.SIGUSR1)
            except ProcessLookupError:
                pass


# ---------------------------------------------------------------------------------------------- paths, aux

def rdb_path(server: Server) -> str:
    return os.path.join(str(server.config["dir"]), str(server.config["dbfilename"]))


def temp_path(server: Server, pid: int) -> str:
    return os.path.join(server.config["dir"], f"temp-{pid}.rdb")


def remove_temp_file(server: Server, pid: int) -> None:
    """rdbRemoveTempFile."""
    try:
        os.unlink(temp_path(server, pid))
    except OSError:
        pass


def aux_fields(server: Server) -> dict[str, bytes | int]:
    """The caller's aux fields after redis-ver/redis-bits/ctime/used-mem (rdbSaveInfoAuxFields).

    Replication sets ``server.rdb_save_info`` to a callable returning repl-stream-db / repl-id / repl-offset
    when it holds a replication state worth saving (rdbPopulateSaveInfo)."""
    from ..server.memory import used_memory

    aux: dict[str, bytes | int] = {"used-mem": used_memory(server)}
    provider = getattr(server, "rdb_save_info", None)
    if provider is not None:
        extra = provider()
        if extra:
            aux.update(extra)
    aux["aof-base"] = 0
    return aux


def _policy_flags(server: Server) -> tuple[bool, bool]:
    policy = str(server.config["maxmemory-policy"])
    return policy.endswith("-lru"), policy.endswith("-lfu")


# ---------------------------------------------------------------------------------------------- writing

def write_snapshot(server: Server, out: BinaryIO, aux: dict[str, bytes | int] | None = None) -> None:
    """The RDB payload of the whole dataset into ``out``, with the server's aux fields unless ``aux`` is given.
    With rdbchecksum off a seekable file gets 8 zero bytes as its checksum (a pipe keeps the real one)."""
    from .rdb import write_rdb

    lru, lfu = _policy_flags(server)
    write_rdb(out, server.dbs, aux_fields(server) if aux is None else aux, lru=lru, lfu=lfu,
              compress=bool(server.config["rdbcompression"]), list_fill=int(server.config["list-max-listpack-size"]))
    if not server.config["rdbchecksum"] and out.seekable():
        # rdbchecksum no: the trailing CRC64 is written as 8 zero bytes.
        out.flush()
        out.seek(-8, os.SEEK_END)
        out.write(b"\0" * 8)


def _fsync_dir(path: str) -> None:
    try:
        fd = os.open(os.path.dirname(path) or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def rdb_save(server: Server, path: str | None = None) -> bool:
    """rdbSave: write temp-<pid>.rdb, fsync, rename over ``path``; logs like Redis; True on success.

    Used by SAVE, SHUTDOWN, FLUSHALL, DEBUG RELOAD and, inside the forked child, by BGSAVE."""
    log = server.log
    target = path or rdb_path(server)
    directory = server.config["dir"]
    tmp_name = f"temp-{os.getpid()}.rdb"
    tmp = os.path.join(directory, tmp_name)
    try:
        fh = open(tmp, "wb", buffering=_WRITE_BUFFER)
    except OSError as exc:
        log.warning(f"Failed opening the temp RDB file {tmp_name} (in server root dir {directory}) for saving: "
                    f"{_strerror(exc)}")
        return False
    try:
        with fh:
            write_snapshot(server, fh)
            fh.flush()
            os.fsync(fh.fileno())
    except (OSError, ValueError) as exc:
        log.warning(f"Write error saving DB on disk: {_strerror(exc)}")
        _unlink(tmp)
        return False
    try:
        os.replace(tmp, target)
    except OSError as exc:
        log.warning(f"Error moving temp DB file {tmp_name} on the final destination {os.path.basename(target)} "
                    f"(in server root dir {directory}): {_strerror(exc)}")
        _unlink(tmp)
        return False
    _fsync_dir(target)
    log.notice("DB saved on disk")
    # In a BGSAVE child these updates are harmless: the child exits right after.
    server.dirty = 0
    server.lastsave = int(time.time())
    server.persistence.bgsave_ok = True
    server.persistence.update_deny_writes()
    return True


def _strerror(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno is not None:
        return os.strerror(exc.errno)
    return str(exc)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def save_sync(server: Server, path: str | None = None) -> None:
    """SAVE's work: a synchronous snapshot. Raises OSError (after logging) when it failed."""
    server.persistence.saves += 1
    if not rdb_save(server, path):
        raise OSError("RDB save failed (see the log)")


def bgsave_in_progress(server: Server) -> bool:
    return bool(server.persistence.child_pid != -1)


def start_bgsave(server: Server, on_done: Callable[[bool], None] | None = None) -> bool:
    """rdbSaveBackground: fork a child that writes the snapshot; False (logged) if one runs or fork failed.

    ``on_done(ok)`` is called from the cron once the child has been reaped."""
    p = server.persistence
    if p.child_pid != -1:
        server.log.warning("Background save already in progress")
        return False
    p.saves += 1
    p.dirty_before_bgsave = server.dirty
    p.lastbgsave_try = int(time.time())
    # Nothing buffered may be written twice: flush stdio before the child gets a copy of the buffers.
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    info_r, info_w = os.pipe()     # the child reports its copy-on-write size here (sendChildCowInfo)
    start = time.perf_counter_ns()
    try:
        pid = os.fork()
    except OSError as exc:
        os.close(info_r)
        os.close(info_w)
        p.bgsave_ok = False
        p.update_deny_writes()
        server.log.warning(f"Can't save in background: fork: {_strerror(exc)}")
        return False
    if pid == 0:
        os.close(info_r)
        _child(server, info_w)   # never returns
    os.close(info_w)
    os.set_blocking(info_r, False)
    p.info_fd = info_r
    p.latest_fork_usec = (time.perf_counter_ns() - start) // 1000
    p.total_forks += 1
    p.child_pid = pid
    p.keys_at_fork = sum(len(db) for db in server.dbs)
    p.save_time_start = int(time.time())
    if on_done is not None:
        p.on_done.append(on_done)
    server.log.notice(f"Background saving started by pid {pid}")
    return True


def prepare_fork_child() -> None:
    """First thing in a forked child that writes a snapshot (BGSAVE, a diskless full sync): detach it from
    the parent's signal plumbing (the loop's wakeup fd) and stop the collector (no pass, and no finalizers of
    the parent's objects, in the child)."""
    try:
        signal.set_wakeup_fd(-1)
    except (ValueError, OSError):
        pass
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1, signal.SIGCHLD):
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (ValueError, OSError):
            pass
    gc.disable()


def _child(server: Server, info_fd: int) -> None:
    """The BGSAVE child: write the snapshot and leave through os._exit (no atexit, no stdio flush, no loop)."""
    code = 1
    try:
        prepare_fork_child()
        if rdb_save(server):
            cow = _private_dirty()
            mb = cow >> 20
            server.log.notice(f"Fork CoW for RDB: current {mb} MB, peak {mb} MB, average {mb} MB")
            try:
                os.write(info_fd, b"%d" % cow)
            except OSError:
                pass
            code = 0
    except BaseException:  # anything at all: the child must never return into the parent's code
        code = 1
    finally:
        os._exit(code)


def _private_dirty() -> int:
    """Bytes this process has privately dirtied: after a fork, its copy-on-write cost (zmalloc_get_private_dirty)."""
    try:
        with open("/proc/self/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Private_Dirty:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


# ---------------------------------------------------------------------------------------------- loading

def empty_data(server: Server) -> int:
    """emptyData(-1): flush every db (WATCH sees it); returns the number of keys removed."""
    removed = 0
    for db in server.dbs:
        if server.flush_hook is not None and len(db):
            server.flush_hook(db)
        removed += db.clear()
    return removed


def _text(value: object) -> str:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "backslashreplace")
    return str(value)


def _log_aux(server: Server, name: str, value: object) -> None:
    log = server.log
    text = _text(value)
    low = name.lower()
    if name.startswith("%"):
        log.notice(f"RDB '{name}': {text}")
    elif low == "redis-ver":
        log.notice(f"Loading RDB produced by version {text}")
    elif low == "ctime":
        try:
            age = max(0, int(time.time()) - int(text))
        except ValueError:
            age = 0
        log.notice(f"RDB age {age} seconds")
    elif low == "used-mem":
        try:
            used = int(text)
        except ValueError:
            used = 0
        log.notice(f"RDB memory usage when created {used / (1024 * 1024):.2f} Mb")
    elif low == "aof-preamble":
        if text.strip() not in ("", "0"):
            log.notice("RDB has an AOF tail")
    elif low == "aof-base":
        if text.strip() not in ("", "0"):
            log.notice("RDB is base AOF")
    elif low in ("repl-stream-db", "repl-id", "repl-offset", "lua", "redis-bits"):
        pass
    else:
        log.debug(f"Unrecognized RDB AUX field: '{name}'")


def load_buffer(server: Server, buf: bytes | memoryview, *, replica: bool = False,
                allow_dup: bool = False) -> tuple[int, int]:
    """rdbLoadRio into the server's dbs: (keys loaded, keys expired-skipped). Raises RdbLoadError (logged).

    A primary skips keys already expired; a replica keeps them (its primary expires them). No keyspace
    events, WATCH signals or dirty counting; IDLE/FREQ set the LRU/LFU fields."""
    from . import rdb

    p = server.persistence
    log = server.log
    ctx = server.ctx
    ctx.now_ms = now = server.clock.now_ms()
    lfu = bool(ctx.lfu_mode)
    lru_clock = ctx.lru_clock()
    lfu_minutes = (now // 60000) & 65535
    loaded = expired = 0
    p.last_load_keys_loaded = p.last_load_keys_expired = 0
    p.last_load_aux = {}
    dbs = server.dbs
    saved_on_new = ctx.on_new
    ctx.on_new = None
    p.loading = True
    verify = bool(server.config["rdbchecksum"])
    try:
        for item in rdb.read_rdb(buf, server.limits, verify_checksum=verify):
            if isinstance(item, rdb.Entry):
                expire_ms = item.expire_ms
                if not replica and expire_ms != -1 and expire_ms < now:
                    expired += 1
                    continue
                if item.dbid >= len(dbs):
                    log.warning(f"FATAL: Data file was created with a Redis server configured to handle more "
                                f"than {len(dbs)} databases. Exiting\n")
                    raise RdbLoadError("too many databases")
                db = dbs[item.dbid]
                key = bytes(item.key)
                if not db.add(key, item.value):
                    if not allow_dup:
                        log.warning(f"RDB has duplicated key '{_text(key)}' in DB {db.id}")
                        raise RdbLoadError("Duplicated key found in RDB file")
                    db.evict(key)
                    db.add(key, item.value)
                loaded += 1
                if expire_ms != -1:
                    db.set_expire(key, expire_ms)
                if lfu:
                    if item.freq >= 0:
                        db.set_lru(key, (lfu_minutes << 8) | min(255, item.freq))
                elif item.idle >= 0:
                    lru_abs = lru_clock - item.idle
                    if lru_abs < 0:
                        lru_abs += _LRU_CLOCK_MAX
                    db.set_lru(key, lru_abs)
            elif isinstance(item, rdb.Aux):
                name = _text(item.name)
                value = item.value
                p.last_load_aux[name] = value if isinstance(value, bytes) else str(value).encode()
                _log_aux(server, name, value)
            elif isinstance(item, rdb.SelectDb):
                if item.dbid >= len(dbs):
                    log.warning(f"FATAL: Data file was created with a Redis server configured to handle more "
                                f"than {len(dbs)} databases. Exiting\n")
                    raise RdbLoadError("too many databases")
            elif isinstance(item, rdb.End):
                if verify and not item.checksum_ok:
                    log.warning("RDB file was saved with checksum disabled: no check performed.")
            elif isinstance(item, rdb.FunctionBlob):
                log.log_once("rdb-functions", "RDB holds a function library; pyredcache has no FUNCTION "
                             "support and skips it.")
    except RdbLoadError:
        raise
    except (ValueError, EOFError, IndexError, KeyError) as exc:
        _log_corruption(server, str(exc))
        raise RdbLoadError(str(exc)) from None
    finally:
        ctx.on_new = saved_on_new
        p.loading = False
        p.last_load_keys_loaded = loaded
        p.last_load_keys_expired = expired
    log.notice(f"Done loading RDB, keys loaded: {loaded}, keys expired: {expired}.")
    return loaded, expired


def _log_corruption(server: Server, reason: str) -> None:
    """The lines rdbLoadRio / rdbReportError write for a file that cannot be loaded."""
    log = server.log
    if reason.startswith(("Wrong signature", "Can't handle RDB format")):
        log.warning(reason)
        log.warning("Fatal error loading the DB: Invalid argument. Exiting.")
        return
    if reason.startswith("Wrong RDB checksum"):
        log.warning(reason)
        reason = "RDB CRC error"
    else:
        log.warning("Short read or OOM loading DB. Unrecoverable error, aborting now.")
        if reason.startswith("Short read"):
            reason = "Unexpected EOF reading RDB file"
    log.warning(f"Internal error in RDB reading offset 0, function at rdb.c:0 -> {reason}")
    log.warning("Terminating server after rdb file reading failure.")


def load_file(server: Server, path: str | None = None, *, replica: bool = False,
              allow_dup: bool = False) -> tuple[int, int]:
    """rdbLoad of ``path`` (default dir/dbfilename): (keys loaded, keys expired-skipped).

    FileNotFoundError when there is no file; RdbLoadError (logged) when it cannot be loaded."""
    from .rdb import load_rdb

    target = path or rdb_path(server)
    buf = load_rdb(target)
    try:
        return load_buffer(server, buf, replica=replica, allow_dup=allow_dup)
    finally:
        try:
            buf.release()
        except (AttributeError, BufferError):
            pass


def load_at_startup(server: Server) -> None:
    """loadDataFromDisk: load dir/dbfilename if it exists. RdbLoadError (logged) means: do not start."""
    start = time.perf_counter()
    try:
        # A replica keeps keys already expired: its primary will DEL them (rdbLoad's iAmMaster test).
        load_file(server, replica=bool(server.config["replicaof"]))
    except FileNotFoundError:
        return
    except RdbLoadError:
        raise
    except OSError as exc:
        server.log.warning(f"Fatal error loading the DB: {_strerror(exc)}. Exiting.")
        raise RdbLoadError(str(exc)) from None
    server.log.notice(f"DB loaded from disk: {time.perf_counter() - start:.3f} seconds")


# ---------------------------------------------------------------------------------------------- shutdown, flush

def prepare_shutdown_save(server: Server, save: bool, nosave: bool, force: bool) -> bool:
    """prepareForShutdown's RDB part: stop a BGSAVE child, then save if asked or save points are set.

    False (logged) when saving failed and ``force`` is not set: the shutdown must be cancelled."""
    p = server.persistence
    log = server.log
    if p.child_pid != -1:
        log.warning("There is a child saving an .rdb. Killing it!")
        pid = p.child_pid
        try:
            os.kill(pid, signal.SIGUSR1)
        except ProcessLookupError:
            pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        remove_temp_file(server, pid)
        p.child_pid = -1
        p._read_child_info(False)
        p.save_time_start = -1
    if (server.config["save"] and not nosave) or save:
        log.notice("Saving the final RDB snapshot before exiting.")
        if not rdb_save(server):
            if force:
                log.warning("Error trying to save the DB. Exit anyway.")
            else:
                log.warning("Error trying to save the DB, can't exit.")
                log.warning("Errors trying to shut down the server. Check the logs for more information.")
                return False
    return True


def flushall_save(server: Server) -> None:
    """flushAllDataAndResetRDB's tail: stop a BGSAVE child, then rdbSave when save points are set."""
    p = server.persistence
    p.kill_child()
    if server.config["save"]:
        rdb_save(server)


# ---------------------------------------------------------------------------------------------- INFO

def info_fields(server: Server) -> dict[str, str]:
    """The persistence values INFO prints (the rdb_* and fork fields)."""
    p = server.persistence
    running = p.child_pid != -1
    now = int(time.time())
    return {
        "loading": "1" if p.loading else "0",
        "current_save_keys_processed": "0",
        "current_save_keys_total": str(p.keys_at_fork if running else 0),
        "rdb_changes_since_last_save": str(server.dirty),
        "rdb_bgsave_in_progress": "1" if running else "0",
        "rdb_last_save_time": str(server.lastsave),
        "rdb_last_bgsave_status": "ok" if p.bgsave_ok else "err",
        "rdb_last_bgsave_time_sec": str(p.save_time_last),
        "rdb_current_bgsave_time_sec": str(now - p.save_time_start if running else -1),
        "rdb_saves": str(p.saves),
        "rdb_last_cow_size": str(p.last_cow_size),
        "rdb_last_load_keys_expired": str(p.last_load_keys_expired),
        "rdb_last_load_keys_loaded": str(p.last_load_keys_loaded),
    }
