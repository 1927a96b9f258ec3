"""RESP codecs on the hot path: the request parser loop and the reply writer buffer.

Pure data code: no sockets, no imports from pyredcache. protocol/request.py and protocol/reply.py wrap these.
"""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE
from cpython.list cimport PyList_Append
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from libc.string cimport memchr, memcpy
from libc.stdint cimport int64_t
from libc.stdio cimport snprintf
from libc.math cimport isinf, isnan

from pyredcache._speedups.numbers cimport string2ll_c

cdef enum:
    INLINE_MAX = 65536
    INT_MAX = 2147483647
    # Redis answers an unauthenticated client's oversized headers as protocol errors (networking.c).
    UNAUTH_MAX_MULTIBULK = 10
    UNAUTH_MAX_BULK = 16384


cdef inline const char* find_line_end(const char* p, Py_ssize_t n, char ch) noexcept:
    """Redis finds header/inline line ends with strchr on the NUL-terminated query buffer: a NUL byte
    before `ch` hides it (the request then waits for more data, up to the 64 KiB line limit)."""
    cdef const char* hit = <const char*>memchr(p, ch, n)
    if hit != NULL and memchr(p, 0, hit - p) != NULL:
        return NULL
    return hit


class RequestProtocolError(Exception):
    """Raised by RequestParser.parse with Redis's message (without '-' and CRLF)."""


