"""The model call that words the explanations, and how its streamed answer becomes checked card text.

One streamed call explains every card of a turn (`explain_all`): a stable system prompt and worked example, then a
compact brief of each shown item, answered as a numbered list whose lines stream into their cards. Each line is
fact-checked as soon as it ends, so a card settles while the others are still being written; a line that fails
falls back to the fact-only template. Why one call: on a 2-core CPU every call pays its prompt's prefill again.
`explain` (one call per item) is the legacy path, kept for the benchmark.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import DialogueState
from chatrec.explain.cache import PhraseCache
from chatrec.explain.compose import batch_messages, prompt, template
from chatrec.explain.factcheck import check, misplaced
from chatrec.explain.ties import ties
from chatrec.llm.models import ChatModel

log = logging.getLogger(__name__)


def explain(llm: ChatModel | None, catalog: Catalog, item: dict[str, Any], state: DialogueState, message: str,
            components: dict[str, float]) -> Iterator[tuple[str, bool | None]]:
    """Yield (text, None) pieces while the LLM writes, then (final_text, from_llm) once checked."""
    if llm is None:
        yield template(catalog, item, state, components), False
        return
    buf = ""
    try:
        for piece in llm.stream(prompt(catalog, item, state, message), max_tokens=48, stable=1):
            buf += piece
            yield piece, None
    except Exception:  # a failing model must not cost the user the recommendation
        buf = ""
    text = _clean(buf)
    if text and not check(text, item, catalog):
        yield text, True
    else:
        yield template(catalog, item, state, components), False


def _clean(raw: str) -> str:
    """Whole sentences spoken to 'you', or '' when nothing whole is left."""
    text = re.sub(r"\s+", " ", raw).strip().strip('"')
    # the model sometimes narrates ("fits the user's desire"): speak to the person instead
    text = re.sub(r"\b(?:the|this) user\b", "you", re.sub(r"\bthe user's", "your", text, flags=re.I), flags=re.I)
    if text and not re.search(r"[.!?][\"')]?$", text):  # cut off by the token limit: keep whole sentences only
        ends = [m.end() for m in re.finditer(r"[.!?](?=\s)", text)]
        text = text[: ends[-1]] if ends else ""
    return text


def _hook(raw: str, item: dict[str, Any], catalog: Catalog) -> str:
    """The model's phrase as the opening sentence: one line, capitalised, full stop; '' if it is not a phrase of
    its own (an echo of the brief, a title, a cut-off list)."""
    text = re.sub(r"\s+", " ", raw).strip().strip('"').rstrip(".;,")
    if not text or "|" in text or ":" in text or len(text.split()) < 4 or len(text.split()) > 24:
        return ""
    if text.split()[-1] in {"the", "a", "an", "and", "of", "to", "with", "in", "on", "for", "his", "her"}:
        return ""  # cut off by the token limit (a capitalised last word ends a title: "... Shoes On")
    return text[0].upper() + text[1:] + "."


def explain_all(llm: ChatModel | None, catalog: Catalog, items: list[dict[str, Any]], state: DialogueState,
                components: list[dict[str, float]],
                cache: PhraseCache | None = None) -> Iterator[tuple[int, str, bool | None]]:
    """Explain every card with at most ONE streamed call. Yields (index, piece, None) while item `index`'s phrase
    is written and (index, final_text, from_llm) as soon as that line is complete and checked: the model's phrase
    followed by code's ties to the user, or the template where the phrase fails the check. Cards whose phrase is
    cached settle at once; only the others go to the model."""
    tie_lists = [ties(catalog, it, state, c)[:2] for it, c in zip(items, components)]
    done: dict[int, str] = {}

    def settle(n: int, hook: str) -> tuple[int, str, bool]:
        done[n] = hook + "".join(f" {t}." for t in tie_lists[n])
        return n, done[n], True

    def final(n: int, raw: str) -> tuple[int, str, bool]:
        hook = _hook(raw, items[n], catalog)
        problems = check(hook, items[n], catalog) if hook else ["not a phrase of its own"]
        slip = misplaced(hook, n, items, catalog) if hook else None
        if slip:
            problems.append(f"describes another card ({slip})")
        if llm is not None and problems:
            log.info("explanation for %s falls back to the template (%s): %r", items[n]["id"], "; ".join(problems), raw)
        if not problems:
            if cache is not None:
                cache.put(catalog.name, items[n]["id"], hook)
            return settle(n, hook)
        done[n] = template(catalog, items[n], state, components[n])
        return n, done[n], False

    if llm is None or not items:
        for n in range(len(items)):
            yield final(n, "")
        return
    for n, it in enumerate(items):
        hit = cache.get(catalog.name, it["id"]) if cache is not None else None
        if hit:
            yield settle(n, hit)
    todo = [n for n in range(len(items)) if n not in done]  # the model sees these, numbered 1..len(todo)
    if not todo:
        return
    buf, sent = "", {}  # sent: index -> characters of its line already streamed
    line = re.compile(r"^\s*(\d+)\s*[.):]\s?(.*)$")

    def index(row: str) -> tuple[int, str] | None:
        m = line.match(row)
        if not m or not 1 <= int(m.group(1)) <= len(todo) or todo[int(m.group(1)) - 1] in done:
            return None
        return todo[int(m.group(1)) - 1], m.group(2)
    blank = DialogueState(catalog=catalog.name)  # the prompt holds nothing of the user: phrases can be shared
    try:
        stop = [f"\n{len(todo) + 1}."]
        for piece in llm.stream(batch_messages(catalog, [items[n] for n in todo], blank),
                                max_tokens=24 * len(todo) + 8, stable=3, stop=stop):
            buf += piece
            rows = buf.split("\n")
            for k, row in enumerate(rows):
                got = index(row)
                if got is None:
                    continue
                n, body = got
                if len(body) > sent.get(n, 0):
                    yield n, body[sent.get(n, 0):], None
                    sent[n] = len(body)
                if k < len(rows) - 1:  # the line ended: check it now, so its card settles while others stream
                    yield final(n, body)
    except Exception:  # noqa: BLE001 - a failing model must not cost the user the recommendations
        pass
    for row in buf.split("\n"):
        got = index(row)
        if got is not None:
            yield final(*got)
    for n in range(len(items)):
        if n not in done:
            yield final(n, "")
