"""Lua scripting (EVAL & co.): the lupa-based Lua 5.1 runtime with Redis 7.0's sandbox (runtime.py), the
RESP <-> Lua conversions (convert.py), the script cache (cache.py) and running scripts with the busy-script
watchdog (runner.py). The commands themselves are in commands/scripting.py."""
