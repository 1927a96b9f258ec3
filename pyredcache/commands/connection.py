"""Connection commands (group "connection"): PING ECHO QUIT RESET SELECT HELLO AUTH CLIENT *.

Handlers only touch the calling Client and the server's client registry; sockets stay in server/.
"""
from __future__ import annotations

import hmac
import time
from typing import TYPE_CHECKING

from .. import REDIS_VERSION, errors
from ..errors import ReplyError
from ..server.client import ClientFlag, ReplyMode
from ..server.output_limits import REPLY_BUFFER_BYTES, REPLY_CHUNK_BYTES, reply_list_bytes
from .args import LLONG_MAX, parse_int
from .table import command, container, subcommand
from .transactions import release_queue

if TYPE_CHECKING:
    from ..server.client import Client
    from ..server.instance import Server

_OK = b"+OK\r\n"
_INT_MIN = -(1 << 31)
_INT_MAX = (1 << 31) - 1

# CLIENT LIST/KILL TYPE names (getClientTypeByName) and the type of a client (getClientType).
TYPE_NORMAL = 0
TYPE_REPLICA = 1
TYPE_PUBSUB = 2
TYPE_MASTER = 3
_CLIENT_TYPES = {b"normal": TYPE_NORMAL, b"slave": TYPE_REPLICA, b"replica": TYPE_REPLICA,
                 b"pubsub": TYPE_PUBSUB, b"master": TYPE_MASTER}


# ------------------------------------------------------------------------------------------ PING ECHO QUIT


@command("ping", -1, "FAST SENTINEL", acl="@connection", group="connection", since="1.0.0",
         complexity="O(1)", summary="Ping the server", args="[message:string]",
         tips=("request_policy:all_shards", "response_policy:all_succeeded"))
def ping_command(c: Client, argv: list[bytes]) -> None:
    """PING [message]"""
    if len(argv) > 2:
        # pingCommand checks its own arity: the table's -1 also admits PING inside a RESP2 subscription.
        raise ReplyError(errors.wrong_arity("ping"))
    if c.resp == 2 and (c.sub_channels or c.sub_patterns or c.sub_shard_channels):
        # In RESP2 subscribed mode PING answers with a pong message array.
        c.out.array_header(2)
        c.out.bulk(b"pong")
        c.out.bulk(argv[1] if len(argv) == 2 else b"")
        return
    if len(argv) == 1:
        c.out.raw(b"+PONG\r\n")
    else:
        c.out.bulk(argv[1])


@command("echo", 2, "LOADING STALE FAST", acl="@connection", group="connection", since="1.0.0",
         complexity="O(1)", summary="Echo the given string", args="message:string")
def echo_command(c: Client, argv: list[bytes]) -> None:
    """ECHO message"""
    c.out.bulk(argv[1])


@command("quit", -1, "ALLOW_BUSY NOSCRIPT LOADING STALE FAST NO_AUTH", acl="@connection",
         group="connection", since="1.0.0", complexity="O(1)", summary="Close the connection")
def quit_command(c: Client, argv: list[bytes]) -> None:
    """QUIT"""
    c.out.raw(_OK)
    c.flags |= ClientFlag.CLOSE_AFTER_REPLY


# ------------------------------------------------------------------------------------------ SELECT RESET


@command("select", 2, "LOADING STALE FAST", acl="@connection", group="connection", since="1.0.0",
         complexity="O(1)", summary="Change the selected database for the current connection",
         args="index:integer")
def select_command(c: Client, argv: list[bytes]) -> None:
    """SELECT index"""
    index = parse_int(argv[1])
    if not _INT_MIN <= index <= _INT_MAX:   # getIntFromObjectOrReply
        raise ReplyError(errors.INT_OUT_OF_RANGE)
    if index != 0 and c.server.config["cluster-enabled"]:
        raise ReplyError(errors.SELECT_IN_CLUSTER)
    if not 0 <= index < len(c.server.dbs):
        raise ReplyError(errors.DB_INDEX_OUT_OF_RANGE)
    c.select(index)
    c.out.raw(_OK)


