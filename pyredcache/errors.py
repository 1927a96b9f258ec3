"""The error catalogue: exceptions the server raises and every Redis error text as a constant or formatter.

Texts are Redis 7.0.15's, without the leading '-' and the trailing CRLF (the reply writer adds them).
"""
from __future__ import annotations

from typing import Final


class ReplyError(Exception):
    """A command failed: the message becomes an error reply and the connection stays open."""

    def __init__(self, message: str | bytes) -> None:
        if isinstance(message, str):
            message = message.encode()
        super().__init__(message)
        self.message: bytes = message


class ProtocolError(Exception):
    """The client sent bytes that are not a valid request: reply with the message, then close."""

    def __init__(self, message: str | bytes) -> None:
        if isinstance(message, str):
            message = message.encode()
        super().__init__(message)
        self.message: bytes = message


class WrongTypeError(ReplyError):
    """Raised by the keyspace's typed getters (installed as Context.wrongtype)."""

    def __init__(self) -> None:
        super().__init__(WRONGTYPE)


WRONGTYPE: Final = "WRONGTYPE Operation against a key holding the wrong kind of value"
SYNTAX: Final = "ERR syntax error"
NOT_INTEGER: Final = "ERR value is not an integer or out of range"
NOT_FLOAT: Final = "ERR value is not a valid float"
OVERFLOW: Final = "ERR increment or decrement would overflow"
INCR_NAN_OR_INF: Final = "ERR increment would produce NaN or Infinity"
NO_SUCH_KEY: Final = "ERR no such key"
OUT_OF_RANGE: Final = "ERR index out of range"
DB_INDEX_OUT_OF_RANGE: Final = "ERR DB index is out of range"
INVALID_DB_INDEX: Final = "ERR invalid DB index"
SAME_OBJECT: Final = "ERR source and destination objects are the same"
NOAUTH: Final = "NOAUTH Authentication required."
WRONGPASS: Final = "WRONGPASS invalid username-password pair or user is disabled."
AUTH_NOT_CONFIGURED: Final = (
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?"
)
STRING_TOO_LONG: Final = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
OFFSET_OUT_OF_RANGE: Final = "ERR offset is out of range"
TIMEOUT_NOT_FLOAT: Final = "ERR timeout is not a float or out of range"
TIMEOUT_NEGATIVE: Final = "ERR timeout is negative"
PROTOCOL_ERROR_PREFIX: Final = "ERR Protocol error: "
MULTI_NESTED: Final = "ERR MULTI calls can not be nested"
NOT_ALLOWED_IN_MULTI: Final = "ERR Command not allowed inside a transaction"
# Transactions (multi.c)
EXEC_WITHOUT_MULTI: Final = "ERR EXEC without MULTI"
DISCARD_WITHOUT_MULTI: Final = "ERR DISCARD without MULTI"
WATCH_INSIDE_MULTI: Final = "ERR WATCH inside MULTI is not allowed"
EXECABORT: Final = "EXECABORT Transaction discarded because of previous errors."
NOT_IN_CLUSTER_MODE: Final = "ERR This instance has cluster support disabled"
SELECT_IN_CLUSTER: Final = "ERR SELECT is not allowed in cluster mode"
UNKNOWN_CLIENT: Final = "ERR No such client"
# Generic keyspace commands (db.c, expire.c, object.c)
INVALID_CURSOR: Final = "ERR invalid cursor"
INVALID_FIRST_DB_INDEX: Final = "ERR invalid first DB index"
INVALID_SECOND_DB_INDEX: Final = "ERR invalid second DB index"
INT_OUT_OF_RANGE: Final = "ERR value is out of range, value must between -2147483648 and 2147483647"
EXPIRE_NX_AND_OTHERS: Final = "ERR NX and XX, GT or LT options at the same time are not compatible"
EXPIRE_GT_AND_LT: Final = "ERR GT and LT options at the same time are not compatible"
MOVE_IN_CLUSTER: Final = "ERR MOVE is not allowed in cluster mode"
SWAPDB_IN_CLUSTER: Final = "ERR SWAPDB is not allowed in cluster mode"
COPY_DB_IN_CLUSTER: Final = "ERR Copying to another database is not allowed in cluster mode"
LFU_NOT_SELECTED: Final = (
    "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
    "switching between policies at runtime LRU and LFU data will take some time to adjust."
)
LFU_SELECTED: Final = (
    "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching "
    "between policies at runtime LRU and LFU data will take some time to adjust."
)
# String commands (t_string.c)
DECREMENT_OVERFLOW: Final = "ERR decrement would overflow"
LCS_NOT_STRINGS: Final = "ERR The specified keys must contain string values"
LCS_IDX_AND_LEN: Final = "ERR If you want both the length and indexes, please just use IDX."
LCS_TOO_MUCH_MEMORY: Final = "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
# Bitmap commands (bitops.c)
BIT_OFFSET: Final = "ERR bit offset is not an integer or out of range"
BIT_VALUE: Final = "ERR bit is not an integer or out of range"
BIT_ARGUMENT: Final = "ERR The bit argument must be 1 or 0."
BITOP_NOT_ONE_KEY: Final = "ERR BITOP NOT must be called with a single source key."
BITFIELD_TYPE: Final = (
    "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
)
BITFIELD_OVERFLOW_TYPE: Final = "ERR Invalid OVERFLOW type specified"
BITFIELD_RO_ONLY_GET: Final = "ERR BITFIELD_RO only supports the GET subcommand"
# Hash commands (t_hash.c); the count range errors are shared by HRANDFIELD/SRANDMEMBER/ZRANDMEMBER
HASH_VALUE_NOT_INTEGER: Final = "ERR hash value is not an integer"
HASH_VALUE_NOT_FLOAT: Final = "ERR hash value is not a float"
VALUE_NAN_OR_INF: Final = "ERR value is NaN or Infinity"
VALUE_OUT_OF_RANGE: Final = "ERR value is out of range"
COUNT_NOT_IN_LONG_RANGE: Final = (
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
)