cdef class RequestParser:
    """Incremental RESP request parser (multibulk and inline), keeping state across reads.

    feed(data) returns the list of complete argv lists found so far. A protocol error is remembered in
    `error` (bytes message) after the commands that preceded it are returned; the caller answers it and
    closes the connection, as Redis does after setProtocolError.
    """
    cdef bytearray buf
    cdef public Py_ssize_t max_bulk_len
    cdef public Py_ssize_t query_buffer_limit
    cdef public bint authenticated
    cdef public object error
    cdef public bint overflow
    # state of a multibulk request being read: args so far, args still expected, pending bulk length
    cdef list cur
    cdef Py_ssize_t remaining
    cdef Py_ssize_t bulklen

    def __init__(self, Py_ssize_t max_bulk_len=536870912, Py_ssize_t query_buffer_limit=1073741824):
        self.buf = bytearray()
        self.max_bulk_len = max_bulk_len
        self.query_buffer_limit = query_buffer_limit
        self.authenticated = True
        self.error = None
        self.overflow = False
        self.cur = None
        self.remaining = 0
        self.bulklen = -1

    def pending_bytes(self):
        return PyByteArray_GET_SIZE(self.buf)

    def reset(self):
        self.buf = bytearray()
        self.cur = None
        self.remaining = 0
        self.bulklen = -1
        self.error = None
        self.overflow = False

    def feed(self, data):
        """Add bytes; return the list of complete requests (each a list of bytes)."""
        cdef list out = []
        cdef Py_ssize_t consumed
        cdef Py_ssize_t n
        if self.error is not None:
            return out
        if PyByteArray_GET_SIZE(self.buf) == 0 and type(data) is bytes:
            n = PyBytes_GET_SIZE(data)
            consumed = self._parse(PyBytes_AS_STRING(data), n, out)
            if consumed < n:
                self.buf += (<bytes>data)[consumed:]
        else:
            self.buf += data
            n = PyByteArray_GET_SIZE(self.buf)
            consumed = self._parse(PyByteArray_AS_STRING(self.buf), n, out)
            if consumed:
                del self.buf[:consumed]
        if self.error is None and self._buffered() > self.query_buffer_limit:
            self.overflow = True
        return out

    cdef Py_ssize_t _buffered(self):
        # A bulk being read counts fully once its header is in (Redis reserves it as querybuf).
        return PyByteArray_GET_SIZE(self.buf)

    cdef Py_ssize_t _parse(self, const char* p, Py_ssize_t n, list out) except -1:
        cdef Py_ssize_t pos = 0
        cdef Py_ssize_t start
        while pos < n and self.error is None:
            if self.cur is None:
                if p[pos] == b'*':
                    start = pos
                    pos = self._multibulk_header(p, pos, n)
                    if pos == start:
                        break
                    if self.cur is None:
                        continue   # *0 or negative count: nothing to run
                else:
                    start = pos
                    pos = self._inline(p, pos, n, out)
                    if pos == start:
                        break
                    if not self.authenticated and len(out):
                        break
                    continue
            start = pos
            pos = self._bulks(p, pos, n)
            if self.remaining == 0 and self.cur is not None:
                PyList_Append(out, self.cur)
                self.cur = None
                if not self.authenticated:
                    # Redis applies the unauthenticated header limits per request, after the previous
                    # request (maybe an AUTH) ran: hand out one request, the caller feeds b"" for more.
                    break
            elif pos == start:
                break
        return pos

    cdef Py_ssize_t _multibulk_header(self, const char* p, Py_ssize_t pos, Py_ssize_t n) except -1:
        cdef const char* nl = find_line_end(p + pos, n - pos, b'\r')
        cdef long long ll
        cdef Py_ssize_t linelen
        if nl == NULL:
            if n - pos > INLINE_MAX:
                self.error = b"ERR Protocol error: too big mbulk count string"
            return pos
        # A long count line that does end is just an invalid length (Redis checks the size only while
        # waiting for the line end).
        linelen = nl - (p + pos)
        if nl + 1 >= p + n:
            return pos   # wait for the '\n'
        if not string2ll_c(p + pos + 1, linelen - 1, &ll) or ll > INT_MAX:
            self.error = b"ERR Protocol error: invalid multibulk length"
            return pos
        if not self.authenticated and ll > UNAUTH_MAX_MULTIBULK:
            self.error = b"ERR Protocol error: unauthenticated multibulk length"
            return pos
        pos += linelen + 2
        if ll <= 0:
            return pos
        self.cur = []
        self.remaining = <Py_ssize_t>ll
        self.bulklen = -1
        return pos

    cdef Py_ssize_t _bulks(self, const char* p, Py_ssize_t pos, Py_ssize_t n) except -1:
        cdef const char* nl
        cdef Py_ssize_t linelen
        cdef long long ll
        cdef char msg[64]
        cdef char got
        while self.remaining > 0:
            if self.bulklen < 0:
                if pos >= n:
                    return pos
                nl = find_line_end(p + pos, n - pos, b'\r')
                if nl == NULL:
                    if n - pos > INLINE_MAX:
                        self.error = b"ERR Protocol error: too big bulk count string"
                    return pos
                linelen = nl - (p + pos)
                if nl + 1 >= p + n:
                    return pos
                if p[pos] != b'$':
                    # Error replies are one line: Redis turns CR/LF in the message into spaces.
                    got = p[pos]
                    if got == b'\r' or got == b'\n':
                        got = b' '
                    snprintf(msg, 64, "ERR Protocol error: expected '$', got '%c'", got)
                    self.error = PyBytes_FromStringAndSize(msg, 41)
                    return pos
                if not string2ll_c(p + pos + 1, linelen - 1, &ll) or ll < 0 or ll > self.max_bulk_len:
                    self.error = b"ERR Protocol error: invalid bulk length"
                    return pos
                if not self.authenticated and ll > UNAUTH_MAX_BULK:
                    self.error = b"ERR Protocol error: unauthenticated bulk length"
                    return pos
                pos += linelen + 2
                self.bulklen = <Py_ssize_t>ll
            if n - pos < self.bulklen + 2:
                return pos
            # Redis does not check that the two bytes after the payload are CRLF; neither do we.
            PyList_Append(self.cur, PyBytes_FromStringAndSize(p + pos, self.bulklen))
            pos += self.bulklen + 2
            self.bulklen = -1
            self.remaining -= 1
        return pos

    cdef Py_ssize_t _inline(self, const char* p, Py_ssize_t pos, Py_ssize_t n, list out) except -1:
        cdef const char* nl = find_line_end(p + pos, n - pos, b'\n')
        cdef Py_ssize_t end
        cdef object argv
        if nl == NULL:
            if n - pos > INLINE_MAX:
                self.error = b"ERR Protocol error: too big inline request"
            return pos
        end = nl - p
        if end > pos and p[end - 1] == b'\r':
            argv = split_args(p + pos, end - 1 - pos)
        else:
            argv = split_args(p + pos, end - pos)
        if argv is None:
            self.error = b"ERR Protocol error: unbalanced quotes in request"
            return pos
        if len(argv):
            PyList_Append(out, argv)
        return end + 1


