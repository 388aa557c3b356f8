"""HTML for the chat page: recommendation cards, "how I chose", the preference panel, status lines.

Every string that comes from a catalog, a user or the model goes through `esc` (html.escape): nothing a user types or
a catalog contains renders as markup. Each fragment is ONE line of HTML on purpose: the Chatbot runs messages through
Markdown, and a one-line HTML block (no blank line inside) is passed through as HTML, never re-read as Markdown.
"""
from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping
from typing import Any

from chatrec.catalog.manifest import FieldSpec, Manifest

# Parts of a reply's state that the preference panel shows, with the words it uses for them.
ITEM_LISTS = (("liked_items", "Liked"), ("disliked_items", "Not for me"), ("rejected_items", "Rejected"),
              ("owned_items", "Already have or seen"))
ATTR_KINDS = ("genres", "people", "keywords", "moods")
MAX_TAGS = 6
MAX_PEOPLE = 4


def esc(value: Any) -> str:
    """Escape anything for HTML text or a quoted attribute; newlines become <br> so the fragment stays one line."""
    return html.escape("" if value is None else str(value), quote=True).replace("\r", "").replace("\n", "<br>")


def id_class(item_id: str) -> str:
    """The item id as a CSS class (hex of its UTF-8 bytes). The Chatbot's sanitizer strips data-* attributes from
    messages but keeps classes, so cards and their buttons carry the id this way; the page's script decodes it."""
    return "cr-id-" + str(item_id).encode("utf-8").hex()


def fmt_value(spec: FieldSpec | None, value: Any) -> str:
    """A field value with its unit, as a person reads it (escaped)."""
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, list):
        return esc(", ".join(map(str, value)))
    unit = spec.unit if spec else None
    if isinstance(value, float) and value.is_integer() and unit != "USD":
        value = int(value)
    if unit == "USD":
        return esc(f"${float(value):,.2f}")
    if unit == "minutes":
        return esc(f"{value} min")
    if unit and unit != "year":
        return esc(f"{value} {unit}")
    return esc(value)


def field_label(name: str) -> str:
    label = name.replace("_usd", "").replace("_minutes", "").replace("_", " ")
    return label[:1].upper() + label[1:]


# --------------------------------------------------------------------------------------------------------------
# cards
# --------------------------------------------------------------------------------------------------------------
def card_html(rec: Mapping[str, Any], manifest: Manifest, explanation: str = "", source: str | None = None,
              feedback: str | None = None, rank: int | None = None) -> str:
    """One recommendation: title, badges (year or price, runtime...), tags, key facts, explanation, like/dislike.

    `source` is "llm" or "template" once the explanation is final and checked, None while it streams.
    `feedback` is "liked" / "disliked" when the user already gave it (the button shows pressed).
    """
    item: Mapping[str, Any] = rec.get("item") or {}
    item_id = str(rec.get("item_id") or item.get("id") or "")
    title = item.get(manifest.title_field) or rec.get("title") or item_id
    badges, tags, facts = [], [], []
    for name, spec in manifest.fields.items():
        value = item.get(name)
        if name == manifest.title_field or spec.display in ("hidden", "title", "text") or value in (None, "", []):
            continue
        if spec.display == "badge":
            badges.append(f'<span class="cr-badge cr-badge-{esc(name)}" title="{esc(field_label(name))}">'
                          f"{fmt_value(spec, value)}</span>")
        elif spec.display == "tags":
            vals = value if isinstance(value, list) else [value]
            tags += [f'<span class="cr-tag">{esc(v)}</span>' for v in vals[:max(0, MAX_TAGS - len(tags))]]
        elif spec.display == "fact":
            vals = value if isinstance(value, list) else [value]
            shown = ", ".join(map(str, vals[:MAX_PEOPLE])) + (" ..." if len(vals) > MAX_PEOPLE else "")
            facts.append(f'<span class="cr-fact"><b>{esc(field_label(name))}:</b> {esc(shown)}</span>')
    if explanation:
        expl = esc(explanation)
        note = ("" if source is None else
                f'<span class="cr-src" title="explanation checked against the item\'s facts">'
                f'{"checked" if source == "llm" else "from the facts"}</span>')
        expl_html = f'<p class="cr-expl{" cr-streaming" if source is None else ""}">{expl}{note}</p>'
    else:
        expl_html = '<p class="cr-expl cr-pending">writing an explanation...</p>'
    liked, disliked = feedback == "liked", feedback == "disliked"
    num = f'<span class="cr-rank">{rank}</span>' if rank else ""
    cid = id_class(item_id)
    return (f'<div class="cr-card {cid}{" cr-disliked" if disliked else ""}{" cr-liked" if liked else ""}">'
            f'<div class="cr-head">{num}<span class="cr-title">{esc(title)}</span>{"".join(badges)}</div>'
            + (f'<div class="cr-tags">{"".join(tags)}</div>' if tags else "")
            + (f'<div class="cr-facts">{" ".join(facts)}</div>' if facts else "")
            + expl_html
            + '<div class="cr-actions">'
            f'<button type="button" class="cr-fb cr-like {cid}{" cr-on" if liked else ""}" title="More like this">'
            f'&#10003; Like</button>'
            f'<button type="button" class="cr-fb cr-dislike {cid}{" cr-on" if disliked else ""}" '
            f'title="Not for me">&#10005; Not for me</button></div></div>')


