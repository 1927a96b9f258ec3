"""Per-command accounting rows and the plain-request fast path (run handler, time it, count it).

The fast path decides no Redis policy: it only runs requests for which the Python pipeline
(server/dispatch.py process_command) would run no check at all — a known plain command with the right
arity, from a client in no special state — and hands every other request back to that pipeline.
"""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject
from libc.stdint cimport int64_t, uint8_t
from libc.string cimport memcpy, memset
from posix.time cimport clock_gettime, timespec, CLOCK_MONOTONIC

from .keyspace cimport Context
from .slots cimport _slot

# Durations below this many µs are counted in a C array; longer ones in a dict.
FAST_LATENCY_BUCKETS = 64

cdef enum:
    NBUCKETS = 64
    NSLOTS = 16384


cdef inline int64_t now_ns() noexcept:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return <int64_t>ts.tv_sec * 1000000000 + ts.tv_nsec


cdef inline long long _argv_size(list argv):
    # A lower bound of what the request's arguments take (server/memory.py argv_bytes is the full figure).
    cdef long long total = 0
    for arg in argv:
        total += len(<bytes>arg) + 33
    return total


cdef class CommandStat:
    """One command row's counters in one server (INFO commandstats / latencystats)."""
    cdef public long long calls
    cdef public long long usec
    cdef public long long rejected_calls
    cdef public long long failed_calls
    cdef public dict latency           # duration µs -> calls, for calls of NBUCKETS µs or more
    cdef long long fast[NBUCKETS]      # calls per duration in µs, for the short ones

    def __init__(self):
        self.reset()

    def reset(self):
        cdef int k
        self.calls = self.usec = self.rejected_calls = self.failed_calls = 0
        self.latency = {}
        for k in range(NBUCKETS):
            self.fast[k] = 0

    cpdef record(self, long long duration_us, bint track_latency):
        """Count one call of duration_us (and its latency when latency-tracking is on)."""
        self.calls += 1
        self.usec += duration_us
        if track_latency:
            if 0 <= duration_us < NBUCKETS:
                self.fast[duration_us] += 1
            else:
                self.latency[duration_us] = self.latency.get(duration_us, 0) + 1

    def latency_histogram(self):
        """duration µs -> calls, for every call recorded while latency-tracking was on."""
        cdef int k
        hist = {k: self.fast[k] for k in range(NBUCKETS) if self.fast[k]}
        hist.update(self.latency)
        return hist


cdef class FastEntry:
    cdef object handler
    cdef int arity
    cdef CommandStat row
    cdef object log_name
    cdef bint slowlog_ok
    cdef bint monitor_ok
    # Key positions for cluster mode, as one index+range key spec: first (0: no keys; -1: positions the
    # fast path cannot tell, so the pipeline routes it), last (>= 0 relative to first, < 0 from the end), step.
    cdef int key_first
    cdef int key_last
    cdef int key_step


