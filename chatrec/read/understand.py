"""From a user's words to a state update: code reads what it can, the model is asked only about the rest.

The reader (reader.py, constraints.py, mentions.py) reads titles, people, vocabulary values and their synonyms,
quantities, dates, comparisons and negations from the catalog's manifest words. What it could not place may go to
the LLM (proposals.py), and every value the model proposes is kept only if it is grounded in the user's text and
valid for the catalog.
"""
from __future__ import annotations

import re
from typing import Any

from chatrec.catalog.catalog import Catalog, norm_title
from chatrec.dialogue.state import Constraint, DialogueState
from chatrec.dialogue.transitions import apply_understanding as apply  # noqa: F401 - the state changes in one place
from chatrec.dialogue.understanding import Understanding
from chatrec.llm.models import ChatModel
from chatrec.present.suggestions import decade_note
from chatrec.read.constraints import negated_decade, rule_constraints
from chatrec.read.degree import degrees, stems
from chatrec.read.degree import note as degree_note
from chatrec.read.language import detect, read_language
from chatrec.read.lexicon import CUE_WORDS, FUNCTION_WORDS, unplaced_words
from chatrec.read.mentions import (
    OWNED_CUE,
    QUESTION,
    _mask_titles,
    _position,
    about_themes,
    after_verdict,
    mentioned_positions,
    mentioned_titles,
    owned_mentions,
    series_mentions,
    star_ratings,
)
from chatrec.read.people import People, find_people, people_index, resolve
from chatrec.read.proposals import LlmMode, grounded, llm_place, llm_propose
from chatrec.read.reader import Mention, find_mentions, fix_negation_typos, mask, negated, neutral, scope_at

RECOMMEND_CUE = re.compile(r"\b(recommend|suggest|something|anything|another|others?|more like|show me|give me|"
                           r"looking for|in the mood|want|instead|options?|ideas?|older|newer|shorter|longer|"
                           r"cheaper)\b", re.I)


FIT_QUESTION = re.compile(r"\b(how (would|will|do you think|many stars would) (i|i'?d) (rate|like|enjoy|find|give)|"
                          r"how many stars (would|will|do you think)|would i (like|enjoy|love|rate|hate)|"
                          r"will i (like|enjoy|love|hate)|do you think i'?d (like|enjoy|love)|"
                          r"is .{1,60}? (for me|my kind of|my type)|should i (watch|see|play|try|buy|get))\b", re.I)


SMALL_TALK = re.compile(r"^\W*(?:(?:hi|hello|hey|yo|thanks|thank you|thx|ok|okay|cool|great|nice|bye|good "
                        r"(?:morning|evening|night)|how are you(?: doing)?|sup|cheers|there|you|so|and|well|"
                        r"so much|very much|"
                        r"a lot)\W*)+$", re.I)


DISLIKE_CUE = re.compile(r"\b(hated|didn'?t like|disliked|boring|awful|terrible|not a fan|not that|seen it|"
                         r"already seen|"
                         r"watched it)\b")


def _where(low: str, catalog: Catalog, titles: list[str],
           series: list[tuple[int, list[str]]]) -> dict[str, tuple[int, int]]:
    """(start, length) of each named item in the lower-cased message; a series' items sit where the series is named."""
    out = {}
    for iid in titles:
        title = catalog.title(catalog.by_id[iid]).lower()
        at = low.find(title)
        if at < 0:  # written without its article or punctuation: "Godfather" for "The Godfather"
            words = r"[^a-z0-9]+".join(map(re.escape, norm_title(title).split()))
            m = re.search(rf"(?<![a-z0-9]){words}(?![a-z0-9])", low) if words else None
            out[iid] = (m.start(), m.end() - m.start()) if m else (-1, 0)
        else:
            out[iid] = (at, len(title))
    for start, ids in series:
        for iid in ids:
            out.setdefault(iid, (start, 0))
    return out


def _title_spans(text: str, catalog: Catalog) -> list[tuple[int, int]]:
    """Where the catalog's titles are written: kept as written when a message is read from another language."""
    where = _where(text.lower(), catalog, mentioned_titles(text, catalog), [])
    return [(a, a + n) for a, n in where.values() if a >= 0 and n]


