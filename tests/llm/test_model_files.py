"""The default model is assembled from PyPI part packages and verified; bad files are rebuilt or refused clearly."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from chatrec.errors import ModelError
from chatrec.llm.files import DEFAULT_NAME, DEFAULT_SIZE, assemble_default, resolve_model


def test_assemble_verify_and_rebuild(tmp_path: Path) -> None:
    p = assemble_default(tmp_path)
    assert p.name == DEFAULT_NAME and p.stat().st_size == DEFAULT_SIZE
    with open(p, "r+b") as fh:  # a partial download / interrupted copy
        fh.truncate(DEFAULT_SIZE // 2)
    assert assemble_default(tmp_path).stat().st_size == DEFAULT_SIZE
    with open(p, "r+b") as fh:  # right size, wrong bytes: only the hash can tell
        fh.seek(DEFAULT_SIZE // 3)
        fh.write(b"\0" * 4096)
    os.utime(p, ns=(1, 1))
    rebuilt = assemble_default(tmp_path)
    with open(rebuilt, "rb") as fh:
        fh.seek(DEFAULT_SIZE // 3)
        assert fh.read(4096) != b"\0" * 4096
    assert not list(tmp_path.glob("models/*.part-*")), "no temporary files left behind"


def test_bad_model_paths_give_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="neither 'default'"):
        resolve_model(str(tmp_path / "missing.gguf"), tmp_path)
    junk = tmp_path / "junk.gguf"
    junk.write_bytes(b"not a model at all")
    with pytest.raises(ModelError, match="not a GGUF"):
        resolve_model(str(junk), tmp_path)
    assert resolve_model("smoke", tmp_path).suffix == ".gguf"


def test_small_model_is_assembled_verified_and_answers(tmp_path: Path) -> None:
    """CHATREC_MODEL=small: the 0.5B GGUF from its 6 PyPI part packages, sha256-checked like the default."""
    from chatrec.llm.files import SPLIT_MODELS
    from chatrec.llm.models import LlamaCppModel

    p = resolve_model("small", tmp_path)
    assert p.stat().st_size == SPLIT_MODELS["small"].size and p.with_suffix(".sha256").exists()
    llm = LlamaCppModel(str(p), n_ctx=512, n_threads=2)
    out = llm.json([{"role": "system", "content": "Answer in JSON."}, {"role": "user", "content": "Is 2 > 1?"}],
                   {"type": "object", "properties": {"answer": {"type": "boolean"}}, "required": ["answer"]},
                   max_tokens=16)
    assert isinstance(out["answer"], bool)
    assert llm.usage.by_stage["understanding"]["calls"] == 1