# Server commands (server.c, config.c, debug.c, slowlog.c, object.c)
NO_CONFIG_FILE: Final = "ERR The server is running without a config file"
NO_SHUTDOWN_IN_PROGRESS: Final = "ERR No shutdown in progress."
SHUTDOWN_ERRORS: Final = "ERR Errors trying to SHUTDOWN. Check logs."
SLOWLOG_COUNT: Final = "ERR count should be greater than or equal to -1"
MONITOR_DENY_BLOCKING: Final = "ERR MONITOR isn't allowed for DENY BLOCKING client"
MUST_BE_POSITIVE: Final = "ERR value is out of range, must be positive"
RESP2_NOT_SUPPORTED: Final = "ERR RESP2 is not supported by this command"
DEBUG_PROTOCOL_TYPES: Final = (
    "ERR Wrong protocol type name. Please use one of the following: "
    "string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"
)

def wrong_arity(fullname: str) -> str:
    return f"ERR wrong number of arguments for '{fullname}' command"


def invalid_expire(command: str) -> str:
    return f"ERR invalid expire time in '{command}' command"


def unsupported_option(option: bytes) -> bytes:
    # expire.c parseExtendedExpireArgumentsOrReply prints the option with %s: cut at a NUL, no newlines.
    text = option.split(b"\x00", 1)[0].replace(b"\r", b" ").replace(b"\n", b" ")
    return b"ERR Unsupported option " + text


def unknown_subcommand(sub: bytes, container: str) -> str:
    return f"ERR unknown subcommand '{_trunc(sub, 128)}'. Try {container.upper()} HELP."


def unknown_command(argv: list[bytes]) -> str:
    # Redis stops adding arguments once 128 characters of them have been written.
    args = ""
    for arg in argv[1:]:
        if len(args) >= 128:
            break
        args += f"'{_trunc(arg, 128 - len(args))}' "
    return _no_newlines(f"ERR unknown command '{_trunc(argv[0], 128)}', with args beginning with: {args}")


def _no_newlines(text: str) -> str:
    # rejectCommandFormat replaces CR/LF so the error stays a single protocol line.
    return text.replace("\r", " ").replace("\n", " ")


def _trunc(raw: bytes, limit: int) -> str:
    # Redis prints with %.128s: bytes after a NUL would be dropped, and it sanitizes nothing else.
    text = raw[:limit].split(b"\x00", 1)[0]
    return text.decode("utf-8", "replace")


def encode(message: str | bytes) -> bytes:
    """A complete RESP error reply for a message."""
    if isinstance(message, str):
        message = message.encode()
    return b"-" + message + b"\r\n"


def command_not_allowed(command: str, option: str) -> str:
    """A protected command (DEBUG, MODULE) refused by its enable-*-command setting."""
    return (f"ERR {command} command not allowed. If the {option} option is set to \"local\", you can run it "
            "from a local connection, otherwise you need to set this option in the configuration file, and then "
            "restart the server.")