cdef class FastPath:
    """Runs consecutive plain requests of one batch; see the module docstring for what "plain" means."""
    cdef dict entries          # command name exactly as sent (b"GET", b"get") -> FastEntry
    cdef object reply_error    # the exception class whose .message becomes an error reply
    cdef object on_reply_error    # callable(message): errorstats accounting
    cdef object on_exception      # callable(client, argv): log + generic error reply
    cdef public bint enabled
    cdef list ready_keys          # the server's keys made ready for blocked clients (filled by pushes)
    cdef object serve_ready       # callable(): serve the clients blocked on them
    cdef Context ctx              # with keyspace_limit: the keyspace whose size is watched
    cdef long long keyspace_limit # -1, or the Context.keyspace_bytes past which maxmemory must be checked
    # replication/propagate.py's Propagator while a backlog exists (else None): enter() before the handler,
    # leave() after it with how much server.dirty moved.
    cdef public object prop
    # True while a check of the pipeline may refuse writes (min-replicas-to-write): every request goes there.
    cdef public bint hold
    # Cluster mode (cluster/routing.py refresh_fast_slots): a request with keys runs here only when the
    # cluster is ok and all its keys hash to one slot marked 1 in slots (mine, not migrating/importing).
    cdef public bint cluster_mode
    cdef public bint cluster_ok
    cdef unsigned char slots[NSLOTS]

    def __init__(self, reply_error, on_reply_error, on_exception, list ready_keys, serve_ready):
        self.entries = {}
        self.ready_keys = ready_keys
        self.serve_ready = serve_ready
        self.reply_error = reply_error
        self.on_reply_error = on_reply_error
        self.on_exception = on_exception
        self.enabled = True
        self.ctx = None
        self.keyspace_limit = -1
        self.prop = None
        self.hold = False
        self.cluster_mode = False
        self.cluster_ok = False
        memset(self.slots, 0, NSLOTS)

    def set_cluster(self, const unsigned char[::1] served not None, bint ok):
        """Cluster mode on: `served` (16384 bytes) holds 1 for each slot requests may be served here for."""
        if served.shape[0] != NSLOTS:
            raise ValueError("served must have 16384 entries")
        memcpy(self.slots, &served[0], NSLOTS)
        self.cluster_ok = ok
        self.cluster_mode = True

    def set_cluster_bitmap(self, const unsigned char[::1] bitmap not None, bint ok):
        """set_cluster() from a 2048-byte slot bitmap (slot s is bit s & 7 of byte s >> 3, as a node's
        slot bitmap): 1 for each slot requests may be served here for."""
        cdef Py_ssize_t i
        cdef int k
        cdef unsigned char b
        cdef const unsigned char* p
        if bitmap.shape[0] != NSLOTS // 8:
            raise ValueError("bitmap must have 2048 bytes")
        p = &bitmap[0]
        for i in range(NSLOTS // 8):
            b = p[i]
            for k in range(8):
                self.slots[(i << 3) + k] = (b >> k) & 1
        self.cluster_ok = ok
        self.cluster_mode = True

    def clear_cluster_slot(self, int slot):
        """Stop serving `slot` here until the next set_cluster()."""
        if 0 <= slot < NSLOTS:
            self.slots[slot] = 0

    def set_memory_guard(self, Context ctx, long long keyspace_limit):
        """Hand requests to the pipeline (which evicts or answers OOM) while ctx.keyspace_bytes exceeds
        keyspace_limit; -1 turns the guard off (no maxmemory)."""
        self.ctx = ctx
        self.keyspace_limit = keyspace_limit

    def learn(self, bytes name, handler, int arity, CommandStat row, log_name, bint slowlog_ok,
              bint monitor_ok, int key_first=-1, int key_last=0, int key_step=1):
        cdef FastEntry e = FastEntry()
        e.key_first = key_first
        e.key_last = key_last
        e.key_step = key_step if key_step > 0 else 1
        e.handler = handler
        e.arity = arity
        e.row = row
        e.log_name = log_name
        e.slowlog_ok = slowlog_ok
        e.monitor_ok = monitor_ok
        self.entries[name] = e

    cdef bint _local(self, FastEntry e, list argv, Py_ssize_t argc):
        # Whether every key of the request hashes to one slot served here (else the pipeline routes it).
        cdef Py_ssize_t first = e.key_first, last, k
        cdef int slot = -1, s
        cdef bytes key
        if first < 0 or not self.cluster_ok:
            return False
        last = first + e.key_last if e.key_last >= 0 else argc + e.key_last
        if last >= argc or last < first or first >= argc:
            return False
        k = first
        while k <= last:
            key = <bytes>argv[k]
            s = _slot(<const uint8_t*>PyBytes_AS_STRING(key), PyBytes_GET_SIZE(key))
            if slot < 0:
                if not self.slots[s]:
                    return False
                slot = s
            elif s != slot:
                return False
            k += e.key_step
        return True

    def run(self, c, list requests, Py_ssize_t i, server):
        """Execute requests[i:] while they are plain; return the index of the first one not executed."""
        cdef Py_ssize_t n = len(requests)
        cdef PyObject* found
        cdef FastEntry e
        cdef list argv
        cdef Py_ssize_t argc
        cdef int64_t start, duration_us
        cdef bint track_latency
        cdef long long threshold
        if not self.enabled or self.hold or i >= n:
            return i
        # Server-wide settings read once per batch: a command of this batch changing them (CONFIG SET,
        # MONITOR from another connection cannot interleave) takes effect from the next batch.
        track_latency = server.latency_tracking
        threshold = server.slowlog_threshold_us
        monitors = server.monitors
        while i < n:
            argv = <list>requests[i]
            found = PyDict_GetItem(self.entries, argv[0])
            if found == NULL:
                return i
            e = <FastEntry>found
            argc = len(argv)
            if (e.arity > 0 and argc != e.arity) or argc < -e.arity:
                return i
            # Any client state that the pipeline checks sends the request there.
            if c.flags or c.reply_mode or not c.authenticated or server.pause_end is not None:
                return i
            if self.keyspace_limit >= 0 and self.ctx.keyspace_bytes + _argv_size(argv) > self.keyspace_limit:
                return i
            if self.cluster_mode and e.key_first and not self._local(e, argv, argc):
                return i
            prop = self.prop
            if prop is not None:
                saved = prop.enter()
                dirty = server.dirty
            start = now_ns()
            try:
                e.handler(c, argv)
            except self.reply_error as exc:
                c.out.error(exc.message)
                e.row.failed_calls += 1
                self.on_reply_error(exc.message)
            except Exception:
                self.on_exception(c, argv)
                e.row.failed_calls += 1
            duration_us = (now_ns() - start) // 1000
            if prop is not None:
                prop.leave(c, argv, server.dirty - dirty, saved)
            e.row.record(duration_us, track_latency)
            c.last_cmd = e.log_name
            if threshold >= 0 and duration_us >= threshold and e.slowlog_ok:
                server.slowlog.add(c, argv, duration_us)
            if monitors and e.monitor_ok:
                server.feed_monitors(c, argv)
            if self.ready_keys:
                self.serve_ready()
            i += 1
        return i
