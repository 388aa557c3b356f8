"""One way to run a server as a child process for a benchmark or a test: start it on a free port, poll its HTTP health
URL until it answers, stop it (SIGTERM to its process group, then SIGKILL).

Why one helper: the Chroma server, the app, llama-cpp-python's server and deploy/llama_server.py are all started
this way, and a server that dies while starting must fail at once with its command, exit status and log tail, not
after a four-minute timeout with "did not start".

    with ServerProcess([sys.executable, "-m", "http.server", "{port}"], "/", name="http.server") as server:
        urllib.request.urlopen(server.url)
"""
from __future__ import annotations

import contextlib
import http.client
import os
import re
import shlex
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO

from chatrec.errors import FaultError

# Health checks go straight to the child, never through an http_proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on now (the OS picks it), so parallel runs do not collide on a fixed port."""
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _short_name(cmd: Sequence[str]) -> str:
    """What an error calls the server: the script or module a Python runs (`app.py`, `llama_cpp.server`), else
    the program's name."""
    parts = list(cmd[1:]) if Path(cmd[0]).name.startswith("python") and len(cmd) > 1 else list(cmd)
    if parts[0] == "-m" and len(parts) > 1:
        parts = parts[1:]
    return Path(parts[0]).name


class ServerError(FaultError):
    """A server child process that exited or never answered; the message has its command, status and log tail."""


class ServerExited(ServerError):
    """The server process exited before its health URL answered."""


class ServerTimeout(ServerError, TimeoutError):
    """The server process was still running but its health URL did not answer in time."""


class ServerProcess:
    """A server child process on `host:port`, ready once GET `health` answers with a 2xx/3xx status.

    `cmd` may hold "{port}" (in any argument), replaced by the port (a free one unless given). Output goes to `log`,
    or to a temp file removed at stop, so an error can always quote the last lines. The child runs in its own
    process group (start_new_session), so stop() also ends the workers it spawned and nothing else. As a context
    manager it starts and waits on entry and stops on exit; `launch()` then `wait()` start several at once."""

    def __init__(self, cmd: Sequence[str], health: str = "/", *, name: str | None = None, port: int | None = None,
                 host: str = "127.0.0.1", env: Mapping[str, str] | None = None, cwd: str | Path | None = None,
                 log: str | Path | None = None, start_timeout: float = 60.0, stop_timeout: float = 20.0,
                 poll_s: float = 0.5, probe_timeout: float = 5.0) -> None:
        self.host, self.port = host, port or free_port(host)
        self.cmd = [str(c).replace("{port}", str(self.port)) for c in cmd]
        self.name = name or _short_name(self.cmd)
        self.url = f"http://{host}:{self.port}"
        self.health_url = self.url + "/" + health.lstrip("/")
        self.env, self.cwd = (dict(env) if env is not None else None), cwd
        self.start_timeout, self.stop_timeout = start_timeout, stop_timeout
        self.poll_s, self.probe_timeout = poll_s, probe_timeout
        self.log_path = Path(log) if log is not None else None
        self._temp_log = log is None
        self._log: IO[str] | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        """The child's pid (its process group id too)."""
        if self.proc is None:
            raise RuntimeError(f"{self.name} has not been launched")
        return self.proc.pid

    def launch(self) -> ServerProcess:
        """Start the process without waiting for it (see wait())."""
        if self.log_path is None:
            label = re.sub(r"[^\w.-]+", "_", self.name)
            fd, path = tempfile.mkstemp(prefix=f"chatrec-{label}-", suffix=".log")
            self.log_path = Path(path)
            self._log = os.fdopen(fd, "w")
        else:
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log = open(self.log_path, "w")  # noqa: SIM115 - closed by stop()
        self.proc = subprocess.Popen(self.cmd, cwd=self.cwd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        return self

    def answers(self) -> bool:
        """One GET of the health URL: True on a 2xx/3xx answer (a 503 while a model loads is not ready)."""
        try:
            with _OPENER.open(self.health_url, timeout=self.probe_timeout):
                return True
        except (OSError, http.client.HTTPException):
            return False

    def wait(self, timeout: float | None = None) -> ServerProcess:
        """Until the health URL answers; if the process exits or `timeout` (default start_timeout) passes, it is
        stopped and ServerExited / ServerTimeout is raised with the log's last lines."""
        if self.proc is None:
            self.launch()
        assert self.proc is not None
        timeout = self.start_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        while not self.answers():
            if self.proc.poll() is not None:
                err: ServerError = ServerExited(self._describe(f"exited with {self._status()} before answering"))
            elif time.monotonic() > deadline:
                err = ServerTimeout(self._describe(f"did not answer within {timeout:.0f} s at"))
            else:
                time.sleep(self.poll_s)
                continue
            self.stop()
            raise err
        return self

    def start(self) -> ServerProcess:
        """launch() (unless launched) and wait()."""
        return self.wait()

    def stop(self) -> None:
        """SIGTERM to the process group, SIGKILL after stop_timeout (uvicorn may wait on keep-alive connections);
        closes the log and removes it if it was a temp file. Safe to call twice."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)  # its own group (start_new_session): only ours
            try:
                self.proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(self.stop_timeout)
        if self._log is not None:
            self._log.close()
            self._log = None
            if self._temp_log and self.log_path is not None:
                self.log_path.unlink(missing_ok=True)

    def log_tail(self, n: int = 40) -> str:
        """The last n lines of the server's output ('' if there is none yet)."""
        if self._log is not None:
            self._log.flush()
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:]) if self.log_path else ""
        except OSError:
            return ""

    def _status(self) -> str:
        rc = self.proc.returncode if self.proc is not None else None
        if rc is not None and rc < 0:
            with contextlib.suppress(ValueError):
                return f"status {rc} ({signal.Signals(-rc).name})"
        return f"status {rc}"

    def _describe(self, what: str) -> str:
        where = "" if self._temp_log else f" of {self.log_path}"
        tail = self.log_tail() or "(no output)"
        return (f"{self.name} {what} {self.health_url}\ncommand: {shlex.join(self.cmd)}\n"
                f"last lines{where}:\n{tail}")

    def __enter__(self) -> ServerProcess:
        try:
            return self.start()
        except BaseException:  # e.g. KeyboardInterrupt while waiting: do not leave the child behind
            self.stop()
            raise

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