def reply_html(intro: str, cards: Iterable[str], notices: Iterable[str] = (), status: str = "") -> str:
    """The assistant's message for one turn: a sentence, the cards, any notices, a status line while working."""
    parts = [f'<div class="cr-reply"><p class="cr-intro">{esc(intro)}</p>']
    cards = list(cards)
    if cards:
        parts.append(f'<div class="cr-cards">{"".join(cards)}</div>')
    parts += [f'<p class="cr-notice">{esc(n)}</p>' for n in notices if n]
    if status:
        parts.append(f'<p class="cr-status">{esc(status)}</p>')
    parts.append("</div>")
    return "".join(parts)


def text_html(text: str, cls: str = "cr-text") -> str:
    """Plain text (a user message, an answer, an error) shown literally: escaped, one line."""
    return f'<div class="{esc(cls)}">{esc(text)}</div>'


def reasoning_html(steps: Iterable[Mapping[str, Any]]) -> str:
    """The real steps of a turn (understand, filter, retrieve, rank) with their counts, as an ordered list."""
    names = {"understand": "Understood", "filter": "Hard constraints", "retrieve": "Retrieved",
             "rank": "Ranked the finalists", "answer": "Answered"}
    rows = []
    for s in steps:
        counts = s.get("counts") or {}
        shown = ", ".join(f"{esc(k.replace('_', ' '))} {esc(_num(v))}" for k, v in counts.items()
                          if k not in ("llm_used",))
        detail = str(s.get("detail") or "")
        if s.get("name") == "rank":  # one finalist per line reads better than a long '; '-joined sentence
            body = "".join(f"<li>{esc(p)}</li>" for p in detail.split("; ") if p)
            detail_html = f"<ol class='cr-finalists'>{body}</ol>"
        else:
            detail_html = esc(detail)
        rows.append(f'<li><b>{esc(names.get(str(s.get("name")), s.get("name")))}</b>: {detail_html}'
                    + (f' <span class="cr-counts">({shown})</span>' if shown else "") + "</li>")
    return f'<ol class="cr-reasoning">{"".join(rows)}</ol>'


def _num(v: Any) -> str:
    if isinstance(v, float) and math.isfinite(v) and v.is_integer():
        return str(int(v))
    return f"{v:g}" if isinstance(v, float) else str(v)


# --------------------------------------------------------------------------------------------------------------
# preference panel
# --------------------------------------------------------------------------------------------------------------
def _chip(label: str, kind: str, value: str, extra: str = "") -> str:
    return (f'<li class="cr-pref" data-cr-kind="{esc(kind)}" data-cr-value="{esc(value)}">'
            f'<span class="cr-pref-label">{esc(label)}</span>{extra}'
            f'<button type="button" class="cr-remove" data-cr-remove="1" data-cr-kind="{esc(kind)}" '
            f'data-cr-value="{esc(value)}" title="Remove" aria-label="Remove {esc(label)}">&#215;</button></li>')