cdef inline int hexval(char c) noexcept:
    if c >= b'0' and c <= b'9':
        return c - 48
    if c >= b'a' and c <= b'f':
        return c - 87
    if c >= b'A' and c <= b'F':
        return c - 55
    return -1


cdef inline bint is_space(char c) noexcept:
    return c == b' ' or c == b'\n' or c == b'\r' or c == b'\t' or c == b'\v' or c == b'\f'


cdef object split_args(const char* p, Py_ssize_t n):
    """sdssplitargs's rules: spaces separate, "..." with escapes, '...' with \\' only; None on bad quotes."""
    cdef list args = []
    cdef Py_ssize_t i = 0
    cdef bytearray cur
    cdef bint inq, insq, done
    cdef char c
    while True:
        while i < n and is_space(p[i]):
            i += 1
        if i >= n:
            return args
        cur = bytearray()
        inq = False
        insq = False
        done = False
        while not done:
            if inq:
                if i >= n:
                    return None
                c = p[i]
                if c == b'\\' and i + 3 < n and p[i + 1] == b'x' and hexval(p[i + 2]) >= 0 and hexval(p[i + 3]) >= 0:
                    cur.append(hexval(p[i + 2]) * 16 + hexval(p[i + 3]))
                    i += 3
                elif c == b'\\' and i + 1 < n:
                    i += 1
                    c = p[i]
                    if c == b'n':
                        c = b'\n'
                    elif c == b'r':
                        c = b'\r'
                    elif c == b't':
                        c = b'\t'
                    elif c == b'b':
                        c = b'\b'
                    elif c == b'a':
                        c = b'\a'
                    cur.append(<unsigned char>c)
                elif c == b'"':
                    # the closing quote must be followed by a space or nothing
                    if i + 1 < n and not is_space(p[i + 1]):
                        return None
                    done = True
                else:
                    cur.append(<unsigned char>c)
            elif insq:
                if i >= n:
                    return None
                c = p[i]
                if c == b'\\' and i + 1 < n and p[i + 1] == b'\'':
                    i += 1
                    cur.append(b'\'')
                elif c == b'\'':
                    if i + 1 < n and not is_space(p[i + 1]):
                        return None
                    done = True
                else:
                    cur.append(<unsigned char>c)
            else:
                if i >= n:
                    done = True
                    break
                c = p[i]
                if is_space(c):
                    done = True
                elif c == b'"':
                    inq = True
                elif c == b'\'':
                    insq = True
                else:
                    cur.append(<unsigned char>c)
            if i < n:
                i += 1
        args.append(bytes(cur))


def split_args_py(data):
    """sdssplitargs for config files and tests: list of bytes, or None on unbalanced quotes."""
    cdef bytes b = bytes(data)
    return split_args(PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b))


# ---------------------------------------------------------------------------------------------------------
# Reply writer

cdef bytes CRLF = b"\r\n"


cdef inline int format_line(char* out, char prefix, int64_t value) noexcept:
    """Write prefix, value in decimal and CRLF into out (at least 24 bytes); return the length."""
    cdef char digits[24]
    cdef int nd = 0
    cdef int k = 0
    cdef unsigned long long v
    out[k] = prefix
    k += 1
    if value < 0:
        out[k] = b'-'
        k += 1
        v = <unsigned long long>(-(value + 1)) + 1   # no overflow for INT64_MIN
    else:
        v = <unsigned long long>value
    while True:
        digits[nd] = <char>(48 + v % 10)
        nd += 1
        v //= 10
        if v == 0:
            break
    while nd > 0:
        nd -= 1
        out[k] = digits[nd]
        k += 1
    out[k] = b'\r'
    out[k + 1] = b'\n'
    return k + 2


cdef inline Py_ssize_t _line_len(Py_ssize_t value) noexcept:
    # Length of format_line's output for a non-negative value: prefix, digits, CRLF.
    cdef Py_ssize_t digits = 1
    while value >= 10:
        value //= 10
        digits += 1
    return digits + 3


