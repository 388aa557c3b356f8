"""The one seam for the chat model: in-process llama.cpp by default, an OpenAI-compatible server by config.

Both backends take the same chat messages. The local backend formats them with ChatML itself so it can keep the
front of every prompt stable and reuse llama.cpp's KV cache, and it saves the evaluated state of each stable prefix
so interleaved sessions and prompt kinds do not evict each other's work.
"""
from __future__ import annotations

import hashlib
import json
import math
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any, Literal, Protocol

Message = dict[str, str]


class ChatModel(Protocol):
    """What chatrec needs from a language model."""

    name: str

    def json(self, messages: list[Message], schema: dict[str, Any], max_tokens: int = 400, stable: int = 1) -> Any:
        """A JSON value that matches `schema` (constrained decoding, never free text)."""

    def stream(self, messages: list[Message], max_tokens: int = 120, stable: int = 1,
               stop: list[str] | None = None) -> Iterator[str]:
        """Text pieces of the assistant's reply as they are generated (ending before any of `stop`)."""

    def yes_no(self, messages: list[Message], questions: list[str], stable: int = 1) -> list[float]:
        """log P(Yes) - log P(No) for each question appended as a final user turn after `messages`."""


# What each kind of call is for on the path of a turn; the benchmark reports model work by these stages.
STAGE_OF = {"json": "understanding", "yes_no": "ranking", "stream": "explanation"}


class Usage:
    """Model work per stage (calls, prompt tokens evaluated after prefix reuse, tokens generated, seconds), so a
    benchmark can say what each stage costs. Updated while the model lock is held."""

    def __init__(self) -> None:
        self.by_stage: dict[str, dict[str, float]] = {}

    def add(self, kind: str, prompt: int, generated: int, seconds: float) -> None:
        row = self.by_stage.setdefault(STAGE_OF.get(kind, kind), {"calls": 0, "prompt_tokens": 0,
                                                                   "generated_tokens": 0, "seconds": 0.0})
        row["calls"] += 1
        row["prompt_tokens"] += prompt
        row["generated_tokens"] += generated
        row["seconds"] += seconds

    def extend(self, kind: str, generated: int, seconds: float) -> None:
        """More of a call already counted (a stream's tokens after its first)."""
        row = self.by_stage[STAGE_OF.get(kind, kind)]
        row["generated_tokens"] += generated
        row["seconds"] += seconds

    def snapshot(self) -> dict[str, dict[str, float]]:
        return {k: dict(v) for k, v in self.by_stage.items()}


def chatml(messages: list[Message], open_assistant: bool = True) -> str:
    """The ChatML text of a conversation (Qwen2.5 and SmolLM2 both use it)."""
    text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
    return text + ("<|im_start|>assistant\n" if open_assistant else "")


