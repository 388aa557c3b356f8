"""The explanation check: planted false claims are rejected, true sentences pass, the template is fact-only."""
from __future__ import annotations

import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import Constraint, DialogueState
from chatrec.explain.compose import template
from chatrec.explain.factcheck import check
from chatrec.settings import Settings


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return Catalog.load("movies", Settings())


def test_true_sentence_passes(cat: Catalog) -> None:
    heat = cat.by_id["heat-1995"]
    s = (f"A tense {heat['year']} crime thriller where {heat['cast'][0]} and {heat['cast'][1]} face off, "
         f"for anyone who wants a long, moody heist film.")
    assert check(s, heat, cat) == []


@pytest.mark.parametrize("claim,why", [
    ("A tense 1987 crime thriller with a big heist.", "wrong year"),
    ("Tom Hanks gives a great turn as a detective.", "not in the record"),
    ("If you liked Pulp Fiction, this heist film is for you.", "another title"),
    ("At 95 minutes it is a quick watch.", "wrong runtime"),
    ("A classic of the 1970s crime wave.", "wrong decade"),
    ("A heartwarming comedy for the whole family.", "calls it Comedy"),
])
def test_planted_false_claims_are_rejected(claim: str, why: str, cat: Catalog) -> None:
    problems = check(claim, cat.by_id["heat-1995"], cat)
    assert any(why in p for p in problems), problems


def test_template_only_uses_record_facts(cat: Catalog) -> None:
    st = DialogueState(catalog="movies", soft_preferences=[], liked_items=["collateral-2004"])
    st.liked_attributes.genres.append("Crime")
    heat = cat.by_id["heat-1995"]
    t = template(cat, heat, st, {"liked_similarity": 0.6})
    assert t.startswith("Heat (1995)") and "You asked for crime" in t and "Collateral" in t
    assert check(t.replace("Collateral", ""), heat, cat) == []


class _Narrator:
    """A unit-test double: a model that talks about 'the user' instead of to them (the 1.5B model does this)."""

    def stream(self, messages, max_tokens: int = 120, stable: int = 1):  # noqa: ANN001, ANN201
        yield "Its slow-burn heist plot fits the user's taste, and the user "
        yield "can settle into a long, moody crime film."


def test_narrated_sentences_are_turned_to_you(cat: Catalog) -> None:
    from chatrec.explain.stream import explain

    out = list(explain(_Narrator(), cat, cat.by_id["heat-1995"], DialogueState(catalog="movies"), "a heist film", {}))
    text, from_llm = out[-1]
    assert from_llm is True
    assert text == "Its slow-burn heist plot fits your taste, and you can settle into a long, moody crime film."


class _Rambler:
    """A unit-test double whose sentence is cut off by the token limit."""

    def __init__(self, text: str) -> None:
        self.text = text

    def stream(self, messages, max_tokens: int = 120, stable: int = 1):  # noqa: ANN001, ANN201
        yield self.text


def test_a_sentence_cut_off_by_the_token_limit_is_never_shown(cat: Catalog) -> None:
    from chatrec.explain.stream import explain

    heat = cat.by_id["heat-1995"]
    st = DialogueState(catalog="movies")
    text, from_llm = list(explain(_Rambler("A long, moody heist film for you. It follows a crew and the"),
                                  cat, heat, st, "a heist film", {}))[-1]
    assert (text, from_llm) == ("A long, moody heist film for you.", True)
    text, from_llm = list(explain(_Rambler("A long, moody heist film that follows a crew and the"),
                                  cat, heat, st, "a heist film", {}))[-1]
    assert from_llm is False and text == template(cat, heat, st, {})