def encode_command(list argv not None):
    """A command as a RESP multibulk (*n, then $len/arg per argument): the replication stream's unit.
    Arguments are bytes or bytearray."""
    cdef Py_ssize_t n = len(argv), total, i, size, k
    cdef char* out
    cdef bytes result
    cdef object arg
    total = _line_len(n)
    for i in range(n):
        arg = argv[i]
        if type(arg) is bytes:
            size = PyBytes_GET_SIZE(arg)
        elif isinstance(arg, bytearray):
            size = PyByteArray_GET_SIZE(arg)
        else:
            raise TypeError(f"command arguments must be bytes, not {type(arg).__name__}")
        total += _line_len(size) + size + 2
    result = PyBytes_FromStringAndSize(NULL, total)
    out = PyBytes_AS_STRING(result)
    k = format_line(out, b'*', n)
    for i in range(n):
        arg = argv[i]
        if type(arg) is bytes:
            size = PyBytes_GET_SIZE(arg)
            k += format_line(out + k, b'$', size)
            memcpy(out + k, PyBytes_AS_STRING(arg), size)
        else:
            size = PyByteArray_GET_SIZE(arg)
            k += format_line(out + k, b'$', size)
            memcpy(out + k, PyByteArray_AS_STRING(arg), size)
        k += size
        out[k] = b'\r'
        out[k + 1] = b'\n'
        k += 2
    return result