class LlamaCppModel:
    """llama-cpp-python in this process; one lock because a llama context is not re-entrant."""

    def __init__(self, path: str, n_ctx: int = 4096, n_threads: int | None = None, n_gpu_layers: int = 0,
                 seed: int = 7, state_cache: int = 16) -> None:
        from llama_cpp import Llama

        self.name = path
        self.llm = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, n_gpu_layers=n_gpu_layers,
                         seed=seed, verbose=False, logits_all=False)
        self.lock = threading.Lock()
        self._states: OrderedDict[bytes, Any] = OrderedDict()
        self._state_cache = state_cache
        self.stats = {"prefix_restored": 0, "prefix_evaluated": 0, "tokens_evaluated": 0, "tokens_reused": 0}
        self.usage = Usage()
        vocab = self.llm.n_vocab()
        self._yes = [t for t in {self._first_token(w) for w in ("Yes", " Yes", "yes")} if t is not None and t < vocab]
        self._no = [t for t in {self._first_token(w) for w in ("No", " No", "no")} if t is not None and t < vocab]

    def _first_token(self, word: str) -> int | None:
        toks = self.llm.tokenize(word.encode(), add_bos=False, special=False)
        return toks[0] if toks else None

    def _tok(self, text: str) -> list[int]:
        return self.llm.tokenize(text.encode(), add_bos=False, special=True)

    def _prime(self, stable_text: str) -> None:
        """Make the context start with `stable_text`, restoring a saved state instead of re-evaluating it."""
        toks = self._tok(stable_text)
        cur = list(self.llm._input_ids[: self.llm.n_tokens])
        if cur[: len(toks)] == toks:
            return
        key = hashlib.sha256(json.dumps(toks).encode()).digest()
        if key in self._states:
            self.llm.load_state(self._states[key])
            self._states.move_to_end(key)
            self.stats["prefix_restored"] += 1
            return
        self._eval(toks)
        self._states[key] = self.llm.save_state()
        self.stats["prefix_evaluated"] += 1
        while len(self._states) > self._state_cache:
            self._states.popitem(last=False)

    def _eval(self, toks: list[int]) -> None:
        """Evaluate `toks`, reusing the longest common prefix already in the KV cache."""
        cur = self.llm._input_ids[: self.llm.n_tokens]
        lcp = 0
        for a, b in zip(cur, toks):
            if a != b:
                break
            lcp += 1
        lcp = min(lcp, len(toks) - 1)  # always evaluate at least one token so its logits are fresh
        self.llm.n_tokens = lcp
        self.stats["tokens_reused"] += lcp
        self.stats["tokens_evaluated"] += len(toks) - lcp
        self.llm.eval(toks[lcp:])

    def _new_tokens(self, prompt: str) -> int:
        """Prompt tokens llama.cpp will evaluate for `prompt` after reusing the common prefix in its KV cache."""
        toks = self._tok(prompt)
        lcp = 0
        for a, b in zip(self.llm._input_ids[: self.llm.n_tokens], toks):
            if a != b:
                break
            lcp += 1
        return max(1, len(toks) - lcp)

    def _stable_text(self, messages: list[Message], stable: int) -> str:
        return chatml(messages[:stable], open_assistant=False)

    def json(self, messages: list[Message], schema: dict[str, Any], max_tokens: int = 400, stable: int = 1) -> Any:
        from llama_cpp import LlamaGrammar

        grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        with self.lock:
            t0, before = time.perf_counter(), self.stats["tokens_evaluated"]
            self._prime(self._stable_text(messages, stable))
            prompt = chatml(messages)
            n_prompt = self._new_tokens(prompt) + self.stats["tokens_evaluated"] - before
            out = self.llm.create_completion(prompt, grammar=grammar, max_tokens=max_tokens,
                                             temperature=0.0, stop=["<|im_end|>"])
            self.usage.add("json", n_prompt, int(out["usage"]["completion_tokens"]), time.perf_counter() - t0)
        return json.loads(out["choices"][0]["text"])

    def stream(self, messages: list[Message], max_tokens: int = 120, stable: int = 1,
               stop: list[str] | None = None) -> Iterator[str]:
        """Generation runs in its own thread, which alone holds the lock: a consumer that resumes the generator
        from another thread (Gradio does) or abandons it can never leave the model locked."""
        q: queue.Queue[str | BaseException | None] = queue.Queue()

        def work() -> None:
            try:
                with self.lock:
                    t0, before, n_gen = time.perf_counter(), self.stats["tokens_evaluated"], 0
                    self._prime(self._stable_text(messages, stable))
                    prompt = chatml(messages)
                    n_prompt = self._new_tokens(prompt) + self.stats["tokens_evaluated"] - before
                    t1 = t0
                    try:
                        for chunk in self.llm.create_completion(prompt, max_tokens=max_tokens, temperature=0.0,
                                                                stop=["<|im_end|>", "<|im_start|>", *(stop or [])],
                                                                stream=True):
                            n_gen += 1
                            if n_gen == 1:  # counted at once, so a benchmark mark taken mid-stream sees the prefill
                                t1 = time.perf_counter()
                                self.usage.add("stream", n_prompt, 1, t1 - t0)
                            q.put(chunk["choices"][0]["text"])
                    finally:
                        if n_gen:
                            self.usage.extend("stream", n_gen - 1, time.perf_counter() - t1)
                        else:
                            self.usage.add("stream", n_prompt, 0, time.perf_counter() - t0)
            except BaseException as e:  # noqa: BLE001 - handed to the consumer
                q.put(e)
            finally:
                q.put(None)

        threading.Thread(target=work, daemon=True).start()
        while (piece := q.get()) is not None:
            if isinstance(piece, BaseException):
                raise piece
            yield piece

    def yes_no(self, messages: list[Message], questions: list[str], stable: int = 1) -> list[float]:
        import numpy as np

        out: list[float] = []
        with self.lock:
            t0, before = time.perf_counter(), self.stats["tokens_evaluated"]
            self._prime(self._stable_text(messages, stable))
            base = chatml(messages, open_assistant=False)
            for q in questions:
                self._eval(self._tok(base + chatml([{"role": "user", "content": q}])))
                logits = np.ctypeslib.as_array(self.llm._ctx.get_logits(), shape=(self.llm.n_vocab(),))
                m = float(logits.max())
                lse = lambda ids: m + math.log(sum(math.exp(float(logits[i]) - m) for i in ids))  # noqa: E731
                out.append(lse(self._yes) - lse(self._no))
            self.usage.add("yes_no", self.stats["tokens_evaluated"] - before, 0, time.perf_counter() - t0)
        return out


