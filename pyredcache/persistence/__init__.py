"""Persistence: sans-IO codecs for RDB files and DUMP payloads (compact blob encodings, RDB values) and the
snapshot writer that uses them."""