def subcommand_syntax(sub: bytes, command: bytes) -> str:
    """addReplySubcommandSyntaxError: a known container with an unknown form of subcommand."""
    return _no_newlines(f"ERR unknown subcommand or wrong number of arguments for '{_trunc(sub, 128)}'. "
                        f"Try {command.decode('utf-8', 'replace').upper()} HELP.")


# Connection commands (networking.c clientCommand, server.c helloCommand, acl.c authCommand)
PROTOVER_NOT_INTEGER: Final = "ERR Protocol version is not an integer or out of range"
NOPROTO: Final = "NOPROTO unsupported protocol version"
HELLO_NOAUTH: Final = (
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> "
    "option can be used to authenticate the client and select the RESP protocol version at the same time"
)
CLIENT_NAME_INVALID: Final = "ERR Client names cannot contain spaces, newlines or special characters."
CLIENT_ID_NOT_POSITIVE: Final = "ERR client-id should be greater than 0"
CLIENT_UNBLOCK_REASON: Final = "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
INVALID_CLIENT_ID: Final = "ERR Invalid client ID"
PAUSE_MODE: Final = "ERR CLIENT PAUSE mode must be WRITE or ALL"
TIMEOUT_NOT_INTEGER: Final = "ERR timeout is not an integer or out of range"
RESET_NOT_NORMAL: Final = "ERR can only reset normal client connections"
UNAUTH_BULK_LENGTH: Final = "ERR Protocol error: unauthenticated bulk length"
UNAUTH_MULTIBULK_LENGTH: Final = "ERR Protocol error: unauthenticated multibulk length"


def hello_syntax(option: bytes) -> str:
    return _no_newlines(f"ERR Syntax error in HELLO option '{_trunc(option, len(option))}'")


def unknown_client_type(name: bytes) -> str:
    return _no_newlines(f"ERR Unknown client type '{_trunc(name, len(name))}'")


def no_such_user(name: bytes) -> str:
    return _no_newlines(f"ERR No such user '{_trunc(name, len(name))}'")


# List commands (t_list.c)
LPOS_RANK_ZERO: Final = (
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
    "or use negative to start from the end of the list"
)
LPOS_COUNT_NEGATIVE: Final = "ERR COUNT can't be negative"
LPOS_MAXLEN_NEGATIVE: Final = "ERR MAXLEN can't be negative"
NUMKEYS_NOT_POSITIVE: Final = "ERR numkeys should be greater than 0"
COUNT_NOT_POSITIVE: Final = "ERR count should be greater than 0"

# Set commands (t_set.c)
NUMKEYS_EXCEED_ARGS: Final = "ERR Number of keys can't be greater than number of args"
LIMIT_NEGATIVE: Final = "ERR LIMIT can't be negative"

# HyperLogLog commands (hyperloglog.c)
HLL_NOT_VALID: Final = "WRONGTYPE Key is not a valid HyperLogLog string value."
HLL_CORRUPTED: Final = "INVALIDOBJ Corrupted HLL object detected"
PFDEBUG_NO_KEY: Final = "ERR The specified key does not exist"
PFDEBUG_NOT_SPARSE: Final = "ERR HLL encoding is not sparse"


def pfdebug_unknown_subcommand(sub: bytes) -> bytes:
    # addReplyErrorFormat with %s: the C string ends at a NUL; CR/LF become spaces.
    text = sub.split(b"\x00", 1)[0].replace(b"\r", b" ").replace(b"\n", b" ")
    return b"ERR Unknown PFDEBUG subcommand '" + text + b"'"


# Sorted-set commands over several keys (t_zset.c zunionInterDiffGenericCommand)
WEIGHT_NOT_FLOAT: Final = "ERR weight value is not a float"


def at_least_one_input_key(command: str) -> str:
    return f"ERR at least 1 input key is needed for '{command}' command"


# Sorted-set commands (t_zset.c)
ZSET_MIN_MAX_NOT_FLOAT: Final = "ERR min or max is not a float"
ZSET_LEX_RANGE: Final = "ERR min or max not valid string range item"
ZADD_XX_AND_NX: Final = "ERR XX and NX options at the same time are not compatible"
ZADD_GT_LT_NX: Final = "ERR GT, LT, and/or NX options at the same time are not compatible"
ZADD_INCR_PAIRS: Final = "ERR INCR option supports a single increment-element pair"
ZSET_SCORE_NAN: Final = "ERR resulting score is not a number (NaN)"
ZRANGE_LIMIT_NEEDS_BY: Final = (
    "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
)
ZRANGE_BYLEX_WITHSCORES: Final = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"