UNSEEN = re.compile(r"(?:\b(?:not|never)|n'?t)\s+(?:[a-z]+\s+){0,2}$")  # "haven't seen", 'have never really seen'


def _judge_items(u: Understanding, text: str, low: str, catalog: Catalog, where: dict[str, tuple[int, int]]) -> None:
    """Liked, disliked or owned (seen, bought: no taste signal, never recommended), each named item by its own
    clause: a verdict right after it ('Heat was boring'), else an ownership word before it ('I've seen all the Star
    Wars movies'; not when negated: 'can't say I have seen it'), else a negative cue before it."""
    own = "|".join(re.escape(w) for w in catalog.lexicon.ownership) or r"(?!x)x"
    u.owned_items += [i for i in owned_mentions(text, catalog) if i not in u.owned_items]
    for iid, (i, n) in where.items():
        if iid in u.owned_items or iid in u.stars:
            continue
        before = low[max(0, i - 50): i] if i >= 0 else low
        before = re.split(r"\b(?:but|whereas|while)\b|[.;!?]", before)[-1]  # this clause only
        after = low[i + n: i + n + 35] if i >= 0 else ""
        verdict = after_verdict(after)
        owned = re.search(rf"\b(?:{own})\b(?:\s+(?:it|all|of|the|both|every|each)){{0,3}}\s*$", before)
        if verdict:
            (u.liked_items if verdict == "liked" else u.disliked_items).append(iid)
        elif re.search(r"\bthan\s*$", before) or owned and (negated(before, owned.start(), catalog.lexicon) or
                                                            neutral(before, owned.start(), catalog.lexicon) or
                                                            UNSEEN.search(before[: owned.start()])):
            continue  # a comparison's reference ('newer than Granary') or "can't say I have seen it": no signal
        elif owned or re.match(r"\s+(?:already|before)\b", after):
            u.owned_items.append(iid)
        elif DISLIKE_CUE.search(before) or i >= 0 and negated(low, i, catalog.lexicon):
            u.disliked_items.append(iid)
        else:
            u.liked_items.append(iid)


def _proposed_titles(u: Understanding, proposal: dict[str, Any], text: str, catalog: Catalog,
                     titles: list[str]) -> None:
    """Titles the model read, kept when the message writes them and the catalog has them; code judges each by its
    own clause, as a title it read itself (ReDial replay: the model called "didn't like O (2001)" liked)."""
    found: dict[str, bool] = {}  # id -> the model's verdict, used only where the title's place is not found
    for t in proposal.get("liked_titles", []) + proposal.get("disliked_titles", []):
        m = re.match(r"^(.*?)\s*\((\d{4})\)\s*$", t or "")
        iid = catalog.find_title(m.group(1), int(m.group(2))) if m else catalog.find_title(t)
        if iid and iid not in titles and _written(norm_title(t), norm_title(text)):
            found.setdefault(iid, t in proposal.get("liked_titles", []))
        elif t and not iid and t[:1].isupper() and t in text and len(t.split()) <= 6:
            u.notes.append(f"'{t}' is not in the {catalog.manifest.name} catalog")
    where = _where(text.lower(), catalog, list(found), [])
    _judge_items(u, text, text.lower(), catalog, {i: w for i, w in where.items() if w[0] >= 0})
    for iid, liked in found.items():
        if where[iid][0] < 0 and iid not in u.liked_items + u.disliked_items:
            (u.liked_items if liked else u.disliked_items).append(iid)


def _written(title: str, text: str) -> bool:
    """A title the model read counts only written as whole words, with a word of its own: "The One" (read from
    'that one' in a ReDial replay) and "Love" are everyday words; a one-letter title ("O") needs its year."""
    own = [w for w in title.split() if len(w) > 1 and w not in FUNCTION_WORDS and w not in CUE_WORDS]
    return bool(own) and re.search(rf"(?<![a-z0-9]){re.escape(title)}(?![a-z0-9])", text) is not None