class OpenAIServerModel:
    """An OpenAI-compatible server (llama.cpp server, vLLM) through LangChain's ChatOpenAI.

    JSON answers use LangChain's structured output with the caller's JSON schema (`with_structured_output`), not a
    server's own JSON mode: 'function_calling' (default) forces a call of one tool whose parameters are the schema,
    which llama-cpp-python's server, llama.cpp's llama-server, vLLM and OpenAI all constrain; 'json_schema' sends
    OpenAI's `response_format: json_schema` (vLLM, llama-server, OpenAI; not llama-cpp-python 0.3's server)."""

    def __init__(self, base_url: str, model: str = "chatrec", api_key: str = "not-needed",
                 structured: Literal["function_calling", "json_schema"] = "function_calling") -> None:
        from langchain_openai import ChatOpenAI

        self.name = f"{base_url}#{model}"
        self.chat = ChatOpenAI(base_url=base_url, model=model, api_key=api_key, temperature=0.0, timeout=120)
        self.structured = structured
        self.usage = Usage()

    def json(self, messages: list[Message], schema: dict[str, Any], max_tokens: int = 400, stable: int = 1) -> Any:
        wrapped = schema.get("type") != "object"  # tool parameters must be an object: wrap anything else
        params = {"type": "object", "properties": {"value": schema}, "required": ["value"]} if wrapped else schema
        spec = {"title": "answer", "description": "The answer, as JSON that matches the schema.", **params}
        chat = self.chat.model_copy(update=_limit(max_tokens))
        runnable = chat.with_structured_output(spec, method=self.structured, include_raw=True)
        t0 = time.perf_counter()
        out = runnable.invoke(_lc(messages))
        um = getattr(out["raw"], "usage_metadata", None) or {}
        self.usage.add("json", int(um.get("input_tokens", 0)), int(um.get("output_tokens", 0)),
                       time.perf_counter() - t0)
        if out.get("parsing_error") is not None or out.get("parsed") is None:
            raise ValueError(f"the server's structured answer did not parse: {out.get('parsing_error')}")
        return out["parsed"]["value"] if wrapped else out["parsed"]

    def stream(self, messages: list[Message], max_tokens: int = 120, stable: int = 1,
               stop: list[str] | None = None) -> Iterator[str]:
        t0, n = time.perf_counter(), 0
        try:
            for chunk in self.chat.bind(**_limit(max_tokens), **({"stop": stop} if stop else {})).stream(_lc(messages)):
                if chunk.content:
                    n += 1
                    yield str(chunk.content)
        finally:
            self.usage.add("stream", 0, n, time.perf_counter() - t0)

    def yes_no(self, messages: list[Message], questions: list[str], stable: int = 1) -> list[float]:
        bound = self.chat.bind(**_limit(1), logprobs=True, top_logprobs=20)
        out = []
        for q in questions:
            msg = bound.invoke(_lc([*messages, {"role": "user", "content": q}]))
            top = (msg.response_metadata.get("logprobs") or {}).get("content") or [{}]
            lp: dict[str, float] = {}
            for t in top[0].get("top_logprobs", []):
                w = t["token"].strip().lower()
                lp[w] = max(lp.get(w, -1e9), t["logprob"])
            out.append(lp.get("yes", -20.0) - lp.get("no", -20.0))
        return out


def _limit(n: int) -> dict[str, Any]:
    """A token limit every server reads: langchain-openai sends OpenAI's `max_completion_tokens`, which
    llama-cpp-python's server ignores; `max_tokens` in the body is the older name it (and vLLM) still reads."""
    return {"max_tokens": n, "extra_body": {"max_tokens": n}}


def _lc(messages: list[Message]) -> list[tuple[str, str]]:
    return [(m["role"] if m["role"] != "assistant" else "ai", m["content"]) for m in messages]
