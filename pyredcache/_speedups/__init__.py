"""Cython hot paths (data structures and codecs) for pyredcache; no asyncio, no imports from the package."""
