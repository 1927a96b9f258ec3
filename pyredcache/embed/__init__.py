"""Embedding API: run pyredcache servers and clusters from Python (tests, notebooks, tools).

`Server` (embed/server.py) runs one node in a thread of the caller or as a subprocess; `Cluster`
(embed/cluster.py) builds a Redis Cluster of subprocess nodes.
"""
from __future__ import annotations
