"""The LLM as a ranker: Yes/No logit scores per candidate, cached on disk by (model sha256, prompt sha256).

`CachedModel` wraps any `ChatModel`: its `yes_no` answers from the cache where it can and asks the model only for the
missing questions (the model is loaded on the first miss, so a fully cached re-run never loads it). Every user's
scores are committed as soon as they are computed, so an interrupted run resumes where it stopped. The same wrapper is
handed to the core's Ranker, so `chatrec+llm` is cached the same way.

The stand-alone scorer uses the recency-focused prompt of Hou et al. (ECIR 2024): the history in order, then
"Note that my most recently ... item is X", and one Yes/No question per candidate after that shared prefix.
"""
from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from chatrec.evaluation.data import RankSplit
from chatrec.explain.prompts import render

Message = dict[str, str]


def model_sha256(path: str | Path) -> str:
    """The model file's sha256 (pinned value for the default model; others hashed once and remembered)."""
    from chatrec.llm.files import DEFAULT_SHA256, DEFAULT_SIZE, sha256_file

    p = Path(path)
    st = p.stat()
    if st.st_size == DEFAULT_SIZE and p.with_suffix(".sha256").exists() and \
            p.with_suffix(".sha256").read_text().startswith(DEFAULT_SHA256):
        return DEFAULT_SHA256
    stamp = Path.home() / ".cache" / "chatrec" / "eval" / "model-hashes.json"
    known = json.loads(stamp.read_text()) if stamp.exists() else {}
    key = f"{p.resolve()}|{st.st_size}|{st.st_mtime_ns}"
    if key not in known:
        known[key] = sha256_file(p)
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text(json.dumps(known, indent=1))
    return known[key]


def prompt_sha256(messages: list[Message], question: str) -> str:
    return hashlib.sha256(json.dumps([messages, question], ensure_ascii=False, sort_keys=True).encode()).hexdigest()


