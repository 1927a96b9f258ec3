"""String values that must remember how Redis created them, beyond what bytes/bytearray already say."""
from __future__ import annotations

# createStringObject's cutoff between the embstr and raw encodings.
EMBSTR_SIZE_LIMIT = 44


class UnencodedString(bytes):
    """A string Redis stored without trying the int encoding (INCRBYFLOAT's result): OBJECT ENCODING says
    embstr/raw even when it reads as an integer ("5200"). Otherwise an ordinary immutable bytes value."""

    __slots__ = ()
    redis_type = b"string"

    @property
    def encoding(self) -> bytes:
        return b"embstr" if len(self) <= EMBSTR_SIZE_LIMIT else b"raw"

    def copy(self) -> UnencodedString:
        return self
