"""The pyredcache pytest plugin (pyredcache/pytest_plugin.py), run as users run it: `python -m pytest` in a
subprocess on a test module of their own (the plugin registers through its pytest11 entry point), with its own
TMPDIR so that we can check nothing is left behind. Covers docs/example_test.py, flushing between tests, the
keep-data marker, the server factory, thread and process mode, external servers and clusters
(--pyredcache-url, PYREDCACHE_URL, --pyredcache-cluster-url) and an interrupted run (SIGTERM)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers.wait import wait_until

from pyredcache.embed.server import Server

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "example_test.py"


def run_pytest(where: Path, module: str, *args: str, env: dict[str, str] | None = None,
               timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    """`python -m pytest -q <module> <args>` in `where`, with TMPDIR=where/tmp (checked empty afterwards)."""
    tmp = where / "tmp"
    tmp.mkdir(exist_ok=True)
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PYREDCACHE_")}
    full_env.update(TMPDIR=str(tmp), PYTHONDONTWRITEBYTECODE="1", **(env or {}))
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "--strict-markers",
                           module, *args], cwd=where, env=full_env, capture_output=True, text=True,
                          timeout=timeout)


def leftovers(where: Path) -> list[str]:
    return sorted(os.listdir(where / "tmp"))


def write(where: Path, name: str, source: str) -> str:
    (where / name).write_text(textwrap.dedent(source))
    return name


def check(res: subprocess.CompletedProcess[str], summary: str) -> None:
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert summary in out, out


def test_example_module_passes_and_leaves_nothing(tmp_path: Path) -> None:
    """docs/example_test.py copied into an empty directory runs with plain pytest."""
    shutil.copy(EXAMPLE, tmp_path / "example_test.py")
    res = run_pytest(tmp_path, "example_test.py")
    check(res, "3 passed")
    assert leftovers(tmp_path) == []


FLUSH_MODULE = """
    import pytest

    def test_a_writes(pyredcache_client):
        assert pyredcache_client.dbsize() == 0
        pyredcache_client.set("k", "1")

    def test_b_sees_a_flushed_server(pyredcache_client):
        assert pyredcache_client.get("k") is None
        pyredcache_client.set("kept", "2")

    @pytest.mark.pyredcache_keep_data
    def test_c_keeps_data(pyredcache_client):
        assert pyredcache_client.get("kept") == b"2"

    def test_d_url_and_server(pyredcache_url, pyredcache_server, pyredcache_client):
        assert pyredcache_url == f"redis://127.0.0.1:{pyredcache_server.port}/0" == pyredcache_server.url
        assert pyredcache_client.connection_pool.connection_kwargs["port"] == pyredcache_server.port
        assert pyredcache_server.mode == MODE
        assert (pyredcache_server.pid == os.getpid()) == (MODE == "thread")

    def test_e_factory_servers_are_private(pyredcache_server_factory, pyredcache_server):
        s = pyredcache_server_factory(maxmemory="10mb", maxmemory_policy="allkeys-lru")
        assert s.port != pyredcache_server.port and s.mode == MODE
        with s.client(decode_responses=True) as c:
            assert c.config_get("maxmemory") == {"maxmemory": "10485760"}
            assert c.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}

    def test_f_time_control_is_its_own_server(pyredcache_time, pyredcache_client):
        assert pyredcache_time.server.port != pyredcache_client.connection_pool.connection_kwargs["port"]
        pyredcache_time.client.set("t", "v", px=1500)
        pyredcache_client.set("t", "v", px=1500)
        pyredcache_time.advance(2)
        assert pyredcache_time.client.get("t") is None
        assert pyredcache_client.get("t") == b"v"      # the session server's clock did not move

    def test_g_time_frozen_then_unfrozen_for_the_next_test(pyredcache_time):
        pyredcache_time.freeze()
        pyredcache_time.client.set("f", "v", px=50)
        assert pyredcache_time.client.pttl("f") == 50

    def test_h_clock_runs_again(pyredcache_time):
        import time
        pyredcache_time.client.set("g", "v", px=100000)
        t0 = time.monotonic()
        while pyredcache_time.client.pttl("g") == 100000:
            assert time.monotonic() - t0 < 5
"""


@pytest.mark.parametrize("mode", ["thread", "process"])
def test_flush_between_tests_keep_data_marker_factory_and_time(tmp_path: Path, mode: str) -> None:
    name = write(tmp_path, "test_flush.py", f"import os\nMODE = {mode!r}\n" + textwrap.dedent(FLUSH_MODULE))
    res = run_pytest(tmp_path, name, "--pyredcache-mode", mode)
    check(res, "8 passed")
    assert leftovers(tmp_path) == []


EXTERNAL_MODULE = """
    def test_uses_the_external_server(pyredcache_client, pyredcache_server, pyredcache_url):
        assert pyredcache_url == EXTERNAL_URL and pyredcache_server.port == EXTERNAL_PORT
        pyredcache_client.set("written-by-the-inner-run", "yes")

    def test_time_control_skips(pyredcache_time):
        raise AssertionError("not reached")

    def test_factory_skips(pyredcache_server_factory):
        raise AssertionError("not reached")

    def test_faults_skip(pyredcache_server):
        pyredcache_server.kill()
