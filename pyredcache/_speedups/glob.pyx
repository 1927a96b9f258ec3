"""Redis glob-style matching (KEYS, SCAN MATCH, PSUBSCRIBE, ACL patterns) with util.c stringmatchlen semantics.
Iterative with one backtrack point, so hostile patterns like ``*a*a*a*...b`` cost O(len(pattern) * len(string))."""

from libc.stddef cimport size_t


cdef inline int _lower(int c) noexcept nogil:
    # Redis runs with the C locale for LC_CTYPE, so tolower() only folds ASCII.
    if 65 <= c <= 90:
        return c + 32
    return c


cdef inline int _pat(const unsigned char* p, Py_ssize_t plen, Py_ssize_t i) noexcept nogil:
    # Redis reads one byte past the pattern in places; for an sds that byte is the NUL terminator.
    return p[i] if i < plen else 0


cdef inline Py_ssize_t _match_one(const unsigned char* p, Py_ssize_t plen, Py_ssize_t i, unsigned char c,
                                  bint nocase) noexcept nogil:
    """Match the single-character token at p[i] (not '*') against c.
    Returns the index after the token on success, -1 on mismatch. Token boundaries never depend on c."""
    cdef int op = p[i]
    cdef bint negate, matched
    cdef Py_ssize_t rem
    cdef int start, end, sc
    if op == b'?':
        return i + 1
    if op == b'[':
        i += 1
        negate = _pat(p, plen, i) == b'^'
        if negate:
            i += 1
        matched = False
        while True:
            rem = plen - i
            op = _pat(p, plen, i)
            if op == b'\\' and rem >= 2:
                i += 1
                if p[i] == c:
                    matched = True
            elif op == b']':
                break
            elif rem <= 0:
                # Unterminated class: the class ends with the pattern (stringmatchlen backs up one byte
                # so that its common "advance pattern" step lands exactly on the end).
                i -= 1
                break
            elif rem >= 3 and p[i + 1] == b'-':
                # Ranges compare as signed chars (x86 char) after optional ASCII folding, reversed ends swapped.
                start = <signed char>p[i]
                end = <signed char>p[i + 2]
                sc = <signed char>c
                if start > end:
                    start, end = end, start
                if nocase:
                    start = _lower(start)
                    end = _lower(end)
                    sc = _lower(sc)
                i += 2
                if start <= sc <= end:
                    matched = True
            elif nocase:
                if _lower(op) == _lower(c):
                    matched = True
            elif op == c:
                matched = True
            i += 1
        if negate:
            matched = not matched
        return i + 1 if matched else -1
    if op == b'\\' and plen - i >= 2:
        i += 1
        op = p[i]
    if nocase:
        return i + 1 if _lower(op) == _lower(c) else -1
    return i + 1 if op == c else -1


cdef bint _stringmatch(const unsigned char* p, Py_ssize_t plen, const unsigned char* s, Py_ssize_t slen,
                       bint nocase) noexcept nogil:
    cdef Py_ssize_t pi = 0, si = 0, star_p = -1, star_s = 0, nxt
    if slen == 0:
        # Redis 7.0's loop runs only while both are non-empty: "" matches only the empty pattern ("*" too
        # fails; KEYS * works through its own match-all shortcut).
        return plen == 0
    while True:
        if si == slen:
            while pi < plen and p[pi] == b'*':
                pi += 1
            return pi == plen
        if pi < plen and p[pi] == b'*':
            while pi < plen and p[pi] == b'*':
                pi += 1
            if pi == plen:
                return True
            star_p = pi
            star_s = si
            continue
        if pi < plen:
            nxt = _match_one(p, plen, pi, s[si], nocase)
            if nxt >= 0:
                pi = nxt
                si += 1
                continue
        # Mismatch: let the most recent '*' swallow one more byte. Earlier stars never need revisiting
        # (every other token eats exactly one byte) -- the same insight as Redis's skipLongerMatches.
        if star_p < 0:
            return False
        star_s += 1
        if star_s >= slen:
            return False
        pi = star_p
        si = star_s


cdef inline const unsigned char* _buf(bytes b) noexcept:
    return <const unsigned char*><const char*>b


def stringmatch(bytes pattern not None, bytes string not None, bint nocase=False) -> bool:
    """Whether ``string`` matches the Redis glob ``pattern`` (``*``, ``?``, ``[...]``, ``[^...]``, ``\\``)."""
    return _stringmatch(_buf(pattern), len(pattern), _buf(string), len(string), nocase)


def filter_matching(bytes pattern not None, list strings not None, bint nocase=False) -> list:
    """The items of ``strings`` (all ``bytes``) that match ``pattern``, in order (KEYS/SCAN MATCH in one call)."""
    cdef list out = []
    cdef const unsigned char* p = _buf(pattern)
    cdef Py_ssize_t plen = len(pattern)
    cdef object item
    for item in strings:
        if type(item) is not bytes:
            raise TypeError("filter_matching() expects a list of bytes")
        if _stringmatch(p, plen, _buf(<bytes>item), len(<bytes>item), nocase):
            out.append(item)
    return out