# Scripting (eval.c, script.c, script_lua.c)
BUSY_SCRIPT: Final = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
NOT_BUSY: Final = "NOTBUSY No scripts in execution right now."
UNKILLABLE: Final = (
    "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the "
    "script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
)
NOSCRIPT: Final = "NOSCRIPT No matching script. Please use EVAL."
SCRIPT_KEYS_NEGATIVE: Final = "ERR Number of keys can't be negative"
SCRIPT_KEYS_TOO_MANY: Final = "ERR Number of keys can't be greater than number of args"
SCRIPT_WRITE_FLAG_RO: Final = "ERR Can not execute a script with write flag using *_ro command."
SCRIPT_FLUSH_OPTION: Final = "ERR SCRIPT FLUSH only support SYNC|ASYNC option"
SCRIPT_COMPILE_PREFIX: Final = "ERR Error compiling script (new function): "
SCRIPT_UNKNOWN_COMMAND: Final = "ERR Unknown Redis command called from script"
SCRIPT_WRONG_ARITY: Final = "ERR Wrong number of args calling Redis command from script"
SCRIPT_NOT_ALLOWED: Final = "ERR This Redis command is not allowed from script"
SCRIPT_READ_ONLY: Final = "ERR Write commands are not allowed from read-only scripts."
OOM: Final = "OOM command not allowed when used memory > 'maxmemory'."
SCRIPT_OOM: Final = "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'"
DUMP_BAD: Final = "ERR DUMP payload version or checksum are wrong"
BAD_DATA_FORMAT: Final = "ERR Bad data format"
BUSYKEY: Final = "BUSYKEY Target key name already exists."
INVALID_TTL: Final = "ERR Invalid TTL value, must be >= 0"
INVALID_IDLETIME: Final = "ERR Invalid IDLETIME value, must be >= 0"
INVALID_FREQ: Final = "ERR Invalid FREQ value, must be >= 0 and <= 255"
MISCONF: Final = (
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that "
    "may modify the data set are disabled, because this instance is configured to report errors during writes if "
    "RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the "
    "RDB error.")

# Replica side (replication.c replicaofCommand, server.c processCommand).
READONLY_REPLICA: Final = "READONLY You can't write against a read only replica."
MASTERDOWN: Final = "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
REPLICAOF_IN_CLUSTER: Final = "ERR REPLICAOF not allowed in cluster mode."
REPLICAOF_FROM_REPLICA: Final = "ERR Command is not valid when client is a replica."
INVALID_MASTER_PORT: Final = "ERR Invalid master port"

# Primary side (replication.c syncCommand, replconfCommand, waitCommand; server.c processCommand).
NOMASTERLINK: Final = "NOMASTERLINK Can't SYNC while not connected with my master"
SYNC_PENDING_OUTPUT: Final = "ERR SYNC and PSYNC are invalid with pending output"
WAIT_ON_REPLICA: Final = (
    "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is "
    "configured to be writable (which is not the default) writes to replicas are just local and are not "
    "propagated.")
NOREPLICAS: Final = "NOREPLICAS Not enough good replicas to write."
REPLCONF_RDB_ONLY_RANGE: Final = "ERR value is out of range, value must between 0 and 1"


def replconf_unknown_option(option: bytes) -> str:
    return f"ERR Unrecognized REPLCONF option: {option.decode(errors='replace')}"

