"""chatrec.bench.servers with real child processes (Python's own http.server and short scripts, no model): a server
starts, answers and stops; one that dies or never answers fails fast with its command, status and log tail."""
from __future__ import annotations

import sys
import time
import urllib.request
from pathlib import Path

import pytest

from chatrec.bench.servers import ServerError, ServerExited, ServerProcess, ServerTimeout, free_port


def test_http_server_starts_answers_and_stops(tmp_path: Path) -> None:
    (tmp_path / "hello.txt").write_text("hi")
    cmd = [sys.executable, "-m", "http.server", "{port}", "--bind", "127.0.0.1", "--directory", str(tmp_path)]
    with ServerProcess(cmd, "/hello.txt", start_timeout=30) as server:
        assert server.name == "http.server" and str(server.port) in server.cmd
        assert server.url == f"http://127.0.0.1:{server.port}" and server.answers()
        with urllib.request.urlopen(server.url + "/hello.txt", timeout=5) as r:
            assert r.read() == b"hi"
        temp_log = server.log_path
        assert temp_log is not None and temp_log.exists()
    assert server.proc is not None and server.proc.poll() is not None
    assert not server.answers()
    assert not temp_log.exists(), "a temp log is removed at stop"
    server.stop()  # twice is fine


def test_a_server_that_exits_fails_at_once_with_status_and_log_tail(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "dies.log"
    cmd = [sys.executable, "-c", "import sys; print('loading...'); print('error: no such model'); sys.exit(3)",
           "--port", "{port}"]
    t0 = time.monotonic()
    with pytest.raises(ServerExited) as err, ServerProcess(cmd, "/health", log=log, start_timeout=60):
        pass
    assert time.monotonic() - t0 < 20, "an exited server must not wait out its start timeout"
    msg = str(err.value)
    assert "exited with status 3 before answering http://127.0.0.1:" in msg and "/health" in msg, msg
    assert "command: " in msg and "sys.exit(3)" in msg, msg
    assert f"last lines of {log}:\nloading...\nerror: no such model" in msg, msg
    assert isinstance(err.value, RuntimeError) and log.exists(), "a given log is kept"


def test_a_server_that_never_answers_times_out_and_is_stopped() -> None:
    cmd = [sys.executable, "-u", "-c", "import time; print('still loading'); time.sleep(60)"]
    server = ServerProcess(cmd, "/v1/models", name="slow server", start_timeout=1.5, poll_s=0.1).launch()
    with pytest.raises(ServerTimeout) as err:
        server.wait()
    msg = str(err.value)
    assert msg.startswith("slow server did not answer within 2 s at http://127.0.0.1:"), msg
    assert "/v1/models" in msg and "still loading" in msg, msg
    assert isinstance(err.value, TimeoutError) and isinstance(err.value, ServerError)
    assert server.proc is not None and server.proc.poll() is not None, "stopped after the timeout"


def test_stop_kills_a_server_that_ignores_sigterm() -> None:
    code = ("import signal, sys, http.server; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
            "http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), http.server.SimpleHTTPRequestHandler)"
            ".serve_forever()")
    server = ServerProcess([sys.executable, "-c", code, "{port}"], "/", start_timeout=30, stop_timeout=0.5).start()
    t0 = time.monotonic()
    server.stop()
    assert server.proc is not None and server.proc.returncode == -9 and time.monotonic() - t0 < 10


def test_free_port_is_free() -> None:
    import socket

    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))
