"""A fake chat model for unit tests of turn logic (the pattern of simonw/llm's MockModel): queued canned answers,
every call recorded. It implements the same seam as chatrec/llm/models.py's backends (json, stream, yes_no, name,
usage),
so a Recommender built on it runs every rule, filter, ranker and template without loading a GGUF model.

It proves what code does with an answer, never what a model would answer: behaviour is tested with the real model.
"""
from __future__ import annotations

import json as jsonlib
import re
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from chatrec.llm.models import Message, Usage

Kind = Literal["json", "stream", "yes_no"]


@dataclass
class Call:
    """One call the code made: its kind, the messages and what else it passed."""

    kind: Kind
    messages: list[Message]
    max_tokens: int | None = None
    stable: int = 1
    schema: dict[str, Any] | None = None
    questions: list[str] = field(default_factory=list)
    stop: list[str] | None = None
    answer: Any = None

    @property
    def prompt(self) -> str:
        """The last user message: what was asked this time."""
        return next((m["content"] for m in reversed(self.messages) if m["role"] == "user"), "")


class UnexpectedCall(AssertionError):
    """The code asked the fake model something no answer was queued for (and no default was given)."""


class FakeChatModel:
    """Answers from queues, one per kind of call, first in first out; `calls` records every call in order.

    When a queue is empty the kind's default answers: a value, or a function of the Call (e.g. zeros for yes_no).
    With no default an unexpected call raises UnexpectedCall, so a test also proves which calls were made.
    """

    def __init__(self, json: list[Any] | None = None, stream: list[str] | None = None,
                 yes_no: list[list[float]] | None = None, *, name: str = "fake",
                 defaults: dict[Kind, Any] | None = None) -> None:
        self.name = name
        self.queues: dict[Kind, deque[Any]] = {"json": deque(json or []), "stream": deque(stream or []),
                                               "yes_no": deque(yes_no or [])}
        self.defaults: dict[Kind, Any] = dict(defaults or {})
        self.calls: list[Call] = []
        self.usage = Usage()
        self._lock = threading.Lock()

    @classmethod
    def silent(cls, name: str = "fake") -> "FakeChatModel":
        """A model that never helps: empty JSON proposals, no text, no preference. Code falls back to its rules and
        templates, which is what rules-only tests of a whole Recommender want."""
        return cls(name=name, defaults={"json": _empty_for_schema, "stream": "",
                                        "yes_no": lambda c: [0.0] * len(c.questions)})

    def enqueue(self, kind: Kind, *answers: Any) -> "FakeChatModel":
        """Queue answers for the next calls of `kind` (JSON values, stream texts, or lists of log-odds)."""
        self.queues[kind].extend(answers)
        return self

    def of(self, kind: Kind) -> list[Call]:
        return [c for c in self.calls if c.kind == kind]

    def _answer(self, call: Call) -> Any:
        with self._lock:
            self.calls.append(call)
            if self.queues[call.kind]:
                call.answer = self.queues[call.kind].popleft()
            elif call.kind in self.defaults:
                d = self.defaults[call.kind]
                call.answer = d(call) if callable(d) else d
            else:
                raise UnexpectedCall(f"unexpected {call.kind} call (nothing queued): {call.prompt[:200]!r}")
        return call.answer

    # -- the ChatModel seam ---------------------------------------------------------------------------------------
    def json(self, messages: list[Message], schema: dict[str, Any], max_tokens: int = 400, stable: int = 1) -> Any:
        out = self._answer(Call("json", list(messages), max_tokens, stable, schema=schema))
        self.usage.add("json", _words(messages), len(jsonlib.dumps(out).split()), 0.0)
        return jsonlib.loads(jsonlib.dumps(out))  # a fresh copy, as a parsed model answer would be

    def stream(self, messages: list[Message], max_tokens: int = 120, stable: int = 1,
               stop: list[str] | None = None) -> Iterator[str]:
        text = str(self._answer(Call("stream", list(messages), max_tokens, stable, stop=stop)))
        cut = min((text.find(s) for s in stop or [] if s in text), default=len(text))
        pieces = re.findall(r"\s*\S+", text[:cut])  # word by word, as tokens arrive
        self.usage.add("stream", _words(messages), len(pieces), 0.0)
        yield from pieces

    def yes_no(self, messages: list[Message], questions: list[str], stable: int = 1) -> list[float]:
        out = [float(x) for x in self._answer(Call("yes_no", list(messages), None, stable,
                                                   questions=list(questions)))]
        if len(out) != len(questions):
            raise UnexpectedCall(f"yes_no answer has {len(out)} scores for {len(questions)} questions")
        self.usage.add("yes_no", _words(messages), 0, 0.0)
        return out


def _words(messages: list[Message]) -> int:
    return sum(len(m["content"].split()) for m in messages)


def _empty_for_schema(call: Call) -> Any:
    """The emptiest value that fits an object schema: [] for arrays, None where null is allowed, first enum value."""
    schema = call.schema or {}
    return {k: _empty(v) for k, v in schema.get("properties", {}).items()}


def _empty(spec: dict[str, Any]) -> Any:
    types = spec.get("type")
    types = types if isinstance(types, list) else [types]
    if "array" in types:
        return []
    if "null" in types:
        return None
    if "enum" in spec:
        return spec["enum"][0]
    if "object" in types:
        return {k: _empty(v) for k, v in spec.get("properties", {}).items()}
    if "string" in types:
        return ""
    return 0 if ("integer" in types or "number" in types) else None

