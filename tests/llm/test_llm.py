"""The model seam with real GGUF models: constrained JSON, Yes/No scoring, prefix state reuse, and the same calls
through an OpenAI-compatible llama.cpp server. Plumbing only, so the small smoke model is enough."""
from __future__ import annotations

import pytest
from conftest import llama_server

from chatrec.llm.files import smoke_model
from chatrec.llm.models import LlamaCppModel, OpenAIServerModel

SCHEMA = {"type": "object", "properties": {"max_runtime_minutes": {"type": ["integer", "null"]},
                                           "genres": {"type": "array", "items": {"type": "string",
                                                                                 "enum": ["Comedy", "Horror"]}}},
          "required": ["max_runtime_minutes", "genres"]}
MSGS = [{"role": "system", "content": "Extract preferences as JSON."},
        {"role": "user", "content": "A comedy under 90 minutes."}]


@pytest.fixture(scope="module")
def small() -> LlamaCppModel:
    return LlamaCppModel(str(smoke_model()), n_ctx=2048)


def test_json_always_matches_schema(small: LlamaCppModel) -> None:
    out = small.json(MSGS, SCHEMA, max_tokens=60)
    assert set(out) == {"max_runtime_minutes", "genres"}
    assert all(g in ("Comedy", "Horror") for g in out["genres"])


def test_yes_no_and_state_restore_across_interleaved_profiles(small: LlamaCppModel) -> None:
    sys_msg = {"role": "system", "content": "Answer Yes or No."}
    a = [sys_msg, {"role": "user", "content": "Profile: loves horror films, hates comedies. " * 3}]
    b = [sys_msg, {"role": "user", "content": "Profile: loves comedies, hates horror films. " * 3}]
    qs = ["Would they like a slasher horror film?", "Would they like a silly comedy?"]
    first_a = small.yes_no(a, qs, stable=2)
    small.yes_no(b, qs, stable=2)
    restored_before = small.stats["prefix_restored"]
    again_a = small.yes_no(a, qs, stable=2)
    assert small.stats["prefix_restored"] == restored_before + 1, "A's prefix came back from its saved state"
    assert again_a == pytest.approx(first_a, abs=1e-3)
    assert all(abs(x) < 50 for x in first_a)


def test_openai_compatible_server_same_seam() -> None:
    """Through the server, JSON comes from LangChain's structured output (a forced call of a tool whose parameters
    are the schema, which the server constrains), not from a server-specific JSON mode."""
    with llama_server(smoke_model(), "--n_ctx", "2048") as url:
        m = OpenAIServerModel(url)
        out = m.json(MSGS, SCHEMA, max_tokens=60)
        assert set(out) == {"max_runtime_minutes", "genres"}
        assert all(g in ("Comedy", "Horror") for g in out["genres"])
        listed = m.json(MSGS, {"type": "array", "items": {"type": "string", "enum": ["Comedy", "Horror"]},
                               "maxItems": 2}, max_tokens=30)  # not an object: wrapped and unwrapped
        assert isinstance(listed, list) and set(listed) <= {"Comedy", "Horror"}
        pieces = list(m.stream(MSGS, max_tokens=4))
        assert "".join(pieces).strip() and len(pieces) <= 4  # the token limit reaches this server
        scores = m.yes_no(MSGS[:1], ["Is a comedy funny?"])
        assert len(scores) == 1 and isinstance(scores[0], float)
        assert m.usage.snapshot()["understanding"]["calls"] == 2