# MIGRATE (cluster.c migrateCommand, migrateGetSocket).
MIGRATE_KEYS_NEED_EMPTY_KEY: Final = (
    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string")
MIGRATE_IOERR_CONNECT: Final = "IOERR error or timeout connecting to the client"


def migrate_ioerr(writing: bool) -> str:
    return f"IOERR error or timeout {'writing' if writing else 'reading'} to target instance"


def migrate_target_error(line: bytes) -> bytes:
    """The target's error line (without its '-') as MIGRATE reports it."""
    return b"ERR Target instance replied with error: " + line

# CLUSTER (cluster.c clusterCommand, getSlotOrReply, checkSlotAssignmentsOrReply).
CLUSTER_DISABLED: Final = "ERR This instance has cluster support disabled"
CLUSTER_BAD_SLOT: Final = "ERR Invalid or out of range slot"
CLUSTER_COUNTKEYS_BAD_SLOT: Final = "ERR Invalid slot"
CLUSTER_GETKEYS_BAD_ARGS: Final = "ERR Invalid slot or number of keys"
CLUSTER_FLUSHSLOTS_NOT_EMPTY: Final = "ERR DB must be empty to perform CLUSTER FLUSHSLOTS."
CLUSTER_SETSLOT_ON_REPLICA: Final = "ERR Please use SETSLOT only with masters."
CLUSTER_SETSLOT_SYNTAX: Final = "ERR Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP"
CLUSTER_TARGET_NOT_PRIMARY: Final = "ERR Target node is not a master"
CLUSTER_FORGET_MYSELF: Final = "ERR I tried hard but I can't forget myself..."
CLUSTER_FORGET_MY_PRIMARY: Final = "ERR Can't forget my master!"
CLUSTER_REPLICATE_MYSELF: Final = "ERR Can't replicate myself"
CLUSTER_REPLICATE_REPLICA: Final = "ERR I can only replicate a master, not a replica."
CLUSTER_REPLICATE_NOT_EMPTY: Final = "ERR To set a master the node must be empty and without assigned slots."
CLUSTER_NOT_A_PRIMARY: Final = "ERR The specified node is not a master"
CLUSTER_EPOCH_OTHER_NODES: Final = (
    "ERR The user can assign a config epoch only when the node does not know any other node.")
CLUSTER_EPOCH_NONZERO: Final = "ERR Node config epoch is already non-zero"
CLUSTER_RESET_WITH_KEYS: Final = "ERR CLUSTER RESET can't be called with master nodes containing keys"


def _arg_text(raw: bytes) -> bytes:
    # addReplyErrorFormat prints arguments with %s (cut at a NUL) and turns CR/LF into spaces.
    return raw.split(b"\x00", 1)[0].replace(b"\r", b" ").replace(b"\n", b" ")


def cluster_slot_busy(slot: int) -> str:
    return f"ERR Slot {slot} is already busy"


def cluster_slot_unassigned(slot: int) -> str:
    return f"ERR Slot {slot} is already unassigned"


def cluster_slot_repeated(slot: int) -> str:
    return f"ERR Slot {slot} specified multiple times"


def cluster_slot_range_reversed(start: int, end: int) -> str:
    return f"ERR start slot number {start} is greater than end slot number {end}"


def cluster_not_slot_owner(slot: int) -> str:
    return f"ERR I'm not the owner of hash slot {slot}"


def cluster_already_slot_owner(slot: int) -> str:
    return f"ERR I'm already the owner of hash slot {slot}"


def cluster_slot_has_keys(slot: int) -> str:
    return (f"ERR Can't assign hashslot {slot} to a different node while I still hold keys for this "
            "hash slot.")


def cluster_dont_know_node(name: bytes) -> bytes:
    return b"ERR I don't know about node " + _arg_text(name)


def cluster_unknown_node(name: bytes) -> bytes:
    return b"ERR Unknown node " + _arg_text(name)


def cluster_invalid_epoch(epoch: int) -> str:
    return f"ERR Invalid config epoch specified: {epoch}"


def cluster_save_failed(reason: str) -> str:
    return f"ERR error saving the cluster node config: {reason}"


def cluster_meet_bad_port(raw: bytes) -> bytes:
    return b"ERR Invalid TCP base port specified: " + _arg_text(raw)


def cluster_meet_bad_bus_port(raw: bytes) -> bytes:
    return b"ERR Invalid TCP bus port specified: " + _arg_text(raw)


def cluster_meet_bad_address(ip: bytes, port: bytes) -> bytes:
    return b"ERR Invalid node address specified: " + _arg_text(ip) + b":" + _arg_text(port)


# CLUSTER FAILOVER (cluster.c clusterCommand "failover"; cluster/failover.py).
CLUSTER_FAILOVER_NOT_REPLICA: Final = "ERR You should send CLUSTER FAILOVER to a replica"
CLUSTER_FAILOVER_NO_PRIMARY: Final = "ERR I'm a replica but my master is unknown to me"
CLUSTER_FAILOVER_PRIMARY_DOWN: Final = "ERR Master is down or failed, please use CLUSTER FAILOVER FORCE"

# DEBUG PYREDCACHE-TIME (pyredcache's own; server/time_control.py).
TIME_CONTROL_DISABLED: Final = "ERR time control is disabled (set pyredcache-time-control yes)"
TIME_CONTROL_BAD_ADVANCE: Final = "ERR time can only move forward by a finite number of seconds"

# Cluster routing (cluster.c getNodeByQuery / clusterRedirectClient).
CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot"
TRYAGAIN = "TRYAGAIN Multiple keys request during rehashing of slot"
CLUSTERDOWN_STATE = "CLUSTERDOWN The cluster is down"
CLUSTERDOWN_READONLY = "CLUSTERDOWN The cluster is down and only accepts read commands"
CLUSTERDOWN_UNBOUND = "CLUSTERDOWN Hash slot not served"
