"""Sans-IO RESP codecs: request parsing, reply writing, reply reading. No sockets, no server state."""