def describe_constraint(name: str, c: Mapping[str, Any], manifest: Manifest) -> str:
    """'Runtime: at most 120 min', 'Genres: not Horror, Romance' - plain words for one hard constraint."""
    spec = manifest.fields.get(name)
    parts = []
    lo, hi = c.get("min"), c.get("max")
    if lo is not None and hi is not None:
        parts.append(f"{_plain(spec, lo)} to {_plain(spec, hi)}")
    elif lo is not None:
        parts.append(f"at least {_plain(spec, lo)}")
    elif hi is not None:
        parts.append(f"at most {_plain(spec, hi)}")
    if c.get("include"):
        parts.append("only " + ", ".join(map(str, c["include"])))
    if c.get("exclude"):
        parts.append("not " + ", ".join(map(str, c["exclude"])))
    return f"{field_label(name)}: " + "; ".join(parts)


def _plain(spec: FieldSpec | None, v: Any) -> str:
    return html.unescape(fmt_value(spec, v))


def preferences_html(state: Mapping[str, Any] | None, manifest: Manifest | None,
                     titles: Mapping[str, str] | None = None, note: str = "") -> str:
    """What chatrec believes right now about this user, each entry with a remove button (data-cr-remove)."""
    if not state or manifest is None:
        return ('<div class="cr-prefs" data-cr-empty="1"><p class="cr-muted">Nothing yet. Tell me what you like, '
                "or use the filters: what I learn shows up here, and you can remove anything.</p></div>")
    titles = titles or {}
    sections = []
    for key, label in ITEM_LISTS:
        ids = state.get(key) or []
        if ids:
            chips = "".join(_chip(titles.get(i, i), key, i) for i in ids)
            sections.append(f'<div class="cr-sec" data-cr-sec="{key}"><h4>{esc(label)}</h4><ul>{chips}</ul></div>')
    cons = {k: c for k, c in (state.get("constraints") or {}).items()
            if c and (c.get("min") is not None or c.get("max") is not None or c.get("include") or c.get("exclude"))}
    if cons:
        chips = "".join(_chip(describe_constraint(k, c, manifest), "constraints", k) for k, c in cons.items())
        sections.append('<div class="cr-sec" data-cr-sec="constraints"><h4>Must (hard limits)</h4>'
                        f'<ul>{chips}</ul><p class="cr-muted">Edit these with the filters below.</p></div>')
    for key, label in (("liked_attributes", "Wants"), ("disliked_attributes", "Avoids")):
        attrs = state.get(key) or {}
        chips = "".join(_chip(v, f"{key}.{kind}", v, f' <span class="cr-kind">{esc(kind)}</span>')
                        for kind in ATTR_KINDS for v in attrs.get(kind) or [])
        if key == "liked_attributes":
            chips += "".join(_chip(v, "soft_preferences", v, ' <span class="cr-kind">mood</span>')
                             for v in state.get("soft_preferences") or [])
        if chips:
            sections.append(f'<div class="cr-sec" data-cr-sec="{key}"><h4>{esc(label)}</h4><ul>{chips}</ul></div>')
    if not sections:
        sections.append('<p class="cr-muted">No preferences yet: ask for something, like or dislike a card, or '
                        "set a filter.</p>")
    head = f'<p class="cr-note">{esc(note)}</p>' if note else ""
    return f'<div class="cr-prefs" data-cr-catalog="{esc(state.get("catalog"))}">{head}{"".join(sections)}</div>'


def status_html(stage: str, done: int, total: int, ready: bool, error: str | None = None,
                elapsed: float = 0.0) -> str:
    """The loading line at the top of the page: what is being prepared, with a progress bar."""
    if error:
        return (f'<div class="cr-statusbar cr-error" data-cr-ready="error"><b>Could not start:</b> {esc(error)}'
                "</div>")
    if ready:
        return f'<div class="cr-statusbar cr-ready" data-cr-ready="1">{esc(stage)}</div>'
    pct = int(100 * done / total) if total else 0
    return (f'<div class="cr-statusbar cr-loading" data-cr-ready="0"><span class="cr-spinner"></span>'
            f"<b>Preparing chatrec</b> (first start): {esc(stage)} "
            f'<progress max="100" value="{pct}">{pct}%</progress> {pct}% &middot; {int(elapsed)} s</div>')