@command("reset", 1, "NOSCRIPT LOADING STALE FAST NO_AUTH ALLOW_BUSY", acl="@connection",
         group="connection", since="6.2.0", complexity="O(1)", summary="Reset the connection")
def reset_command(c: Client, argv: list[bytes]) -> None:
    """RESET"""
    if c.flags & (ClientFlag.REPLICA | ClientFlag.PRIMARY):
        raise ReplyError(errors.RESET_NOT_NORMAL)
    clear_connection_state(c)
    c.out.simple(b"RESET")


def clear_connection_state(c: Client) -> None:
    """clearClientConnectionState: what RESET undoes (monitor, tracking, db, protocol, auth, MULTI,
    subscriptions, name, ASKING/READONLY, CLIENT REPLY OFF). Redis 7.0.15 keeps CLIENT NO-EVICT."""
    server = c.server
    if c.flags & ClientFlag.MONITOR:
        if c in server.monitors:
            server.monitors.remove(c)
        c.flags &= ~ClientFlag.MONITOR
    for hook in server.reset_client_hooks:
        hook(c)
    c.select(0)
    c.set_resp(2)
    c.user = "default"
    server.set_authenticated(c, not server.requires_auth())
    release_queue(c)
    c.watched = None
    c.name = b""
    c.flags &= ~(ClientFlag.MULTI | ClientFlag.DIRTY_EXEC | ClientFlag.ASKING | ClientFlag.READONLY
                 | ClientFlag.PUBSUB)
    # REPLY OFF and a pending SKIP are cleared; a SKIP that covers this very RESET still drops +RESET.
    if c.reply_mode != ReplyMode.SKIP:
        c.reply_mode = ReplyMode.ON


# ------------------------------------------------------------------------------------------ AUTH HELLO


def check_password(server: Server, username: bytes, password: bytes) -> bool:
    """ACLAuthenticateUser for the one user we have: `default`, protected by requirepass (nopass if unset)."""
    if username != b"default":
        return False
    required = server.config["requirepass"]
    if not required:
        return True
    expected = required.encode() if isinstance(required, str) else bytes(required)
    return hmac.compare_digest(expected, password)


def authenticate(c: Client, username: bytes, password: bytes) -> None:
    """Log the client in as `username`, or raise WRONGPASS (leaving its current login as it was)."""
    if not check_password(c.server, username, password):
        raise ReplyError(errors.WRONGPASS)
    c.user = username.decode()
    c.server.set_authenticated(c, True)


@command("auth", -2, "NOSCRIPT LOADING STALE FAST NO_AUTH ALLOW_BUSY", acl="@connection",
         group="connection", since="1.0.0",
         complexity="O(N) where N is the number of passwords defined for the user",
         summary="Authenticate to the server", args="[username:string]<6.0.0> password:string",
         history=(("6.0.0", "Added ACL style (username and password)."),))
def auth_command(c: Client, argv: list[bytes]) -> None:
    """AUTH [username] password"""
    if len(argv) > 3:
        raise ReplyError(errors.SYNTAX)
    if len(argv) == 2:
        if not c.server.requires_auth():
            raise ReplyError(errors.AUTH_NOT_CONFIGURED)
        authenticate(c, b"default", argv[1])
    else:
        authenticate(c, argv[1], argv[2])
    c.out.raw(_OK)


@command("hello", -1, "NOSCRIPT LOADING STALE FAST NO_AUTH ALLOW_BUSY", acl="@connection",
         group="connection", since="6.0.0", complexity="O(1)", summary="Handshake with Redis",
         args="[arguments:{protover:integer [username_password:AUTH={username:string password:string}] "
              "[clientname:SETNAME=string]}]",
         history=(("6.2.0", "`protover` made optional; when called without arguments the command reports "
                            "the current connection's context."),))
