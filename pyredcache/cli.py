"""Command-line entry points: `pyredcache-server [conf] [--directive value ...]` and `pyredcache ...`."""
from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from . import REDIS_VERSION, __version__

if TYPE_CHECKING:
    from .config import Config

USAGE = """Usage: ./pyredcache-server [/path/to/redis.conf] [options] [-]
       ./pyredcache-server - (read config from stdin)
       ./pyredcache-server -v or --version
       ./pyredcache-server -h or --help

Examples:
       ./pyredcache-server (run the server with default conf)
       ./pyredcache-server /etc/redis/6379.conf
       ./pyredcache-server --port 7777
       ./pyredcache-server /etc/myredis.conf --loglevel verbose -
       ./pyredcache-server /etc/myredis.conf --loglevel verbose
"""


def server_main(argv: list[str] | None = None) -> int:
    """Run a server in the foreground until SIGTERM/SIGINT or SHUTDOWN."""
    from .config import Config, ConfigFileError
    from .log import Logger

    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] in ("-v", "--version"):
        print(f"Redis server v={REDIS_VERSION} sha=00000000:0 malloc=libc bits=64 build=pyredcache-{__version__}")
        return 0
    if args and args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 1
    try:
        config = Config.from_args(args)
    except ConfigFileError as exc:
        if exc.logged:
            Logger().warning(str(exc))
        else:
            sys.stderr.write(exc.stderr_text)
        return 1
    log = Logger()
    log.level = config["loglevel"]
    log.logfile = config["logfile"]
    log.startup_banner(os.getpid(), config["port"], config_loaded=bool(getattr(config, "args_given", True)),
                       mode="cluster" if config["cluster-enabled"] else "standalone")
    for name in config.not_implemented_in_use():
        log.warning(f"Config directive '{name}' is accepted but not implemented yet by pyredcache; ignored.")
    if config["daemonize"]:
        _daemonize(config)
    import uvloop

    try:
        return int(uvloop.run(_serve(config, log)))
    except KeyboardInterrupt:
        return 0


def _daemonize(config: Config) -> None:
    """daemonize(): the parent returns to the shell at once; the child leaves the terminal's session and
    drops stdin/stdout/stderr. Done before the event loop and the listeners exist, as Redis does. A daemon
    without a pidfile writes Redis's default one (createPidFile)."""
    if os.fork():
        os._exit(0)
    os.setsid()
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    if null > 2:
        os.close(null)
    if not config["pidfile"]:
        config.set_internal("pidfile", "/var/run/redis.pid")


async def _serve(config: object, log: object) -> int:
    from .persistence.snapshot import RdbLoadError
    from .server.instance import Server

    server = Server(config, log)  # type: ignore[arg-type]
    try:
        await server.start()
    except RdbLoadError:
        return 1    # the reason is in the log, as redis-server's exit(1) after a failed load
    except OSError:
        # the listener already logged which address failed, as Redis does before this line
        server.log.warning(f"Failed listening on port {server.config['port']} (TCP), aborting.")
        return 1
    server.install_signal_handlers()
    pidfile = server.config["pidfile"]
    if pidfile:
        try:
            with open(pidfile, "w") as fh:
                fh.write(f"{os.getpid()}\n")
        except OSError as exc:
            server.log.warning(f"Failed to write PID file: {exc}")
    assert server.stopped is not None
    await server.stopped.wait()
    return 0


def main(argv: list[str] | None = None) -> int:
    """`pyredcache <subcommand>`: `server [args]` runs a server; `cluster ...` manages a local cluster."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print("usage: pyredcache server [redis-server arguments]\n"
              "       pyredcache cluster create|status|scale|stop [options]", file=sys.stderr)
        return 1 if not args else 0
    if args[0] == "server":
        return server_main(args[1:])
    if args[0] == "cluster":
        from .embed.cluster_cli import main as cluster_main

        return cluster_main(args[1:])
    print(f"pyredcache: unknown subcommand {args[0]!r}", file=sys.stderr)
    return 1
