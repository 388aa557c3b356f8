"""Shared fixtures: one real Recommender (default 1.5B model, MiniLM, Chroma in a temp folder) per test process."""
from __future__ import annotations

import os
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
