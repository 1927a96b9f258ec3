"""Listeners: CONFIG SET port/bind rebinding at run time, refused binds, port 0 means no TCP listener."""
from __future__ import annotations

import socket

import pytest
import redis
from helpers.procs import free_port, ping
from helpers.wait import wait_until


def test_config_set_port_moves_the_listener(server_factory):
    sp = server_factory()
    old = sp.port
    new = free_port()
    client = redis.Redis(port=old, socket_timeout=5)
    assert client.config_set("port", new) is True
    wait_until(lambda: ping(new), timeout=5, message="the new port to answer")
    assert not ping(old)
    # the connection that issued CONFIG SET keeps working, as in Redis
    assert client.ping() is True
    assert redis.Redis(port=new).config_get("port") == {"port": str(new)}


def test_config_set_port_in_use_is_refused(server_factory):
    sp = server_factory()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        client = redis.Redis(port=sp.port, socket_timeout=5)
        with pytest.raises(redis.ResponseError) as err:
            client.config_set("port", taken)
        assert str(err.value) == (
            "CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port"
        )
        assert client.config_get("port") == {"port": str(sp.port)}
        assert ping(sp.port)


def test_config_set_bind_unavailable_address_is_refused(server_factory):
    sp = server_factory()
    client = redis.Redis(port=sp.port, socket_timeout=5)
    with pytest.raises(redis.ResponseError) as err:
        client.config_set("bind", "192.0.2.1")   # TEST-NET-1: not an address of this machine
    assert "Failed to bind to specified addresses." in str(err.value)
    assert client.config_get("bind") == {"bind": "127.0.0.1"}
    assert ping(sp.port)
