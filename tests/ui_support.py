"""Helpers for the UI tests: launch `python app.py` in a subprocess on a free port and wait until it answers.

Both UI test modules share one Chroma folder (a temp dir made once per test process), so the catalogs are embedded
once, by whichever app starts first; each app process is stopped before the next module starts one.
"""
from __future__ import annotations

import atexit
import http.server
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import pytest

from chatrec.bench.servers import ServerProcess

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts"
_CHROMA: Path | None = None


def chroma_dir() -> Path:
    """One temp Chroma folder for every app this test process starts (removed at exit).

    Seeded with a copy of the index `python -m chatrec prepare` built (<data_dir>/chroma) when there is one, so the
    apps start without re-embedding the catalogs (minutes on a busy 2-core machine); the app's incremental sync
    still embeds whatever the copy lacks or has stale, so a missing or old index only costs time."""
    global _CHROMA
    if _CHROMA is None:
        _CHROMA = Path(tempfile.mkdtemp(prefix="chatrec-ui-chroma-"))
        atexit.register(shutil.rmtree, _CHROMA, True)
        data_dir = Path(os.environ.get("CHATREC_DATA_DIR") or Path.home() / ".cache" / "chatrec")
        seed = Path(os.environ.get("CHATREC_CHROMA_PATH") or data_dir / "chroma")
        if (seed / "chroma.sqlite3").exists():
            try:
                shutil.copytree(seed, _CHROMA, dirs_exist_ok=True)
            except OSError:  # a partial copy is repaired by the app's sync; an empty folder is indexed from scratch
                pass
    return _CHROMA


class AppProcess(ServerProcess):
    """`python app.py --port N` with the given CHATREC_* settings, launched at once (wait_http() waits for it); its
    output goes to artifacts/<name>.log."""

    def __init__(self, name: str, env: dict[str, str | None], mcp: bool = False) -> None:
        full = dict(os.environ)
        for k in ("CHATREC_MODEL", "CHATREC_LLM_EXPLANATIONS", "CHATREC_HOST", "CHATREC_PORT", "CHATREC_MCP",
                  "CHATREC_UI_CATALOGS", "GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT", "SPACE_ID"):
            full.pop(k, None)
        full.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
                     "CHATREC_CHROMA_PATH": str(chroma_dir()), "PYTHONUNBUFFERED": "1"})
        for k, v in env.items():
            if v is None:
                full.pop(k, None)
            else:
                full[k] = v
        cmd = [sys.executable, str(ROOT / "app.py"), "--host", "127.0.0.1", "--port", "{port}"]
        super().__init__(cmd + (["--mcp"] if mcp else []), "/", name=name, env=full, cwd=ROOT,
                         log=ARTIFACTS / f"{name}.log", start_timeout=180.0)
        self.launch()

    def wait_http(self, timeout: float = 180.0) -> None:
        """Until the page answers (the model may still be loading: the page says so)."""
        self.wait(timeout)


def wait_ready(client, timeout: float = 600.0) -> dict:  # noqa: ANN001 - a gradio_client.Client
    """Poll the app's /status endpoint until the model and index are loaded."""
    end = time.monotonic() + timeout
    last: dict = {}
    while time.monotonic() < end:
        last = client.predict(api_name="/status")
        if last.get("error"):
            raise RuntimeError(f"app failed to load: {last['error']}")
        if last.get("ready"):
            return last
        time.sleep(1.0)
    raise TimeoutError(f"model/index not ready after {timeout:.0f}s: {last}")


# -- the browser the UI tests drive (Debian's Chromium through Playwright; fixture `browser` in conftest) --
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
        "--no-first-run", "--disable-component-update", "--disable-sync"]
TURN_TIMEOUT_MS = 420_000  # one turn of the 1.5B model on a busy 2-core machine, with margin
READY_TIMEOUT_MS = 600_000


def need_browser() -> None:
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"{CHROMIUM} (apt-get install -y chromium)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("the playwright package (pip install -r requirements.txt)")
    if missing:
        msg = "browser tests need " + " and ".join(missing)
        from conftest import IN_CI

        if IN_CI:
            pytest.fail(msg + " - required in CI")
        pytest.skip(msg)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # noqa: ANN002
        pass
