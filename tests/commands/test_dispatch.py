"""The dispatch pipeline: lookup, arity, auth, HTTP-request guard, case-insensitivity, error stats."""
from __future__ import annotations

import pytest
from helpers.rawclient import RawClient


@pytest.mark.oracle
def test_unknown_command_error_lists_args(oracle):
    oracle.error("FOO")
    oracle.error("foo", "a", "b c")
    oracle.error("nosuch", "x" * 200, "y")          # args are cut at 128 characters in all
    oracle.error("x" * 300)                         # the name is cut at 128 characters


@pytest.mark.oracle
def test_unknown_command_error_has_no_newlines(oracle):
    oracle.error("foo", "a\r\nb")


@pytest.mark.oracle
def test_wrong_arity_names_the_command(oracle):
    oracle.error("GET")
    oracle.error("get", "a", "b")
    oracle.error("SET", "k")
    oracle.error("select")


@pytest.mark.oracle
def test_command_names_are_case_insensitive(oracle):
    oracle.do("SeT", "k", "v")
    oracle.do("gEt", "k")
    oracle.do("GET", "k")


@pytest.mark.oracle
def test_container_without_subcommand_is_an_arity_error(oracle):
    oracle.error("CLIENT")


@pytest.mark.oracle
def test_container_unknown_subcommand(oracle):
    oracle.error("CLIENT", "nosuch")
    oracle.error("CONFIG", "bogus", "x")


def test_http_post_request_closes_connection(port):
    c = RawClient(port)
    c.send(b"POST / HTTP/1.1\r\nHost: example\r\n\r\n")
    assert c.read_until_closed() == b""
    c.close()


def test_http_host_line_closes_connection(port):
    c = RawClient(port)
    c.send(b"Host: example.com\r\n")
    assert c.read_until_closed() == b""
    c.close()


def test_noauth_before_arity_when_password_set(server_factory):
    sp = server_factory(requirepass="secret")
    c = RawClient(sp.port)
    assert c.command("GET", "k") == b"-NOAUTH Authentication required.\r\n"
    # Redis checks arity before authentication (processCommand order).
    assert c.command("GET") == b"-ERR wrong number of arguments for 'get' command\r\n"
    assert c.command("AUTH", "secret") == b"+OK\r\n"
    assert c.command("GET", "k") == b"$-1\r\n"
    c.close()


@pytest.mark.oracle
def test_noauth_matches_redis(server_factory):
    ours = server_factory(requirepass="pw")
    theirs = server_factory("redis", requirepass="pw")
    a, b = RawClient(ours.port), RawClient(theirs.port)
    for cmd in (("GET", "k"), ("GET",), ("PING",), ("FOO",), ("AUTH", "bad"), ("AUTH", "pw"), ("GET", "k")):
        assert a.command(*cmd) == b.command(*cmd), cmd
    a.close()
    b.close()


def test_server_survives_many_errors_in_a_pipeline(port):
    c = RawClient(port)
    c.send(b"".join(b"*1\r\n$3\r\nFOO\r\n" for _ in range(500)) + b"*1\r\n$4\r\nPING\r\n")
    for _ in range(500):
        assert c.read_reply().startswith(b"-ERR unknown command 'FOO'")
    assert c.read_reply() == b"+PONG\r\n"
    c.close()
