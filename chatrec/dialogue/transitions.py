"""Every change to a session's DialogueState, in one module: what a message was read as, a thumbs up or down, a
recorded turn, the cards shown. Readers (read/understand.py, read/commands.py) only describe a change; these
functions make
it, so a rule about the state (a liked item is no longer disliked, an excluded genre is no wish) lives in one place."""
from __future__ import annotations

from chatrec.dialogue.state import Constraint, DialogueState, Turn
from chatrec.dialogue.understanding import Understanding


def _add(lst: list[str], values: list[str]) -> None:
    lst.extend(v for v in values if v not in lst)


def _kind(u: Understanding, a: str) -> str:
    """The state list an attribute belongs to: what understand recorded, else guessed from its shape (an
    Understanding built by hand: one capitalised word a genre, several a person, lower case a keyword)."""
    if a in u.attribute_kinds:
        return u.attribute_kinds[a]
    if a[:1].isupper():
        return "genres" if " " not in a else "people"
    return "keywords"


def apply_understanding(u: Understanding, state: DialogueState) -> None:
    """Fold a checked Understanding into the session's state (the only place the LLM's reading lands)."""
    _add(state.liked_items, u.liked_items)
    _add(state.disliked_items, u.disliked_items)
    _add(state.rejected_items, u.rejected_items)
    _add(state.owned_items, u.owned_items)
    state.stars_out_of_5.update(u.stars)
    for i in u.disliked_items + u.rejected_items:
        if i in state.liked_items:
            state.liked_items.remove(i)
    for i in u.liked_items:
        for lst in (state.disliked_items, state.rejected_items):
            if i in lst:
                lst.remove(i)
    for r in u.removed_constraints:
        if ":" in r:
            f, v = r.split(":", 1)
            if f in state.constraints and v in state.constraints[f].exclude:
                state.constraints[f].exclude.remove(v)
        else:
            state.constraints.pop(r, None)
    for name, c in u.constraint_changes.items():
        cur = state.constraints.setdefault(name, Constraint())
        if c.min is not None or c.max is not None:  # a new bound replaces the old; a crossed old bound goes
            keep_min = c.max is None or cur.min is None or cur.min <= c.max
            keep_max = cur.max is None or c.min is None or cur.max >= c.min
            cur.min = c.min if c.min is not None else (cur.min if keep_min else None)
            cur.max = c.max if c.max is not None else (cur.max if keep_max else None)
        if c.include:
            cur.include = sorted({*c.include})
            cur.exclude = [x for x in cur.exclude if x not in c.include]
        if c.exclude:
            cur.exclude = sorted({*cur.exclude, *c.exclude})
            cur.include = [x for x in cur.include if x not in c.exclude]
    excluded_genres = {g for c in state.constraints.values() for g in c.exclude}
    for a in u.liked_attributes:
        if a not in excluded_genres:
            _add(getattr(state.liked_attributes, _kind(u, a)), [a])
    for a in u.disliked_attributes:
        _add(getattr(state.disliked_attributes, _kind(u, a)), [a])
    for g in excluded_genres:
        if g in state.liked_attributes.genres:
            state.liked_attributes.genres.remove(g)
    if u.about_item:
        state.focus_item = u.about_item


def apply_feedback(state: DialogueState, item_id: str, liked: bool) -> None:
    """Thumbs up or down: a liked item leaves the disliked and rejected lists, a disliked one the liked list."""
    if liked:
        _add(state.liked_items, [item_id])
        for lst in (state.disliked_items, state.rejected_items):
            if item_id in lst:
                lst.remove(item_id)
    else:
        _add(state.disliked_items, [item_id])
        if item_id in state.liked_items:
            state.liked_items.remove(item_id)


def record_turn(state: DialogueState, role: str, text: str, item_ids: list[str] | None = None) -> None:
    """A message of the conversation, kept for the explanation prompt and the 'would I like it' request."""
    state.turns.append(Turn(role=role, text=text, item_ids=item_ids or []))  # type: ignore[arg-type]


def record_shown(state: DialogueState, item_ids: list[str]) -> None:
    """The cards of this turn: what 'the second one' points at next, and what counts as already shown."""
    state.last_recommended = list(item_ids)
    _add(state.shown_items, item_ids)
    state.focus_item = None