class ScoreCache:
    """sqlite table (model_sha, prompt_sha) -> log-odds of Yes over No."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(str(path), check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS yes_no (model TEXT, prompt TEXT, logodds REAL, "
                        "PRIMARY KEY (model, prompt))")
        self.db.execute("CREATE TABLE IF NOT EXISTS json_out (model TEXT, prompt TEXT, value TEXT, "
                        "PRIMARY KEY (model, prompt))")
        self.lock = threading.Lock()

    def get(self, model: str, prompts: list[str]) -> dict[str, float]:
        out: dict[str, float] = {}
        with self.lock:
            for b in range(0, len(prompts), 500):
                chunk = prompts[b:b + 500]
                q = f"SELECT prompt, logodds FROM yes_no WHERE model = ? AND prompt IN ({','.join('?' * len(chunk))})"
                out.update(dict(self.db.execute(q, [model, *chunk]).fetchall()))
        return out

    def put(self, model: str, values: dict[str, float]) -> None:
        with self.lock:
            self.db.executemany("INSERT OR REPLACE INTO yes_no VALUES (?, ?, ?)",
                                [(model, k, float(v)) for k, v in values.items()])
            self.db.commit()

    def get_json(self, model: str, prompt: str) -> Any:
        with self.lock:
            row = self.db.execute("SELECT value FROM json_out WHERE model = ? AND prompt = ?",
                                  [model, prompt]).fetchone()
        return None if row is None else json.loads(row[0])

    def put_json(self, model: str, prompt: str, value: Any) -> None:
        with self.lock:
            self.db.execute("INSERT OR REPLACE INTO json_out VALUES (?, ?, ?)", [model, prompt, json.dumps(value)])
            self.db.commit()

    def count(self, model: str) -> int:
        with self.lock:
            return int(self.db.execute("SELECT COUNT(*) FROM yes_no WHERE model = ?", [model]).fetchone()[0])


class CachedModel:
    """A ChatModel whose Yes/No scores and JSON answers are cached; `stream` goes to the real model."""

    def __init__(self, model_path: str | Path, cache: ScoreCache, loader: Callable[[], Any]) -> None:
        self.name = str(model_path)
        self.sha = model_sha256(model_path)
        self.cache = cache
        self._loader = loader
        self._model: Any = None
        self.hits = self.misses = 0

    @property
    def model(self) -> Any:
        if self._model is None:
            self._model = self._loader()
        return self._model

    def yes_no(self, messages: list[Message], questions: list[str], stable: int = 1) -> list[float]:
        keys = [prompt_sha256(messages, q) for q in questions]
        got = self.cache.get(self.sha, keys)
        missing = [n for n, k in enumerate(keys) if k not in got]
        self.hits += len(questions) - len(missing)
        self.misses += len(missing)
        if missing:
            vals = self.model.yes_no(messages, [questions[n] for n in missing], stable=stable)
            new = {keys[n]: float(v) for n, v in zip(missing, vals)}
            self.cache.put(self.sha, new)
            got.update(new)
        return [got[k] for k in keys]

    def json_cached(self, messages: list[Message], schema: dict[str, Any], max_tokens: int = 60) -> Any:
        """Constrained JSON answer, cached like the Yes/No scores (used by the rating evaluation)."""
        return self.json(messages, schema, max_tokens=max_tokens, stable=1)

    def json(self, messages: list[Message], schema: dict[str, Any], max_tokens: int = 400, stable: int = 1) -> Any:
        """Greedy (temperature 0) constrained JSON, so a cached answer is the model's answer: an interrupted
        conversation evaluation resumes without re-generating the turns it already played."""
        key = prompt_sha256(messages, json.dumps(schema, sort_keys=True) + ("" if max_tokens == 60 else
                                                                            f"|max_tokens={max_tokens}"))
        got = self.cache.get_json(self.sha, key)
        if got is None:
            self.misses += 1
            got = self.model.json(messages, schema, max_tokens=max_tokens, stable=stable)
            self.cache.put_json(self.sha, key, got)
        else:
            self.hits += 1
        return got

    def stream(self, messages: list[Message], max_tokens: int = 120, stable: int = 1,
               stop: list[str] | None = None) -> Iterator[str]:
        return self.model.stream(messages, max_tokens=max_tokens, stable=stable, stop=stop)


def open_model(settings: Any, model: str | None = None) -> CachedModel:
    """The configured model (default 1.5B, 'small', 'smoke' or a GGUF path) behind the score cache."""
    from chatrec.llm.files import resolve_model
    from chatrec.llm.models import LlamaCppModel

    name = model or settings.model
    path = resolve_model(name, Path(settings.data_dir))
    cache = ScoreCache(Path(settings.data_dir) / "eval" / "llm-scores.sqlite")
    return CachedModel(path, cache, lambda: LlamaCppModel(str(path), n_ctx=settings.n_ctx,
                                                          n_threads=settings.n_threads,
                                                          n_gpu_layers=settings.n_gpu_layers, seed=settings.seed))


VERBS = {"games": ("bought", "buy", "product"), "ml-latest-small": ("watched", "watch", "movie")}


def recency_prompt(titles: list[str], dataset: str, max_items: int = 20) -> list[Message]:
    """The stable prefix for one user: system, then the recency-focused history (most recent `max_items`)."""
    past, verb, noun = VERBS.get(dataset, ("liked", "like", "item"))
    return [{"role": "system", "content": render("recency_system.j2", verb=verb, noun=noun)},
            {"role": "user", "content": render("recency_history.j2", past=past, noun=noun,
                                               history=titles[-max_items:])}]


def recency_question(title: str, dataset: str) -> str:
    _, verb, noun = VERBS.get(dataset, ("liked", "like", "item"))
    return render("recency_question.j2", verb=verb, noun=noun, title=title)


def llm_scores(split: RankSplit, model: CachedModel, titles: list[str] | None = None,
               progress: bool = True) -> np.ndarray:
    """(users, 20) log-odds of Yes, one user at a time (cached and committed per user), with a progress bar."""
    from tqdm import tqdm

    titles = titles or split.item_text
    out = np.zeros(split.candidates.shape)
    bar = tqdm(total=len(split.users), desc="llm yes/no", unit="user", disable=not progress)
    t0 = time.time()
    for u, (h, cands) in enumerate(zip(split.histories, split.candidates)):
        msgs = recency_prompt([titles[i] for i in h], split.dataset)
        out[u] = model.yes_no(msgs, [recency_question(titles[int(c)], split.dataset) for c in cands], stable=2)
        bar.update(1)
        bar.set_postfix(cached=model.hits, computed=model.misses, s_per_user=f"{(time.time() - t0) / (u + 1):.1f}")
    bar.close()
    return out