def hello_command(c: Client, argv: list[bytes]) -> None:
    """HELLO [protover [AUTH username password] [SETNAME clientname]]"""
    argc = len(argv)
    ver = 0
    if argc >= 2:
        ver = parse_int(argv[1], errors.PROTOVER_NOT_INTEGER)
        if ver < 2 or ver > 3:
            raise ReplyError(errors.NOPROTO)
    # Redis 7.0 applies each option as it parses it: a later bad option leaves earlier ones done.
    j = 2
    while j < argc:
        opt = argv[j].lower()
        more = argc - 1 - j
        if opt == b"auth" and more >= 2:
            authenticate(c, argv[j + 1], argv[j + 2])
            j += 3
        elif opt == b"setname" and more:
            name = argv[j + 1]
            if not valid_client_name(name):
                raise ReplyError(errors.CLIENT_NAME_INVALID)
            c.name = name
            j += 2
        else:
            raise ReplyError(errors.hello_syntax(argv[j]))
    if not c.authenticated:
        raise ReplyError(errors.HELLO_NOAUTH)
    if ver:
        c.set_resp(ver)
    server = c.server
    out = c.out
    out.map_header(7)
    out.bulk(b"server")
    out.bulk(b"redis")
    out.bulk(b"version")
    out.bulk(REDIS_VERSION)
    out.bulk(b"proto")
    out.integer(c.resp)
    out.bulk(b"id")
    out.integer(c.id)
    out.bulk(b"mode")
    out.bulk(b"cluster" if server.config["cluster-enabled"] else b"standalone")
    out.bulk(b"role")
    out.bulk(b"master" if server.role == "master" else b"replica")
    out.bulk(b"modules")
    out.array_header(0)


# ------------------------------------------------------------------------------------------ CLIENT


def valid_client_name(name: bytes) -> bool:
    """validateClientName: printable ASCII without spaces ('!'..'~'); empty clears the name."""
    return all(33 <= ch <= 126 for ch in name)


def client_type(c: Client) -> int:
    """getClientType (MONITOR clients count as normal)."""
    flags = c.flags
    if flags & ClientFlag.PRIMARY:
        return TYPE_MASTER
    if flags & ClientFlag.REPLICA and not flags & ClientFlag.MONITOR:
        return TYPE_REPLICA
    if flags & ClientFlag.PUBSUB or c.sub_channels or c.sub_patterns or c.sub_shard_channels:
        return TYPE_PUBSUB
    return TYPE_NORMAL


def _parse_client_type(name: bytes) -> int:
    kind = _CLIENT_TYPES.get(name.lower())
    if kind is None:
        raise ReplyError(errors.unknown_client_type(name))
    return kind


def _client_flags(c: Client) -> str:
    """The flags= letters, in catClientInfoString's order."""
    f = c.flags
    out = ""
    if f & ClientFlag.MONITOR:
        out += "O"
    elif f & ClientFlag.REPLICA:
        out += "S"
    if f & ClientFlag.PRIMARY:
        out += "M"
    if f & ClientFlag.PUBSUB or c.sub_channels or c.sub_patterns or c.sub_shard_channels:
        out += "P"
    if f & ClientFlag.MULTI:
        out += "x"
    conn = c.conn
    if f & ClientFlag.BLOCKED or c.blocked is not None or (conn is not None and conn.deferred is not None):
        out += "b"   # BLPOP & co. and clients held by CLIENT PAUSE (Redis: BLOCKED_POSTPONE)
    dirty_cas = getattr(ClientFlag, "DIRTY_CAS", 0)
    if dirty_cas and f & dirty_cas:
        out += "d"
    if f & ClientFlag.CLOSE_AFTER_REPLY:
        out += "c"
    if f & ClientFlag.CLOSE_ASAP:
        out += "A"
    if f & ClientFlag.READONLY:
        out += "r"
    if f & ClientFlag.NO_EVICT:
        out += "e"
    return out or "N"


def _multi_mem(c: Client) -> int:
    # queueMultiCommand adds each queued command's argument bytes plus one pointer per argument.
    queue = c.multi_queue
    if not queue:
        return 0
    return sum(sum(len(a) for a in qargv) + 8 * len(qargv) for _, qargv in queue)


