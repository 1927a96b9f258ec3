"""The cluster runtime of one server (`server.cluster`): ties state, nodes.conf, the bus, gossip and failover.

The rest of the server knows the cluster only through this object. It owns the clusterCron timer (every
100 ms, as serverCron's run_with_period(100)) and the beforeSleep work: todo flags set by transitions are
handled once per loop turn (failover, state update, one atomic nodes.conf write).
"""
from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from . import failover, gossip, nodes_conf, routing
from .node import Node, NodeFlag, mstime
from .state import ClusterState, Todo

if TYPE_CHECKING:
    from ..server.instance import Server

CRON_PERIOD_S = 0.1


class Cluster:
    """server.cluster. Subsystems hang off it: `bus` (bus.Bus), and the pure decision modules (gossip,
    failover) are called with it."""

    def __init__(self, server: Server) -> None:
        from . import nodes_conf

        self.server = server
        self.config = server.config
        self.log = server.log
        self.state: ClusterState = nodes_conf.load_or_create(self)
        self.bus: Any = None
        self.cron_handle: asyncio.TimerHandle | None = None
        self._before_sleep_scheduled = False
        self.cron_iteration = 0

    # ------------------------------------------------------------------ lifecycle

    @property
    def myself(self) -> Node:
        return self.state.myself

    @property
    def node_timeout(self) -> int:
        return int(self.config["cluster-node-timeout"])

    async def start(self) -> None:
        """Open the bus listener (port + 10000 unless cluster-port) and start clusterCron."""
        from .bus import Bus

        self.bus = Bus(self)
        await self.bus.start()
        loop = asyncio.get_running_loop()
        self.cron_handle = loop.call_later(CRON_PERIOD_S, self._cron)
        self.request(Todo.UPDATE_STATE)
        from . import routing

        routing.install(self)

    def verify_config_with_data(self) -> None:
        """verifyClusterConfigWithData, after the dataset is loaded: keys outside db 0 are fatal; a primary
        holding keys of a slot it does not own takes the slot when it is unassigned, or imports it."""
        server = self.server
        state = self.state
        me = state.myself
        if me.is_replica:
            return   # a replica's data is whatever its primary's stream says
        if any(len(db) for db in server.dbs[1:]):
            self.log.warning("You can't have keys in a DB different than DB 0 when in Cluster mode. Exiting.")
            raise SystemExit(1)
        changed = False
        for slot in server.dbs[0].slots_with_keys():
            owner = state.slots[slot]
            if owner is me or slot in state.importing:
                continue
            changed = True
            if owner is None:
                self.log.warning(f"I have keys for unassigned slot {slot}. Taking responsibility for it.")
                state.assign_slot(slot, me)
            else:
                self.log.warning(f"I have keys for slot {slot}, but the slot is assigned to another node. "
                                 "Setting it to importing state.")
                state.importing[slot] = owner
        if changed:
            from . import nodes_conf

            nodes_conf.save_or_die(self, fsync=True)

    def stop(self) -> None:
        if self.cron_handle is not None:
            self.cron_handle.cancel()
            self.cron_handle = None
        if self.bus is not None:
            self.bus.close()
        from . import nodes_conf

        nodes_conf.release(self)   # the nodes.conf lock (an embedded server may start again in this process)

    def _cron(self) -> None:
        try:
            self.cron_iteration += 1
            gossip.cron(self, mstime())
        except Exception as exc:   # the cron must never die
            self.log.warning(f"clusterCron error: {exc!r}")
        finally:
            loop = self.server.loop
            if loop is not None and (self.server.stopped is None or not self.server.stopped.is_set()):
                self.cron_handle = loop.call_later(CRON_PERIOD_S, self._cron)

    # ------------------------------------------------------------------ todo flags / beforeSleep

    def request(self, flags: int) -> None:
        """clusterDoBeforeSleep: remember work for the end of this loop turn."""
        self.state.todo |= flags
        # The fast path serves no key until before_sleep has recomputed what is local (routing.py).
        fast = getattr(self.server, "fastpath", None)
        if fast is not None:
            fast.cluster_ok = False
        if not self._before_sleep_scheduled and self.server.loop is not None:
            self._before_sleep_scheduled = True
            self.server.loop.call_soon(self.before_sleep)

    def before_sleep(self) -> None:
        """clusterBeforeSleep."""
        self._before_sleep_scheduled = False
        state = self.state
        try:
            if state.todo & Todo.HANDLE_MANUALFAILOVER:
                state.todo &= ~Todo.HANDLE_MANUALFAILOVER
                if self.myself.is_replica:
                    failover.handle_manual_failover(self, mstime())
            if state.todo & Todo.HANDLE_FAILOVER:
                state.todo &= ~Todo.HANDLE_FAILOVER
                if self.myself.is_replica:
                    failover.handle_replica_failover(self, mstime())
            if state.todo & Todo.UPDATE_STATE:
                state.todo &= ~Todo.UPDATE_STATE
                self.update_state()
            if state.todo & Todo.SAVE_CONFIG:
                fsync = bool(state.todo & Todo.FSYNC_CONFIG)
                state.todo &= ~(Todo.SAVE_CONFIG | Todo.FSYNC_CONFIG)
                nodes_conf.save_or_die(self, fsync=fsync)   # clusterSaveConfigOrDie
        except Exception as exc:
            self.log.warning(f"clusterBeforeSleep error: {exc!r}")
        try:
            routing.refresh_fast_slots(self)
        except Exception as exc:
            self.log.warning(f"cluster routing refresh error: {exc!r}")

    def save_config_now(self) -> bool:
        """clusterSaveConfig, synchronously (CLUSTER SAVECONFIG, votes before replying)."""
        from . import nodes_conf

        self.state.todo &= ~(Todo.SAVE_CONFIG | Todo.FSYNC_CONFIG)
        return nodes_conf.save(self, fsync=True)

    def update_state(self) -> None:
        """clusterUpdateState: cluster_state ok/fail from slot coverage and whether we are in the majority."""
        gossip.update_state(self, mstime())

    # ------------------------------------------------------------------ operations used by commands

    def meet(self, ip: str, port: int, cport: int) -> bool:
        """CLUSTER MEET: start a handshake (clusterStartHandshake). False for an invalid address."""
        from . import gossip

        return gossip.start_handshake(self, ip, port, cport)

    def forget(self, node: Node) -> None:
        """CLUSTER FORGET: blacklist the name, drop the node and its links."""
        from . import gossip

        gossip.forget(self, node)

    def set_my_primary(self, primary: Node) -> None:
        """CLUSTER REPLICATE / losing our slots to a replica of ours / failover.py: become `primary`'s replica
        (clusterSetMaster): the state transition plus replication towards its ip:port."""
        from . import failover

        failover.set_my_primary(self, primary)

    def node_role_text(self, node: Node) -> str:
        return "master" if node.flags & NodeFlag.MASTER else "slave"