"""


@pytest.fixture
def external() -> Iterator[Server]:
    with Server(mode="thread") as server:
        yield server


@pytest.mark.parametrize("how", ["option", "env"])
def test_external_server_url(tmp_path: Path, external: Server, how: str) -> None:
    with external.client() as c:
        c.set("before", "x")
    name = write(tmp_path, "test_ext.py", f"EXTERNAL_URL = {external.url!r}\nEXTERNAL_PORT = {external.port}\n"
                 + textwrap.dedent(EXTERNAL_MODULE))
    if how == "option":
        res = run_pytest(tmp_path, name, "--pyredcache-url", external.url)
    else:
        res = run_pytest(tmp_path, name, env={"PYREDCACHE_URL": external.url})
    check(res, "1 passed, 3 skipped")
    out = res.stdout
    assert "time control needs a server started by the pyredcache plugin" in out
    assert "pyredcache_server_factory starts servers of its own" in out
    assert f"Server.kill needs a server started by the pyredcache plugin, not the external one at {external.url}" in out
    with external.client() as c:
        assert c.get("written-by-the-inner-run") == b"yes"
        assert c.get("before") is None                  # pyredcache_client flushed it first
    assert leftovers(tmp_path) == []


CLUSTER_MODULE = """
    import pytest

    def test_writes_through_the_external_cluster(pyredcache_cluster_client, pyredcache_cluster):
        assert [n.port for n in pyredcache_cluster.startup_nodes] == [EXTERNAL_PORT]
        assert pyredcache_cluster_client.dbsize() == 0    # flushed on every primary
        for i in range(50):
            pyredcache_cluster_client.set(f"inner:{i}", i)

    @pytest.mark.pyredcache_keep_data
    def test_faults_skip(pyredcache_cluster):
        pyredcache_cluster.kill(None)
"""


def test_session_cluster_fixtures_and_external_cluster_url(tmp_path: Path, pyredcache_cluster: Any,
                                                           pyredcache_cluster_client: Any) -> None:
    """This suite's own session cluster (the plugin's pyredcache_cluster), then an inner run pointed at it."""
    rc = pyredcache_cluster_client
    assert len(pyredcache_cluster.primaries()) == 3
    assert rc.dbsize() == 0
    rc.set("outer", "1")
    port = pyredcache_cluster.nodes[0].port
    name = write(tmp_path, "test_cl.py", f"EXTERNAL_PORT = {port}\n" + textwrap.dedent(CLUSTER_MODULE))
    res = run_pytest(tmp_path, name, "--pyredcache-cluster-url", f"127.0.0.1:{port}")
    check(res, "1 passed, 1 skipped")
    assert "Cluster.kill needs a cluster started by the pyredcache plugin" in res.stdout
    assert rc.get("outer") is None
    assert rc.mget_nonatomic([f"inner:{i}" for i in range(50)]) == [str(i).encode() for i in range(50)]
    assert leftovers(tmp_path) == []


@pytest.mark.pyredcache_keep_data
def test_keep_data_marker_on_the_session_cluster(pyredcache_cluster_client: Any) -> None:
    """Runs right after the test above: its keys are still there (no flush for a marked test)."""
    assert pyredcache_cluster_client.get("inner:7") == b"7"


def test_sigterm_to_pytest_still_stops_servers_and_removes_dirs(tmp_path: Path) -> None:
    """`timeout` (or CI) sends SIGTERM to pytest: the plugin turns it into an interrupt, so the session
    fixtures' teardown still stops the servers and removes their temp dirs."""
    name = write(tmp_path, "test_hang.py", """
        import os, time
        def test_hangs(pyredcache_server):
            with open("server.txt.tmp", "w") as fh:
                fh.write(f"{pyredcache_server.pid} {pyredcache_server.dir}")
            os.rename("server.txt.tmp", "server.txt")
            # Busy until the outer test's SIGTERM interrupts it (a file nobody writes; bounded at 60 s).
            deadline = time.monotonic() + 60
            while not os.path.exists("release") and time.monotonic() < deadline:
                time.sleep(0.05)
    """)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYREDCACHE_")}
    env["TMPDIR"] = str(tmp)
    proc = subprocess.Popen([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", name,
                             "--pyredcache-mode", "process"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_until(lambda: (tmp_path / "server.txt").exists(), timeout=60, message="the inner test to start")
        pid_text, server_dir = (tmp_path / "server.txt").read_text().split(" ", 1)
        assert os.path.isdir(server_dir)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert "KeyboardInterrupt" in out, out
    assert not os.path.exists(server_dir)
    assert leftovers(tmp_path) == []
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_text), 0)


def test_readme_shows_the_example_module() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "## Use it as a test fixture" in readme
    assert f"```python\n{EXAMPLE.read_text()}```" in readme
