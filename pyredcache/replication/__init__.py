"""Replication, the PSYNC2 protocol: the stream's state and backlog (state.py, backlog.py), what executed
commands become in the stream (propagate.py), the primary side (primary.py) and the replica side
(handshake.py, replica.py). Sockets live only in primary.py and replica.py."""