def client_info_line(c: Client, argv: list[bytes] | None = None) -> str:
    """One CLIENT LIST / CLIENT INFO line, fields in Redis 7.0's order (catClientInfoString).

    `argv` is the request being executed when the line describes the calling client (argv-mem).
    Sizes are ours: qbuf is what the parser holds; the unsent output (reply buffer plus transport buffer)
    is counted as Redis would hold it: obl is the reply being built (up to 16 KiB), omem/oll what lies
    beyond a 16 KiB static buffer, in 16 KiB blocks (the number client-output-buffer-limit compares).
    Redis's fixed allocations (qbuf-free, rbs) have no equivalent.
    """
    now = time.monotonic()
    conn = c.conn
    qbuf = c.parser.pending_bytes() if c.parser is not None else 0
    argv_mem = sum(len(a) for a in argv) if argv is not None else c.argv_len_sum
    multi_mem = _multi_mem(c)
    obl = min(len(c.out), REPLY_BUFFER_BYTES)
    pending = len(c.out)
    events = ""
    transport = getattr(conn, "transport", None)
    if transport is not None and not getattr(conn, "closed", False):
        unsent = transport.get_write_buffer_size()
        pending += unsent
        events = "rw" if unsent else "r"
    omem = reply_list_bytes(pending)
    oll = omem // REPLY_CHUNK_BYTES
    multi = len(c.multi_queue or ()) if c.flags & ClientFlag.MULTI else -1
    return (
        f"id={c.id} addr={c.addr} laddr={c.laddr} fd={c.fd} name={c.name.decode('latin-1')} "
        f"age={int(now - c.ctime)} idle={int(now - c.last_interaction)} flags={_client_flags(c)} "
        f"db={c.db.id} sub={len(c.sub_channels)} psub={len(c.sub_patterns)} ssub={len(c.sub_shard_channels)} "
        f"multi={multi} qbuf={qbuf} qbuf-free=0 argv-mem={argv_mem} multi-mem={multi_mem} rbs=1024 rbp=0 "
        f"obl={obl} oll={oll} omem={omem} tot-mem={qbuf + argv_mem + multi_mem + obl + omem} events={events} "
        f"cmd={c.last_cmd.decode('latin-1')} user={c.user} redir=-1 resp={c.resp}"
    )


CLIENT_HELP = (
    b"CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    b"CACHING (YES|NO)",
    b"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    b"GETREDIR",
    b"    Return the client ID we are redirecting to when tracking is enabled.",
    b"GETNAME",
    b"    Return the name of the current connection.",
    b"ID",
    b"    Return the ID of the current connection.",
    b"INFO",
    b"    Return information about the current client connection.",
    b"KILL <ip:port>",
    b"    Kill connection made from <ip:port>.",
    b"KILL <option> <value> [<option> <value> [...]]",
    b"    Kill connections. Options are:",
    b"    * ADDR (<ip:port>|<unixsocket>:0)",
    b"      Kill connections made from the specified address",
    b"    * LADDR (<ip:port>|<unixsocket>:0)",
    b"      Kill connections made to specified local address",
    b"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    b"      Kill connections by type.",
    b"    * USER <username>",
    b"      Kill connections authenticated by <username>.",
    b"    * SKIPME (YES|NO)",
    b"      Skip killing current connection (default: yes).",
    b"LIST [options ...]",
    b"    Return information about client connections. Options:",
    b"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    b"      Return clients of specified type.",
    b"UNPAUSE",
    b"    Stop the current client pause, resuming traffic.",
    b"PAUSE <timeout> [WRITE|ALL]",
    b"    Suspend all, or just write, clients for <timeout> milliseconds.",
    b"REPLY (ON|OFF|SKIP)",
    b"    Control the replies sent to the current connection.",
    b"SETNAME <name>",
    b"    Assign the name <name> to the current connection.",
    b"UNBLOCK <clientid> [TIMEOUT|ERROR]",
    b"    Unblock the specified blocked client.",
    b"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    b"         [OPTIN] [OPTOUT] [NOLOOP]",
    b"    Control server assisted client side caching.",
    b"TRACKINGINFO",
    b"    Report tracking status for the current connection.",
    b"NO-EVICT (ON|OFF)",
    b"    Protect current client connection from eviction.",
    b"HELP",
    b"    Prints this help.",
)
_CLIENT_HELP_REPLY = b"*%d\r\n" % len(CLIENT_HELP) + b"".join(b"+" + line + b"\r\n" for line in CLIENT_HELP)

