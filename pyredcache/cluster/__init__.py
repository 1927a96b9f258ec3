"""Redis Cluster: node records and cluster state, the bus codec and runtime, gossip, failover and routing.

The server sees the cluster only through `server.cluster` (None when cluster-enabled is no).
"""