class _Lister:
    """A unit-test double for the one-call path: streams a numbered list in small pieces, as the model does."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.calls = 0

    def stream(self, messages, max_tokens: int = 120, stable: int = 1, stop=None):  # noqa: ANN001, ANN201
        self.calls += 1
        for k in range(0, len(self.text), 7):
            yield self.text[k:k + 7]


def _state_liking(cat: Catalog, *ids: str) -> DialogueState:
    from chatrec.dialogue.state import Turn

    st = DialogueState(catalog="movies", liked_items=list(ids))
    st.turns.append(Turn(role="user", text="I loved " + " and ".join(cat.title(cat.by_id[i]) for i in ids)))
    return st


def test_one_call_streams_each_line_into_its_card_and_checks_it(cat: Catalog) -> None:
    from chatrec.explain.stream import explain_all
    from chatrec.explain.ties import ties

    items = [cat.by_id["heat-1995"], cat.by_id["collateral-2004"]]
    st = _state_liking(cat, "thief-1981")
    llm = _Lister("1. Al Pacino's detective hunts a crew of professional thieves across Los Angeles\n"
                  "2. Tom Hanks plays a cab driver in a gentle 1987 comedy\n")
    out = list(explain_all(llm, cat, items, st, [{}, {}]))
    assert llm.calls == 1
    deltas = {n: "".join(p for m, p, src in out if m == n and src is None) for n in (0, 1)}
    assert deltas[0] == "Al Pacino's detective hunts a crew of professional thieves across Los Angeles"
    finals = {n: (p, src) for n, p, src in out if src is not None}
    tie = ties(cat, items[0], st, {})[0]
    assert tie == "Michael Mann also directed Thief, which you liked"
    assert finals[0] == (f"Al Pacino's detective hunts a crew of professional thieves across Los Angeles. {tie}.",
                         True)
    assert finals[1][1] is False and finals[1][0] == template(cat, items[1], st, {})  # false claims: template
    # the first card settles before the second line is streamed
    first_final = next(k for k, (n, p, src) in enumerate(out) if src is not None)
    assert any(n == 1 and src is None for n, p, src in out[first_final:])


def test_missing_echoed_or_cut_off_lines_fall_back_to_the_template(cat: Catalog) -> None:
    from chatrec.explain.stream import explain_all

    items = [cat.by_id["heat-1995"], cat.by_id["collateral-2004"], cat.by_id["heat-1995"]]
    st = DialogueState(catalog="movies")
    out = list(explain_all(_Lister("Sure! Here are my thoughts.\n1. Heat (1995) | directors: Michael Mann\n"
                                   "2. A cab driver spends one long night in Los Angeles with a"), cat, items, st,
                           [{}, {}, {}]))
    finals = {n: (p, src) for n, p, src in out if src is not None}
    assert sorted(finals) == [0, 1, 2]
    assert all(src is False for _, src in finals.values())  # an echo, a cut-off phrase, a missing line


def test_ties_are_true_links_to_what_the_user_liked_and_limited(cat: Catalog) -> None:
    from chatrec.explain.ties import ties

    st = _state_liking(cat, "collateral-2004")
    st.constraints["runtime_minutes"] = Constraint(max=180)
    t = ties(cat, cat.by_id["heat-1995"], st, {})
    assert t[0] == "Michael Mann also directed Collateral, which you liked"
    assert "At 170 minutes it is within your limit of 180 minutes" in t


def test_explanation_quality_flags_stock_phrases_and_finds_concrete_facts(cat: Catalog) -> None:
    from chatrec.explain.quality import judge

    heat = cat.by_id["heat-1995"]
    st = _state_liking(cat, "collateral-2004")
    good = judge("Like Collateral, it is a Michael Mann crime film, with Al Pacino chasing a crew of thieves.", heat,
                 st, cat)
    assert good.passes_fact_check and good.concrete_fact and good.refers_to_user and not good.stock_phrase
    stock = judge("A great crime drama that fits your description.", heat, DialogueState(catalog="movies"), cat)
    assert stock.stock_phrase and not stock.concrete_fact and not stock.refers_to_user


def test_a_liked_title_may_be_named_only_with_what_it_really_shares(cat: Catalog) -> None:
    """'Like Collateral' is allowed as the reason, but the people said beside it must be in Collateral's record too:
    the 1.5B model wrote 'Frances McDormand and William H. Macy, who made Collateral' for Fargo."""
    from chatrec.explain.factcheck import context

    st = _state_liking(cat, "collateral-2004")
    titles, limits = context(cat, st)
    heat, fargo = cat.by_id["heat-1995"], cat.by_id["fargo-1996"]
    assert check("Michael Mann, who also made Collateral, sets a heist crew against a detective.", heat, cat,
                 titles, limits) == []
    assert check("Frances McDormand, who made Collateral, stars in a kidnapping plot.", fargo, cat, titles, limits)
    assert check("Like Collateral, a heist film.", heat, cat) != []  # without the context a title is never allowed


def test_a_checked_phrase_is_reused_for_every_visitor_without_a_model_call(cat: Catalog) -> None:
    """The phrase is written from the item's facts only, so a card shown again (any session) costs no model time;
    the ties after it are still this user's own."""
    from chatrec.explain.cache import PhraseCache
    from chatrec.explain.stream import explain_all

    heat, coll = cat.by_id["heat-1995"], cat.by_id["collateral-2004"]
    cache = PhraseCache()
    llm = _Lister("1. A detective and a crew of professional thieves collide in Los Angeles\n")
    first = list(explain_all(llm, cat, [heat], _state_liking(cat, "thief-1981"), [{}], cache))
    assert llm.calls == 1 and first[-1][2] is True
    other = _state_liking(cat, "collateral-2004")
    llm2 = _Lister("1. A mild-mannered cab driver drives a hitman around Los Angeles all night\n")
    out = list(explain_all(llm2, cat, [heat, coll], other, [{}, {}], cache))
    assert llm2.calls == 1  # only Collateral went to the model
    finals = {n: (p, src) for n, p, src in out if src is not None}
    assert finals[0] == ("A detective and a crew of professional thieves collide in Los Angeles. "
                         "Michael Mann also directed Collateral, which you liked.", True)
    assert out[0][0] == 0 and out[0][2] is True  # the cached card settles before the model is asked
    assert finals[1][0].startswith("A mild-mannered cab driver")


def test_a_phrase_written_on_the_wrong_line_is_caught(cat: Catalog) -> None:
    """Seen in the browser test: the 1.5B model slipped a line, so The Banshees of Inisherin got a phrase about two
    high school friends (Booksmart's). The phrase must share more words with its own record than with another's."""
    from chatrec.explain.factcheck import misplaced
    from chatrec.explain.stream import explain_all

    items = [cat.by_id["the-banshees-of-inisherin-2022"], cat.by_id["booksmart-2019"]]
    slipped = "A comedy about two high school friends who become best friends after graduation"
    assert misplaced(slipped, 0, items, cat) == "Booksmart"
    assert misplaced(slipped, 1, items, cat) is None
    out = list(explain_all(_Lister(f"1. {slipped}\n2. {slipped}\n"), cat, items, DialogueState(catalog="movies"),
                           [{}, {}]))
    finals = {n: src for n, p, src in out if src is not None}
    assert finals == {0: False, 1: True}


def test_a_word_of_a_title_the_user_named_is_not_their_wish(cat: Catalog) -> None:
    """The bench transcript: 'Do the Right Thing ... It has heat wave, and you said heat' after 'I loved Heat'."""
    from chatrec.explain.ties import ties

    st = _state_liking(cat, "heat-1995")
    assert not any("you said" in t for t in ties(cat, cat.by_id["do-the-right-thing-1989"], st, {}))