container("client", -2, "", group="connection", since="2.4.0", complexity="Depends on subcommand.",
          summary="A container for client connection commands")

_SUB_FLAGS = "NOSCRIPT LOADING STALE"
_ADMIN_FLAGS = "ADMIN NOSCRIPT LOADING STALE"


@subcommand("client", "help", 2, "LOADING STALE", acl="@connection", since="5.0.0", complexity="O(1)",
            summary="Show helpful text about the different subcommands")
def client_help_command(c: Client, argv: list[bytes]) -> None:
    """CLIENT HELP"""
    c.out.raw(_CLIENT_HELP_REPLY)


@subcommand("client", "id", 2, _SUB_FLAGS, acl="@connection", since="5.0.0", complexity="O(1)",
            summary="Returns the client ID for the current connection")
def client_id_command(c: Client, argv: list[bytes]) -> None:
    """CLIENT ID"""
    c.out.integer(c.id)


@subcommand("client", "setname", 3, _SUB_FLAGS, acl="@connection", since="2.6.9", complexity="O(1)",
            summary="Set the current connection name", args="connection-name:string")
def client_setname_command(c: Client, argv: list[bytes]) -> None:
    """CLIENT SETNAME connection-name"""
    name = argv[2]
    if not valid_client_name(name):
        raise ReplyError(errors.CLIENT_NAME_INVALID)
    c.name = name
    c.out.raw(_OK)


@subcommand("client", "getname", 2, _SUB_FLAGS, acl="@connection", since="2.6.9", complexity="O(1)",
            summary="Get the current connection name")
def client_getname_command(c: Client, argv: list[bytes]) -> None:
    """CLIENT GETNAME"""
    if c.name:
        c.out.bulk(c.name)
    else:
        c.out.null()


@subcommand("client", "info", 2, _SUB_FLAGS, acl="@connection", since="6.2.0", complexity="O(1)",
            summary="Returns information about the current client connection.",
            tips=("nondeterministic_output",))
def client_info_command(c: Client, argv: list[bytes]) -> None:
    """CLIENT INFO"""
    c.last_cmd = b"client|info"   # Redis sets lastcmd before running the command
    c.out.verbatim((client_info_line(c, argv) + "\n").encode())


@subcommand("client", "list", -2, _ADMIN_FLAGS, acl="@connection", since="2.4.0",
            complexity="O(N) where N is the number of client connections",
            summary="Get the list of client connections",
            args="[normal_master_replica_pubsub:TYPE={normal:NORMAL|master:MASTER|replica:REPLICA|pubsub:PUBSUB}]"
                 "<5.0.0> [id:ID={client-id:integer...}]<6.2.0>",
            history=(("2.8.12", "Added unique client `id` field."),
                     ("5.0.0", "Added optional `TYPE` filter."),
                     ("6.0.0", "Added `user` field."),
                     ("6.2.0", "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` "
                               "filter."),
                     ("7.0.0", "Added `resp`, `multi-mem`, `rbs` and `rbp` fields."),
                     ("7.0.3", "Added `ssub` field.")),
            tips=("nondeterministic_output",))
def client_list_command(c: Client, argv: list[bytes]) -> None:
    """CLIENT LIST [TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]"""
    argc = len(argv)
    clients = c.server.clients
    c.last_cmd = b"client|list"
    if argc == 4 and argv[2].lower() == b"type":
        kind = _parse_client_type(argv[3])
        selected = [cl for cl in clients.values() if client_type(cl) == kind]
    elif argc > 3 and argv[2].lower() == b"id":
        selected = []
        for raw in argv[3:]:
            cl = clients.get(parse_int(raw, errors.INVALID_CLIENT_ID))
            if cl is not None:
                selected.append(cl)
    elif argc != 2:
        raise ReplyError(errors.SYNTAX)
    else:
        selected = list(clients.values())
    text = "".join(client_info_line(cl, argv if cl is c else None) + "\n" for cl in selected)
    c.out.verbatim(text.encode())