def _proposed_values(u: Understanding, proposal: dict[str, Any], low: str, catalog: Catalog, mentions: list[Mention],
                     rules: dict[str, Constraint], skip: set[str]) -> None:
    """Numbers and vocabulary values the model proposed, kept only when the message states them: a number with its
    unit (number words count), an excluded value under a negation, a wanted value written in the message."""
    for name, spec in catalog.manifest.filterable().items():
        if spec.filter == "range":
            unit = spec.unit or ""
            suffix = "" if name.endswith(unit.lower()) or unit in ("", "year") else f"_{unit.lower()}"
            for b in ("min", "max"):
                v = proposal.get(f"{b}_{name}{suffix}")
                if not v or name in rules or name in skip:  # code's reading wins outright
                    continue
                if unit == "minutes" and 0 < v <= 6 and re.search(r"\bhours?\b", low):
                    u.notes.append(f"read {b} {name}={v} as {v * 60} minutes")
                    v = v * 60
                lo, hi = spec.minimum, spec.maximum
                if not grounded(v, low, unit) or (lo is not None and v < lo) or (hi is not None and v > hi):
                    continue  # not stated in the message: a guess, dropped
                setattr(rules.setdefault(name, Constraint()), b, float(v))
        elif spec.vocabulary:
            _proposed_polarity(u, proposal, name, [m for m in mentions if m.field == name], rules)


def _proposed_polarity(u: Understanding, proposal: dict[str, Any], name: str, said: list[Mention],
                       rules: dict[str, Constraint]) -> None:
    """The model may add, never flip. A value it reads as the rules do is kept (ruled out, or wanted); where it
    reads a value the other way round, the stricter reading wins (ruled out) and the notes say so: the user said
    no, so it is not shown. A value the message does not name is a guess, and dropped."""
    negs = {m.value: {x.negated for x in said if x.value == m.value} for m in said}
    phrase = {m.value: m.phrase for m in said}
    c = rules.setdefault(name, Constraint())
    for g in proposal.get(f"excluded_{name}", []):
        if g not in negs or g in c.exclude:
            continue
        if True not in negs[g]:  # the rules read a plain wish ('a romantic movie'), the model a refusal
            u.notes.append(f"'{phrase[g]}': the model read no {g}, the rules a wish for it; I kept the stricter "
                           f"reading (no {g})")
        c.exclude = sorted({*c.exclude, g})
        c.include = [x for x in c.include if x != g]
    for g in proposal.get(f"wanted_{name}", []):
        if g in c.exclude:  # the rules read a refusal ('never want horror'): it stays one
            u.notes.append(f"'{phrase.get(g, g)}': the model read a wish for {g}, the rules a refusal; I kept the "
                           f"stricter reading (no {g})")
        elif False in negs.get(g, ()):
            _attr(u, g, "genres")
    if c.is_empty():
        rules.pop(name)


def _attr(u: Understanding, value: str, kind: str, liked: bool = True) -> None:
    target = u.liked_attributes if liked else u.disliked_attributes
    if value not in target:
        target.append(value)
        u.attribute_kinds[value] = kind


def _soft_wishes(u: Understanding, low: str, mentions: list[Mention], catalog: Catalog,
                 rules: dict[str, Constraint]) -> None:
    """Values said plainly in a 'soft' field ('something funny') are wishes; keywords and tags items share are
    wanted or, under a negation ('anything but superhero movies'), avoided. 'Less romance' is neither; what the
    user says they own ('I bought cleats') is not a wish for more of it."""
    fields = catalog.manifest.fields
    owned = [m.span("things") for m in OWNED_CUE.finditer(low)]
    for m in mentions:
        spec = fields.get(m.field or "")
        if spec is None or m.value in spec.phrases or m.neutral or re.search(r"\b(?:less|fewer)\s+$", low[:m.start]):
            continue
        if spec.filter == "member" and any(a <= m.start < b for a, b in owned):
            continue
        if spec.filter == "include_exclude" and spec.mention == "soft" and not m.negated and \
                m.value not in rules.get(m.field or "", Constraint()).exclude:
            _attr(u, m.value, "genres")
        elif spec.filter == "member":
            _attr(u, m.value, "keywords", liked=not m.negated)


