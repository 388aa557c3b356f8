"""Shared fixtures: one real Recommender (default 1.5B model, MiniLM, Chroma in a temp folder) per test process."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def need_shared(*parts: str) -> Path:
    """Path under ../shared/data; skips where absent, but FAILS in CI so a green run cannot be made of skips."""
    p = SHARED.joinpath(*parts)
    if not p.exists():
        msg = f"{p} is missing (public data beside the project, see README)"
        if IN_CI:
            pytest.fail(msg + " - required in CI")
        pytest.skip(msg)
    return p


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory):
    from chatrec.settings import Settings

    cache = Path(os.environ.get("CHATREC_DATA_DIR", Path.home() / ".cache" / "chatrec"))
    return Settings(data_dir=cache, chroma_path=tmp_path_factory.mktemp("chroma"),
                    feedback_path=tmp_path_factory.mktemp("feedback") / "feedback.sqlite3")  # never the user's log


@pytest.fixture(scope="session")
def rec(settings):
    """The real thing: default GGUF in-process, real embeddings, real Chroma (fresh folder, indexed here)."""
    from chatrec import Recommender

    return Recommender.from_settings(settings)


@pytest.fixture(scope="session")
def movies(rec):
    return rec.catalog("movies")


@pytest.fixture(scope="session")
def rules_rec(settings):
    """The same Recommender on a fake model that never helps (chatrec.llm.fake.FakeChatModel.silent): real catalogs,
    MiniLM and Chroma, so rules, filters, ranking and templates run in full without loading a GGUF model. Tests that
    need canned answers build `Recommender(settings, FakeChatModel(...), rules_rec.embedder, rules_rec.index)`."""
    from chatrec import Recommender
    from chatrec.llm.fake import FakeChatModel

    return Recommender.from_settings(settings, llm=FakeChatModel.silent())


# -- markers: `pytest -m "not model"` is the fast inner loop; CI runs everything -----------------------------------
# A test is marked by what it uses: conftest's model fixtures, or calls in its own source (or its module's fixtures)
# that load a model, start the app, drive a browser or read ../shared/data. Explicit marks work too.
MODEL_FIXTURES = {"rec", "movies"}
MODEL_SIGNS = ("LlamaCppModel(", "smoke_model(", "resolve_model(", "Recommender.from_settings(", "llama_cpp.server",
               "AppProcess(", '"chatrec", "chat"', '"chatrec", "bench"', '"smoke"')  # e.g. eval run(llm="smoke")


def _sources(item: pytest.Item) -> tuple[str, set[str]]:
    """The test's own source plus its module-defined fixtures' sources, and the conftest fixtures it uses."""
    import inspect

    texts, from_conftest = [], set()
    for fn in [getattr(item, "function", None)] + [
            d.func for defs in item._fixtureinfo.name2fixturedefs.values() for d in defs[-1:]]:
        if fn is None:
            continue
        if fn.__module__ == "conftest":
            from_conftest.add(fn.__name__)
            continue
        try:
            texts.append(inspect.getsource(fn))
        except (OSError, TypeError):
            pass
    return "\n".join(texts), from_conftest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        text, fixtures = _sources(item)
        if fixtures & MODEL_FIXTURES or any(s in text for s in MODEL_SIGNS):
            item.add_marker(pytest.mark.model)
        if "browser" in item.fixturenames:
            item.add_marker(pytest.mark.browser)
        if "need_shared(" in text:
            item.add_marker(pytest.mark.data)


@pytest.fixture(autouse=True)
def _model_marker_is_true(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A test that loads a GGUF model in this process without the `model` marker fails, so `-m "not model"` stays
    fast and the marker stays true."""
    if request.node.get_closest_marker("model"):
        return
    import chatrec.llm.models

    def refuse(*_a: object, **_k: object) -> None:
        pytest.fail(f"{request.node.nodeid} loads a GGUF model: mark it @pytest.mark.model")

    monkeypatch.setattr(chatrec.llm.models.LlamaCppModel, "__init__", refuse)


@contextlib.contextmanager
def llama_server(model: Path, *extra: str, log: Path | None = None) -> Iterator[str]:
    """`python -m llama_cpp.server` with `model` on a free port (extra: its flags, e.g. --chat_format); yields the
    /v1 base URL and stops the server after (chatrec.bench.servers: fails early with the log tail if it dies)."""
    import sys

    from chatrec.bench.servers import ServerProcess

    with ServerProcess([sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--host", "127.0.0.1",
                        "--port", "{port}", *extra], "/v1/models", log=log, start_timeout=240, stop_timeout=10,
                       probe_timeout=1.0) as server:
        yield server.url + "/v1"


@pytest.fixture(scope="module")
def browser():
    from ui_support import need_browser

    need_browser()
    from playwright.sync_api import sync_playwright
    from ui_support import ARGS, CHROMIUM

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