cdef class ReplyWriter:
    """Append-only RESP2/RESP3 reply buffer. take() returns the bytes written so far and empties it."""
    cdef char* buf
    cdef Py_ssize_t length
    cdef Py_ssize_t cap
    cdef public int resp

    def __cinit__(self):
        self.cap = 1024
        self.buf = <char*>PyMem_Malloc(self.cap)
        if self.buf == NULL:
            raise MemoryError()
        self.length = 0
        self.resp = 2

    def __init__(self, int resp=2):
        self.resp = resp

    def __dealloc__(self):
        if self.buf != NULL:
            PyMem_Free(self.buf)
            self.buf = NULL

    def __len__(self):
        return self.length

    cdef int reserve(self, Py_ssize_t extra) except -1:
        cdef Py_ssize_t need = self.length + extra
        cdef Py_ssize_t cap
        cdef char* nb
        if need <= self.cap:
            return 0
        cap = self.cap * 2
        while cap < need:
            cap *= 2
        nb = <char*>PyMem_Realloc(self.buf, cap)
        if nb == NULL:
            raise MemoryError()
        self.buf = nb
        self.cap = cap
        return 0

    cdef int put(self, const char* data, Py_ssize_t n) except -1:
        if self.length + n > self.cap:
            self.reserve(n)
        memcpy(self.buf + self.length, data, n)
        self.length += n
        return 0

    cdef int put_line(self, char prefix, int64_t value) except -1:
        """prefix + decimal value + CRLF (hand-formatted: snprintf costs more than the rest of a reply)."""
        cdef char tmp[32]
        cdef int k = format_line(tmp, prefix, value)
        return self.put(tmp, k)

    cpdef take(self):
        cdef bytes out = PyBytes_FromStringAndSize(self.buf, self.length)
        self.length = 0
        if self.cap > 65536:
            # give back big buffers once a large reply is out
            PyMem_Free(self.buf)
            self.cap = 1024
            self.buf = <char*>PyMem_Malloc(self.cap)
        return out

    cpdef discard_from(self, Py_ssize_t mark):
        """Drop everything written after `mark` (a previous len()); used to replace a partial reply."""
        if 0 <= mark <= self.length:
            self.length = mark

    cpdef raw(self, bytes data):
        self.put(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))

    cpdef simple(self, bytes text):
        self.put("+", 1)
        self.put(PyBytes_AS_STRING(text), PyBytes_GET_SIZE(text))
        self.put("\r\n", 2)

    cpdef error(self, bytes message):
        self.put("-", 1)
        self.put(PyBytes_AS_STRING(message), PyBytes_GET_SIZE(message))
        self.put("\r\n", 2)

    cpdef ok(self):
        self.put("+OK\r\n", 5)

    cpdef integer(self, long long value):
        if 0 <= value <= 1:
            self.put(":0\r\n" if value == 0 else ":1\r\n", 4)
        else:
            self.put_line(b':', value)

    cpdef bulk(self, object value):
        cdef Py_ssize_t n
        cdef const char* p
        cdef char tmp[32]
        cdef int k
        if type(value) is bytes:
            p = PyBytes_AS_STRING(value)
            n = PyBytes_GET_SIZE(value)
        elif type(value) is bytearray:
            p = PyByteArray_AS_STRING(value)
            n = PyByteArray_GET_SIZE(value)
        elif isinstance(value, (bytes, bytearray, memoryview)):
            value = bytes(value)
            p = PyBytes_AS_STRING(value)
            n = PyBytes_GET_SIZE(value)
        elif isinstance(value, str):
            value = (<str>value).encode()
            p = PyBytes_AS_STRING(value)
            n = PyBytes_GET_SIZE(value)
        elif isinstance(value, int):
            value = b"%d" % value
            p = PyBytes_AS_STRING(value)
            n = PyBytes_GET_SIZE(value)
        else:
            raise TypeError("bulk() needs bytes, got %r" % type(value))
        k = format_line(tmp, b'$', n)
        self.reserve(k + n + 2)
        memcpy(self.buf + self.length, tmp, k)
        self.length += k
        memcpy(self.buf + self.length, p, n)
        self.length += n
        memcpy(self.buf + self.length, "\r\n", 2)
        self.length += 2

    cpdef bulk_or_null(self, object value):
        if value is None:
            self.null()
        else:
            self.bulk(value)

    cpdef null(self):
        if self.resp == 2:
            self.put("$-1\r\n", 5)
        else:
            self.put("_\r\n", 3)

    cpdef null_array(self):
        if self.resp == 2:
            self.put("*-1\r\n", 5)
        else:
            self.put("_\r\n", 3)

    cpdef array_header(self, Py_ssize_t n):
        self.put_line(b'*', n)

    cpdef map_header(self, Py_ssize_t n):
        if self.resp == 2:
            self.put_line(b'*', n * 2)
        else:
            self.put_line(b'%', n)

    cpdef set_header(self, Py_ssize_t n):
        if self.resp == 2:
            self.put_line(b'*', n)
        else:
            self.put_line(b'~', n)

    cpdef push_header(self, Py_ssize_t n):
        if self.resp == 2:
            self.put_line(b'*', n)
        else:
            self.put_line(b'>', n)

    cpdef boolean(self, bint value):
        if self.resp == 2:
            self.put(":1\r\n" if value else ":0\r\n", 4)
        else:
            self.put("#t\r\n" if value else "#f\r\n", 4)

    def double(self, value):
        """addReplyDouble: see put_double."""
        self.put_double(value)

    cpdef put_double(self, double value):
        """addReplyDouble: a bulk string in RESP2, a ',' double in RESP3, %.17g with inf/-inf/nan."""
        cdef char num[64]
        cdef int k
        if isinf(value):
            k = snprintf(num, 64, "%s", "inf" if value > 0 else "-inf")
        elif isnan(value):
            k = snprintf(num, 64, "%s", "nan")
        else:
            k = snprintf(num, 64, "%.17g", value)
        if self.resp == 2:
            self.put_line(b'$', k)
            self.put(num, k)
            self.put("\r\n", 2)
        else:
            self.put(",", 1)
            self.put(num, k)
            self.put("\r\n", 2)

    cpdef bignum(self, bytes digits):
        if self.resp == 2:
            self.bulk(digits)
        else:
            self.put("(", 1)
            self.raw(digits)
            self.put("\r\n", 2)

    cpdef verbatim(self, bytes text, bytes fmt=b"txt"):
        """A verbatim string in RESP3 ('=' with a 3-letter format), a bulk string in RESP2."""
        if self.resp == 2:
            self.bulk(text)
        else:
            self.put_line(b'=', PyBytes_GET_SIZE(text) + 4)
            self.raw(fmt[:3])
            self.put(":", 1)
            self.raw(text)
            self.put("\r\n", 2)

    cpdef bulk_array(self, list items):
        """An array of bulk strings (None items become nulls)."""
        self.put_line(b'*', len(items))
        for item in items:
            if item is None:
                self.null()
            else:
                self.bulk(item)