def _people_and_themes(u: Understanding, proposal: dict[str, Any], text: str, low: str, catalog: Catalog,
                       people: People) -> None:
    """People the catalog knows (read by code, by full name, surname or with a typo, or proposed and checked) and
    themes asked with 'about' (or proposed and written in the message); each wanted, or avoided when a negation
    reaches it. A surname several people share is asked about, not guessed."""
    lex = catalog.lexicon
    for p in people.found:
        if neutral(low, p.start, lex):  # "I haven't seen anything by Nolan": no wish either way
            continue
        if p.name not in u.liked_attributes and p.name not in u.disliked_attributes:
            _attr(u, p.name, "people", liked=not negated(low, p.start, lex))
    u.notes += [q for q in people.questions if q not in u.notes]
    for name in proposal.get("people", []):
        p = resolve(str(name), catalog)
        at = re.search(rf"\b{re.escape(p.lower())}(?!\w)", low) if p else None
        if p and at and p not in u.liked_attributes and p not in u.disliked_attributes:
            _attr(u, p, "people", liked=not negated(low, at.start(), lex))
    # a theme the model proposes counts only as a trait some item carries, as "about" themes do: in a replay of
    # ReDial the model turned filler ('greetings', 'wondering', 'help', 'good taste') into wishes (docs/results.md 2b)
    proposed = [str(k).lower().strip() for k in proposal.get("themes_and_moods", [])]
    proposed = [k[:-1] if k.endswith("s") and k not in catalog.attribute_index else k for k in proposed]
    proposed = [k for k in proposed if k in catalog.attribute_index and k not in catalog.people and  # 'good', 'love':
                not all(w in FUNCTION_WORDS or w in CUE_WORDS for w in k.split())]  # tags MovieLens users typed
    for k in [*about_themes(text, catalog), *proposed]:
        k = str(k).lower().strip()
        if not k or k in u.liked_attributes or k in u.disliked_attributes or k in catalog.lexicon.phrases or \
                not any(w in low for w in k.split() if len(w) > 3):
            continue
        at = low.find(k)
        _attr(u, k, "keywords", liked=not (at >= 0 and negated(low, at, lex)))


def vague_notes(low: str, catalog: Catalog) -> list[str]:
    """A negated vague degree the manifest gives no meaning ('not too expensive', 'nothing too old'): no limit is
    set (never its opposite), and a note asks for a number. Its adjective tells the field (the manifest's
    comparatives: 'more expensive' -> price)."""
    lex = catalog.lexicon
    out = []
    for v in degrees(low, lex.field_phrases, scope_at(low, lex)):
        if v.phrase is not None or v.adjective in lex.phrases or v.adjective in lex.field_phrases:
            continue
        for name, spec in catalog.manifest.filterable().items():
            if spec.filter == "range" and v.adjective in stems(spec.comparatives):
                out.append(degree_note(v, name, spec))
                break
    return out


def unplaced_in(text: str, catalog: Catalog, titles: list[str], mentions: list[Mention],
                series: list[tuple[int, list[str]]], people: People | None = None) -> list[str]:
    """Words of the message no rule reads: titles, series, people, catalog words and themes said with 'about' are
    placed, and so are numbers, cues and function words."""
    people = people or find_people(_mask_titles(text, titles, catalog), catalog)
    spans = [(m.start, m.end) for m in mentions] + [(p.start, p.end) for p in people.found] + people.unsure
    masked = mask(_mask_titles(text, titles, catalog).lower(), spans)
    for name in about_themes(text, catalog):
        masked = masked.replace(name.lower(), " ")
    for start, ids in series:
        masked = mask(masked, [(start, start + 60)]) if start >= 0 else masked
    return unplaced_words(masked, catalog.lexicon)