@subcommand("client", "kill", -3, _ADMIN_FLAGS, acl="@connection", since="2.4.0",
            complexity="O(N) where N is the number of client connections",
            summary="Kill the connection of a client",
            # Redis 7.0.15 documents the new form as a repeated oneof of optional filters.
            args="filter:{ip:port:string<,2.8.12>|new-format:{[client-id:ID=integer]<2.8.12>|"
                 "[normal_master_slave_pubsub:TYPE={normal:NORMAL|master:MASTER<3.2.0>|slave:SLAVE|"
                 "replica:REPLICA<5.0.0>|pubsub:PUBSUB}]<2.8.12>|[username:USER=string]|[ip:port:ADDR=string]|"
                 "[ip:port:LADDR=string]<6.2.0>|[yes/no:SKIPME=string]}...}",
            history=(("2.8.12", "Added new filter format."),
                     ("2.8.12", "`ID` option."),
                     ("3.2.0", "Added `master` type in for `TYPE` option."),
                     ("5.0.0", "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward "
                               "compatibility."),
                     ("6.2.0", "`LADDR` option.")))
def client_kill_command(c: Client, argv: list[bytes]) -> None:
    """CLIENT KILL ip:port | CLIENT KILL [ID id] [TYPE type] [USER user] [ADDR ip:port] [LADDR ip:port]
    [SKIPME yes|no] ..."""
    argc = len(argv)
    addr: str | None = None
    laddr: str | None = None
    kind = -1
    client_id = 0
    user: str | None = None
    skipme = True
    if argc == 3:
        addr = argv[2].decode("latin-1")
        skipme = False   # the old form may kill the caller
    else:
        i = 2
        while i < argc:
            opt = argv[i].lower()
            if i + 1 >= argc:
                raise ReplyError(errors.SYNTAX)
            value = argv[i + 1]
            if opt == b"id":
                try:
                    client_id = parse_int(value)
                except ReplyError:
                    raise ReplyError(errors.CLIENT_ID_NOT_POSITIVE) from None
                if client_id < 1:
                    raise ReplyError(errors.CLIENT_ID_NOT_POSITIVE)
            elif opt == b"type":
                kind = _parse_client_type(value)
            elif opt == b"addr":
                addr = value.decode("latin-1")
            elif opt == b"laddr":
                laddr = value.decode("latin-1")
            elif opt == b"user":
                if value != b"default":   # the only user until ACLs exist
                    raise ReplyError(errors.no_such_user(value))
                user = "default"
            elif opt == b"skipme":
                low = value.lower()
                if low == b"yes":
                    skipme = True
                elif low == b"no":
                    skipme = False
                else:
                    raise ReplyError(errors.SYNTAX)
            else:
                raise ReplyError(errors.SYNTAX)
            i += 2
    server = c.server
    killed = 0
    close_self = False
    for cl in list(server.clients.values()):
        if addr is not None and cl.addr != addr:
            continue
        if laddr is not None and cl.laddr != laddr:
            continue
        if kind != -1 and client_type(cl) != kind:
            continue
        if client_id and cl.id != client_id:
            continue
        if user is not None and cl.user != user:
            continue
        if cl is c:
            if skipme:
                continue
            close_self = True
        else:
            kill_client(server, cl)
        killed += 1
    if argc == 3:
        if not killed:
            raise ReplyError(errors.UNKNOWN_CLIENT)
        c.out.raw(_OK)
    else:
        c.out.integer(killed)
    if close_self:
        c.flags |= ClientFlag.CLOSE_AFTER_REPLY   # after the reply above is queued


def kill_client(server: Server, target: Client) -> None:
    """freeClient for another connection: it disappears from the registry now, its socket closes."""
    target.flags |= ClientFlag.CLOSE_ASAP
    target.close()
    server.free_client(target)


@subcommand("client", "reply", 3, _SUB_FLAGS, acl="@connection", since="3.2.0", complexity="O(1)",
            summary="Instruct the server whether to reply to commands",
            args="on_off_skip:{on:ON|off:OFF|skip:SKIP}")
