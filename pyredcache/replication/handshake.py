"""The replica side of the PSYNC2 handshake as a sans-IO state machine (replication.c syncWithMaster).

`Handshake.start()` gives the bytes to send once connected; `on_line(line)` consumes one reply line from the
primary and returns a `Step`: bytes to send next, log lines, and at the end an outcome (FullResync, Continue,
or Failed: close the link and retry later). The RDB transfer and the command stream that follow are
replica.py's business. No sockets, no server state.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

RUN_ID_SIZE = 40


class ReplState(IntEnum):
    """REPL_STATE_*: where a replica stands with its primary (ROLE and INFO show it)."""

    NONE = 0
    CONNECT = 1
    CONNECTING = 2
    RECEIVE_PING_REPLY = 3
    SEND_HANDSHAKE = 4
    RECEIVE_AUTH_REPLY = 5
    RECEIVE_PORT_REPLY = 6
    RECEIVE_IP_REPLY = 7
    RECEIVE_CAPA_REPLY = 8
    SEND_PSYNC = 9
    RECEIVE_PSYNC_REPLY = 10
    TRANSFER = 11
    CONNECTED = 12


def role_state_name(state: ReplState) -> str:
    """The state word ROLE reports (replicationGetSlaveStateString... as roleCommand spells it)."""
    if state == ReplState.NONE:
        return "none"
    if state == ReplState.CONNECT:
        return "connect"
    if state == ReplState.CONNECTING:
        return "connecting"
    if state == ReplState.TRANSFER:
        return "sync"
    if state == ReplState.CONNECTED:
        return "connected"
    return "handshake"


@dataclass(slots=True, frozen=True)
class FullResync:
    replid: str
    offset: int


@dataclass(slots=True, frozen=True)
class Continue:
    new_replid: str | None      # the primary's replication id when it changed (PSYNC2), else None


@dataclass(slots=True, frozen=True)
class Failed:
    reason: str


Outcome = FullResync | Continue | Failed


@dataclass(slots=True)
class Step:
    send: bytes = b""
    notices: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    outcome: Outcome | None = None


def encode(*args: str | bytes) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg.encode() if isinstance(arg, str) else arg
        parts.append(b"$%d\r\n%b\r\n" % (len(data), data))
    return b"".join(parts)


class Handshake:
    """PING, then AUTH / REPLCONF listening-port / REPLCONF ip-address / REPLCONF capa sent in one go and
    their replies read in order, then PSYNC <replid> <offset> (or `? -1` without a cached primary)."""

    def __init__(self, *, listening_port: int, masterauth: str | None = None, masteruser: str | None = None,
                 announce_ip: str | None = None, psync: tuple[str, int] | None = None) -> None:
        self.state = ReplState.CONNECTING
        self.listening_port = listening_port
        self.masterauth = masterauth
        self.masteruser = masteruser
        self.announce_ip = announce_ip
        self.psync = psync
        self.psync_sent: tuple[str, int] | None = None

    def start(self) -> bytes:
        """The connection is up: send PING."""
        self.state = ReplState.RECEIVE_PING_REPLY
        return encode("PING")

    def on_line(self, line: bytes) -> Step:
        text = line.decode("utf-8", "replace")
        step = Step()
        state = self.state
        if state == ReplState.RECEIVE_PING_REPLY:
            # NOAUTH / NOPERM / "operation not permitted" only mean we must authenticate first.
            if text.startswith("-") and not text.startswith(("-NOAUTH", "-NOPERM", "-ERR operation not permitted")):
                step.warnings.append(f"Error reply to PING from master: '{text}'")
                step.outcome = Failed("ping")
                return step
            step.notices.append("Master replied to PING, replication can continue...")
            step.send = self._handshake_batch()
            return step
        if state == ReplState.RECEIVE_AUTH_REPLY:
            if text.startswith("-"):
                step.warnings.append(f"Unable to AUTH to MASTER: {text}")
                step.outcome = Failed("auth")
                return step
            self.state = ReplState.RECEIVE_PORT_REPLY
            return step
        if state == ReplState.RECEIVE_PORT_REPLY:
            if text.startswith("-"):
                step.notices.append(f"(Non critical) Master does not understand REPLCONF listening-port: {text}")
            self.state = ReplState.RECEIVE_IP_REPLY if self.announce_ip else ReplState.RECEIVE_CAPA_REPLY
            return step
        if state == ReplState.RECEIVE_IP_REPLY:
            if text.startswith("-"):
                step.notices.append(f"(Non critical) Master does not understand REPLCONF ip-address: {text}")
            self.state = ReplState.RECEIVE_CAPA_REPLY
            return step
        if state == ReplState.RECEIVE_CAPA_REPLY:
            if text.startswith("-"):
                step.notices.append(f"(Non critical) Master does not understand REPLCONF capa: {text}")
            return self._send_psync(step)
        if state == ReplState.RECEIVE_PSYNC_REPLY:
            return self._psync_reply(text, step)
        step.outcome = Failed(f"unexpected line in state {state.name}")
        return step

    def _handshake_batch(self) -> bytes:
        out = []
        if self.masterauth:
            if self.masteruser:
                out.append(encode("AUTH", self.masteruser, self.masterauth))
            else:
                out.append(encode("AUTH", self.masterauth))
            self.state = ReplState.RECEIVE_AUTH_REPLY
        else:
            self.state = ReplState.RECEIVE_PORT_REPLY
        out.append(encode("REPLCONF", "listening-port", str(self.listening_port)))
        if self.announce_ip:
            out.append(encode("REPLCONF", "ip-address", self.announce_ip))
        out.append(encode("REPLCONF", "capa", "eof", "capa", "psync2"))
        return b"".join(out)

    def _send_psync(self, step: Step) -> Step:
        if self.psync is not None:
            replid, offset = self.psync
            step.notices.append(f"Trying a partial resynchronization (request {replid}:{offset}).")
            step.send = encode("PSYNC", replid, str(offset))
        else:
            step.notices.append("Partial resynchronization not possible (no cached master)")
            step.send = encode("PSYNC", "?", "-1")
        self.psync_sent = self.psync
        self.state = ReplState.RECEIVE_PSYNC_REPLY
        return step

    def _psync_reply(self, text: str, step: Step) -> Step:
        if not text:
            return step     # the primary's keepalive newline while it prepares the reply
        if text.startswith("+FULLRESYNC"):
            words = text.split(" ")
            if len(words) < 3 or len(words[1]) != RUN_ID_SIZE or not _is_int(words[2]):
                step.warnings.append("Master replied with wrong +FULLRESYNC syntax.")
                step.outcome = FullResync("", -1)
                return step
            step.notices.append(f"Full resync from master: {words[1]}:{words[2]}")
            self.state = ReplState.TRANSFER
            step.outcome = FullResync(words[1], int(words[2]))
            return step
        if text.startswith("+CONTINUE"):
            step.notices.append("Successful partial resynchronization with master.")
            words = text.split(" ")
            new_id = None
            if len(words) >= 2 and len(words[1]) == RUN_ID_SIZE:
                old = self.psync_sent[0] if self.psync_sent is not None else ""
                if words[1] != old:
                    new_id = words[1]
            self.state = ReplState.CONNECTED
            step.outcome = Continue(new_id)
            return step
        if text.startswith(("-NOMASTERLINK", "-LOADING")):
            step.notices.append(f"Master is currently unable to PSYNC but should be in the future: {text}")
            step.outcome = Failed("retry")
            return step
        if text.startswith("-"):
            step.warnings.append(f"Unexpected reply to PSYNC from master: {text}")
        else:
            step.warnings.append(f"Unexpected reply to PSYNC from master: {text}")
        step.outcome = Failed("psync")
        return step


def _is_int(word: str) -> bool:
    return word.lstrip("-").isdigit()