def understand(text: str, state: DialogueState, catalog: Catalog, llm: ChatModel | None,
               llm_mode: LlmMode = "auto") -> Understanding:
    """Read one message into a checked Understanding (the state itself is changed by `apply`).

    llm_mode: "always" asks the model for a full proposal every turn (the legacy pipeline); "never" is rules only;
    "auto" asks it, briefly, only about the words the rules could not place, and not at all when there are none."""
    u = Understanding()
    text = text.replace("’", "'")
    if detect(text, catalog) != "en":  # French, Spanish, German: in the reader's words; another one: a notice
        spans = _title_spans(text, catalog)  # a title's words tell no language ('Die Hard')
        u.language = detect(mask(text, spans), catalog)
        if u.language != "en":
            reading = read_language(text, catalog, spans)
            text = reading.text
            u.notes += [reading.note] if reading.note else []
    text = fix_negation_typos(text)  # 'nothign over 90 minutes': every rule below reads the negation
    low = text.lower()
    positions = mentioned_positions(text, state)
    titles = mentioned_titles(text, catalog)
    masked = _mask_titles(text, titles, catalog)  # "War" in "Avengers: Infinity War" is no genre wish
    mentions = find_mentions(masked.lower(), masked, catalog.lexicon, people_index(catalog).surname_words)
    proposal: dict[str, Any] = {}
    refers = positions or titles
    u.stars = star_ratings(text, catalog, titles)
    for iid, stars in u.stars.items():  # three stars or more counts as liked, fewer as disliked
        (u.liked_items if stars >= 3 else u.disliked_items).append(iid)
    fit = FIT_QUESTION.search(text)
    if fit and refers:  # "would I like Heat?": answered from the state, the ranker and the rating model
        after = [i for i in titles if _position(text, catalog, i) >= fit.start()]
        u.intent, u.about_item = "fit", positions[0] if positions else (after or refers)[0]
        # a limit in the same breath counts: "would I like Heat if I only have 2 hours?"
        u.constraint_changes, u.removed_constraints = rule_constraints(masked, catalog, state, mentions)
        return u
    if QUESTION.search(text) and refers and not RECOMMEND_CUE.search(text) and not u.stars:
        u.intent, u.about_item = "question", refers[0]  # code is sure: no need to ask the model
        return u
    series = series_mentions(text, catalog)
    people = find_people(masked, catalog, also_blank=[(m.start, m.end) for m in mentions])
    u.unplaced = unplaced_in(text, catalog, titles, mentions, series, people)
    if llm is not None and (llm_mode == "always" or llm_mode == "auto" and u.unplaced):
        try:
            proposal = llm_propose(llm, catalog, state, text) if llm_mode == "always" else \
                llm_place(llm, catalog, text, u.unplaced)
            u.llm_used = True
        except Exception as e:  # a model failure degrades to the rules, it never fails the turn
            u.notes.append(f"preference model unavailable ({type(e).__name__}); used rules only")
    if proposal.get("intent") == "question" and refers and not RECOMMEND_CUE.search(text):
        u.intent, u.about_item = "question", refers[0]
        return u
    where = _where(low, catalog, titles, series)
    _judge_items(u, text, low, catalog, where)
    _proposed_titles(u, proposal, text, catalog, titles)
    named = {*titles, *u.owned_items, *u.liked_items, *u.disliked_items}
    pointed = [p for p in positions if p not in named]  # a named title was judged above, by its own clause
    if pointed:
        positions = pointed
        own = "|".join(re.escape(w) for w in catalog.lexicon.ownership)
        # "I haven't seen that yet" / "have you seen it?" say nothing against the item (ReDial: 416 of 794 such
        # messages rejected the last suggestion)
        # and only the sentences that point ("...that yet. I have seen Deadpool" judges "that" by its own sentence)
        ptr = [x for x in re.split(r"[.!?;]+", low) if re.search(r"\b(?:it|that|this|one|first|second|third|"
                                                               r"fourth|fifth|last|#\s*\d|number)\b", x)]
        unseen = re.sub(rf"\b(?:have\s*n[o']?t|havent|have not|never|not|didn'?t|did not|have you|did you)\s+"
                        rf"(?:\w+\s+)?(?:{own}|seen|see|saw|watched)\b", " ", ". ".join(ptr) or low)
        if re.search(rf"\b(not|no|nope|don'?t|hate|reject|skip|instead|other than|seen|{own})\b", unseen) or \
                after_verdict(low) == "disliked":
            u.rejected_items += positions
        elif re.search(r"\b(more like|similar to|like|love|loved|liked|great|perfect|yes)\b", low):
            u.liked_items += [p for p in positions if p not in u.liked_items]
        else:
            u.about_item = positions[0]
    # constraints: rules first, then grounded LLM proposals
    ref_ids = titles or u.rejected_items or positions or state.last_recommended  # "shorter than Heat": Heat
    refs = [(where.get(i, (-1, 0))[0] if i in titles else -1, catalog.by_id[i]) for i in ref_ids if i in catalog.by_id]
    rules, removed = rule_constraints(masked, catalog, state, mentions, refs)
    blocked = set(removed)  # fields whose LLM proposal is not taken this turn
    not_decade = negated_decade(masked, catalog.lexicon)
    years = [k for k, s in catalog.manifest.filterable().items() if s.unit == "year"]
    if not_decade is not None and years:
        blocked.update(years)
        u.notes.append(decade_note(not_decade))
    u.removed_constraints = removed
    u.notes += [n for n in vague_notes(masked.lower(), catalog) if n not in u.notes]
    _proposed_values(u, proposal, low, catalog, mentions, rules, blocked)
    _soft_wishes(u, low, mentions, catalog, rules)
    u.constraint_changes = rules
    _people_and_themes(u, proposal, text, low, catalog, people)
    if not (u.liked_items or u.disliked_items or u.rejected_items or rules or u.liked_attributes or removed
            or u.owned_items or u.disliked_attributes or titles) and not RECOMMEND_CUE.search(text) and \
            not u.about_item and (proposal.get("intent") == "other" if llm_mode == "always" and u.llm_used
                                  else SMALL_TALK.match(text) or _chit_chat(low, u, catalog)):
        u.intent = "other"  # small talk: the model said so (legacy), or greetings, thanks and chit-chat alone
    return u