def client_reply_command(c: Client, argv: list[bytes]) -> None:
    """CLIENT REPLY ON|OFF|SKIP"""
    mode = argv[2].lower()
    if mode == b"on":
        c.reply_mode = ReplyMode.ON
        c.out.raw(_OK)
    elif mode == b"off":
        c.reply_mode = ReplyMode.OFF
    elif mode == b"skip":
        if c.reply_mode != ReplyMode.OFF:
            c.reply_mode = ReplyMode.SKIP_NEXT
    else:
        raise ReplyError(errors.SYNTAX)


@subcommand("client", "no-evict", 3, _ADMIN_FLAGS, acl="@connection", since="7.0.0", complexity="O(1)",
            summary="Set client eviction mode for the current connection",
            args="enabled:{on:ON|off:OFF}")
def client_no_evict_command(c: Client, argv: list[bytes]) -> None:
    """CLIENT NO-EVICT ON|OFF"""
    mode = argv[2].lower()
    if mode == b"on":
        c.flags |= ClientFlag.NO_EVICT
    elif mode == b"off":
        c.flags &= ~ClientFlag.NO_EVICT
    else:
        raise ReplyError(errors.SYNTAX)
    c.out.raw(_OK)


@subcommand("client", "pause", -3, _ADMIN_FLAGS, acl="@connection", since="2.9.50", complexity="O(1)",
            summary="Stop processing commands from clients for some time",
            args="timeout:integer [mode:{write:WRITE|all:ALL}]<6.2.0>",
            history=(("6.2.0", "`CLIENT PAUSE WRITE` mode added along with the `mode` option."),))
def client_pause_command(c: Client, argv: list[bytes]) -> None:
    """CLIENT PAUSE timeout [WRITE|ALL]"""
    argc = len(argv)
    if argc > 4:
        raise ReplyError(errors.subcommand_syntax(argv[1], argv[0]))
    pause_all = True
    if argc == 4:   # the mode is checked before the timeout
        mode = argv[3].lower()
        if mode == b"write":
            pause_all = False
        elif mode != b"all":
            raise ReplyError(errors.PAUSE_MODE)
    timeout_ms = parse_int(argv[2], errors.TIMEOUT_NOT_INTEGER)
    if timeout_ms < 0:
        raise ReplyError(errors.TIMEOUT_NEGATIVE)
    server = c.server
    if timeout_ms and timeout_ms > LLONG_MAX - server.clock.now_ms():
        # Redis adds mstime() in a signed 64-bit value: the wrapped deadline lies in the past, so only the
        # pause type may change, for the rest of a pause already running.
        timeout_ms = 0
    server.pause(timeout_ms / 1000.0, pause_all)
    c.out.raw(_OK)


@subcommand("client", "unpause", 2, _ADMIN_FLAGS, acl="@connection", since="6.2.0",
            complexity="O(N) Where N is the number of paused clients",
            summary="Resume processing of clients that were paused")
def client_unpause_command(c: Client, argv: list[bytes]) -> None:
    """CLIENT UNPAUSE"""
    c.server.unpause()
    c.out.raw(_OK)


@subcommand("client", "unblock", -3, _ADMIN_FLAGS, acl="@connection", since="5.0.0",
            complexity="O(log N) where N is the number of client connections",
            summary="Unblock a client blocked in a blocking command from a different connection",
            args="client-id:integer [timeout_error:{timeout:TIMEOUT|error:ERROR}]")
def client_unblock_command(c: Client, argv: list[bytes]) -> None:
    """CLIENT UNBLOCK client-id [TIMEOUT|ERROR]"""
    if len(argv) > 4:
        raise ReplyError(errors.subcommand_syntax(argv[1], argv[0]))
    error = False
    if len(argv) == 4:
        reason = argv[3].lower()
        if reason == b"error":
            error = True
        elif reason != b"timeout":
            raise ReplyError(errors.CLIENT_UNBLOCK_REASON)
    client_id = parse_int(argv[2])
    target = c.server.clients.get(client_id)
    blocking = getattr(c.server, "blocking", None)
    done = target is not None and blocking is not None and blocking.unblock_by_request(target, error)
    c.out.integer(1 if done else 0)
