"""Value types stored in the keyspace and their Redis encodings (what TYPE and OBJECT ENCODING report).

Strings are plain bytes/bytearray; every other type is a class following encoding.RedisValue.
"""
from __future__ import annotations

from .encoding import RedisValue, copy_value, encoding_name, type_name

__all__ = ["RedisValue", "copy_value", "encoding_name", "type_name"]