REQUEST_WORDS = frozenset("like liked likes love loved loves enjoy enjoyed prefer want wanted wants need needs "
                          "recommend recommendation recommendations suggest suggestion suggestions looking mood "
                          "watch watching see seeing try find show give surprise under over below above less "
                          "more fewer shorter longer older newer cheaper before after since max min".split())


def _chit_chat(low: str, u: Understanding, catalog: Catalog) -> bool:
    """Nothing read, every word a function or dialogue word and no item noun ('Nice talking to you!', 'I am doing
    well'): talk, not a request (ReDial: 1,688 of 3,041 short chit-chat messages were read as requests)."""
    words = re.findall(r"[a-z][a-z']*", low)
    return not u.unplaced and not any(w in catalog.lexicon.item_nouns or w.rstrip("s") in catalog.lexicon.item_nouns
                                      or w in REQUEST_WORDS for w in words) and not re.search(r"\d", low)


PIECE = re.compile(r"[^.!?;,]+[.!?;,]*|[.!?;,]+")


def without_talk(text: str, state: DialogueState, catalog: Catalog, u: Understanding) -> str:
    """The message less its talk, for the retrieval query: nothing when the whole message is talk; else each clause
    (between . ! ? ; and commas) that the reader, reading it alone, calls talk ('Hi!', 'how are you?', 'Nice
    talking to you!') is left out, so greetings never pull items that merely share their words. A clause the reader
    finds anything in (a title, a wish, a limit, an unplaced word) stays as written."""
    if u.intent == "other":
        return ""
    pieces = [m.group(0) for m in PIECE.finditer(text)]
    kept = pieces if len(pieces) < 2 else [p for p in pieces if re.search(r"\w", p) and understand(
        p, state, catalog, None, llm_mode="never").intent != "other"]
    return "".join(kept).strip().rstrip(" ,;.!?")  # the same words query the same, however the message ended
