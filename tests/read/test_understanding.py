"""The code half of understanding: units, decades, negations, references. No LLM here (llm=None), so these pin
what code guarantees whatever the model proposes; the model's half is tested in test_agent.py."""
from __future__ import annotations

import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import Constraint, DialogueState
from chatrec.read.understand import apply, understand
from chatrec.settings import Settings


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return Catalog.load("movies", Settings())


def read(text: str, cat: Catalog, state: DialogueState | None = None):
    st = state or DialogueState(catalog="movies")
    u = understand(text, st, cat, None)
    apply(u, st)
    return u, st


@pytest.mark.parametrize("text,maximum", [("something under 2 hours", 120), ("nothing over 100 minutes", 100),
                                          ("no longer than an hour and a half", 90), ("max 95 mins please", 95),
                                          ("less than two hours", 120), ("under 2.5 hours", 150)])
def test_runtime_limits_end_in_minutes(text: str, maximum: int, cat: Catalog) -> None:
    _, st = read(text, cat)
    assert st.constraints["runtime_minutes"].max == maximum


@pytest.mark.parametrize("text,lo,hi", [("no more than 2 hours", None, 120), ("not over 2 hours", None, 120),
                                        ("nothing under 90 minutes", 90, None), ("not less than 2 hours", 120, None),
                                        ("nothing shorter than 100 minutes", 100, None),
                                        ("at least 90 minutes", 90, None),
                                        ("between 90 and 120 minutes", 90, 120)])
def test_negated_runtime_comparisons_turn_round(text: str, lo: int | None, hi: int | None, cat: Catalog) -> None:
    """'no more than 2 hours' once set min = max = 120 (only films of exactly two hours), 'nothing under 90 minutes'
    a maximum of 90: hard constraints the wrong way round."""
    _, st = read(text, cat)
    c = st.constraints["runtime_minutes"]
    assert (c.min, c.max) == (lo, hi)


@pytest.mark.parametrize("text,lo,hi", [("under $20", None, 20), ("nothing over $50", None, 50),
                                        ("no more than $30", None, 30), ("nothing cheaper than $10", 10, None),
                                        ("under 25 dollars", None, 25), ("under 19.99", None, 19.99)])
def test_price_limits_with_negation(text: str, lo: float | None, hi: float | None) -> None:
    products = Catalog.load("products", Settings())
    _, st = read(text, products, DialogueState(catalog="products"))
    c = st.constraints["price_usd"]
    assert (c.min, c.max) == (lo, hi)


def test_numbers_that_are_not_prices(cat: Catalog) -> None:
    products = Catalog.load("products", Settings())
    for text in ("over 50% off", "for under 4 players"):
        _, st = read(text, products, DialogueState(catalog="products"))
        assert "price_usd" not in st.active_constraints(), text


@pytest.mark.parametrize("text,lo,hi", [("something from the 90s", 1990, 1999), ("a film from the 1970s", 1970, 1979),
                                        ("made before 1980", None, 1979), ("released after 2010", 2011, None),
                                        ("between 1985 and 1995", 1985, 1995),
                                        ("a thriller, nothing before 1990", 1990, None),  # negated: the opposite bound
                                        ("no films older than 1975", 1975, None),
                                        ("nothing made after 2010", None, 2010),
                                        ("no horror from 1990 on", 1990, None)])  # the "no" is about horror
def test_years_and_decades(text: str, lo: int | None, hi: int | None, cat: Catalog) -> None:
    _, st = read(text, cat)
    c = st.constraints["year"]
    assert (c.min, c.max) == (lo, hi)


def test_negated_genre_is_a_hard_exclusion_and_plain_mention_is_soft(cat: Catalog) -> None:
    _, st = read("something funny, no horror", cat)
    assert st.constraints["genres"].exclude == ["Horror"]
    assert "Comedy" in st.liked_attributes.genres
    _, st2 = read("only horror please", cat)
    assert st2.constraints["genres"].include == ["Horror"]
    _, st3 = read("I don't mind horror", cat, st)
    assert "Horror" not in st3.constraints["genres"].exclude


def test_titles_resolve_to_catalog_ids(cat: Catalog) -> None:
    u, st = read("I loved Heat and Collateral", cat)
    assert st.liked_items == ["heat-1995", "collateral-2004"]
    u, st = read("I hated The Shining", cat)
    assert st.disliked_items == ["the-shining-1980"]
    assert cat.find_title("the dark knight") == "the-dark-knight-2008"
    assert cat.find_title("Dark Knight, The") == "the-dark-knight-2008"
    assert cat.find_title("Inceptoin") == "inception-2010"  # a typo still resolves
    assert cat.find_title("A Film That Does Not Exist") is None


def test_one_word_titles_that_are_places_or_dates(cat: Catalog) -> None:
    """'Chicago', 'Manhattan' and 'Halloween' are films here and also words other plots use: as a place or a date
    they must not be marked liked (a liked film is never recommended); named as films they are."""
    ids = {t: cat.find_title(t) for t in ("Chicago", "Manhattan", "Halloween", "Casablanca")}
    assert all(ids.values()) and cat.description_df["chicago"] >= 3
    u, st = read("Something set in Manhattan or Chicago, for Halloween", cat)
    assert not set(ids.values()) & set(st.liked_items)
    u, st = read("I loved Manhattan and Halloween", cat)
    assert ids["Manhattan"] in st.liked_items and ids["Halloween"] in st.liked_items
    u, st = read("i loved casablanca", cat)  # a coined title still matches in lower case
    assert st.liked_items == [ids["Casablanca"]]


def test_a_title_with_a_subtitle_is_not_the_shorter_title(cat: Catalog) -> None:
    """'Avengers: Infinity War' (not in the catalog) must not mark The Avengers as liked, so it stays recommendable."""
    assert "the-avengers-2012" in cat.by_id
    u, st = read("I loved Avengers: Infinity War", cat)
    assert "the-avengers-2012" not in st.liked_items
    assert "War" not in st.liked_attributes.genres  # a word of the title is not a genre wish
    u, st = read("A war film, as good as Avengers: Infinity War", cat)
    assert st.liked_attributes.genres == ["War"]
    u, st = read("I loved The Avengers and Avengers: Endgame", cat)  # each title named as written
    assert "the-avengers-2012" in st.liked_items and any(i.startswith("avengers-endgame") for i in st.liked_items)


def test_positions_and_relative_wishes(cat: Catalog) -> None:
    st = DialogueState(catalog="movies", last_recommended=["heat-1995", "collateral-2004", "inception-2010"])
    u, st = read("more like the second one", cat, st)
    assert "collateral-2004" in st.liked_items
    st.last_recommended = ["inception-2010", "heat-1995"]
    u, st = read("not that one, something older", cat, st)
    assert "inception-2010" in st.rejected_items
    assert st.constraints["year"].max == 2009
    st.last_recommended = ["heat-1995"]
    u, st = read("shorter", cat, st)
    assert st.constraints["runtime_minutes"].max == 169


def test_questions_are_not_recommendation_requests(cat: Catalog) -> None:
    st = DialogueState(catalog="movies", last_recommended=["heat-1995", "collateral-2004"])
    u = understand("who's in the second one?", st, cat, None)
    assert u.intent == "question" and u.about_item == "collateral-2004"
    u = understand("what's Inception about?", st, cat, None)
    assert u.intent == "question" and u.about_item == "inception-2010"


def test_owned_products_are_read_from_plain_words() -> None:
    products = Catalog.load("products", Settings())
    st = DialogueState(catalog="products")
    u = understand("I bought a soccer goal, cleats and goalkeeper gloves. What else do I need?", st, products, None)
    assert set(u.owned_items) == {"soccer-goal-portable-6x4", "soccer-cleats-adult", "soccer-goalkeeper-gloves"}
    assert not u.liked_items
    assert understand("a gift for a soccer player", st, products, None).owned_items == []


def test_a_bare_it_points_at_nothing(cat: Catalog) -> None:
    st = DialogueState(catalog="movies", last_recommended=["heat-1995", "collateral-2004"])
    u, st = read("no horror, and make it anything up to 2 and a half hours", cat, st)
    assert not st.rejected_items and not st.liked_items
    assert st.constraints["runtime_minutes"].max == 150
    st.last_recommended = ["heat-1995", "collateral-2004"]
    u, st = read("seen it, something else", cat, st)
    assert st.rejected_items == ["heat-1995"]
    assert understand("is it long?", st, cat, None).about_item == "heat-1995"


class Proposes:
    """A unit-test double for the model: it returns a fixed proposal, so this pins what code keeps of one. (What
    the real model proposes is tested in test_agent.py and measured in the ReDial evaluation.)"""

    name = "double"

    def __init__(self, proposal: dict) -> None:
        self.proposal = proposal

    def json(self, messages, schema, max_tokens=400, stable=1):
        return self.proposal


def test_ungrounded_model_proposals_are_dropped(cat: Catalog) -> None:
    """Junk the 1.5B model really proposed on a ReDial opening: the "2" of a sequel title as a 2-hour minimum, the
    greeting as people, "R" from "really", "G" from "Game" after a "Not"."""
    text = ("Hi, I'm great. How are you? I really love movies like Super Troopers, can't wait for Super Troopers 2. "
            "Not Sherlock Holmes: A Game of Shadows.")
    junk = {"intent": "recommend", "min_runtime_minutes": 120, "max_runtime_minutes": None,
            "people": ["I'm great", "How are you?", "Hi"], "wanted_age_rating": ["R"], "excluded_age_rating": ["G"],
            "wanted_genres": ["Comedy"], "themes_and_moods": []}
    st = DialogueState(catalog="movies")
    apply(understand(text, st, cat, Proposes(junk), llm_mode="always"), st)
    assert "runtime_minutes" not in st.constraints and "age_rating" not in st.constraints
    assert st.liked_attributes.people == [] and "R" not in st.liked_attributes.genres
    assert "Hi" not in st.liked_attributes.genres


def test_grounded_model_proposals_are_kept(cat: Catalog) -> None:
    person = next(p for it in cat.items for p in it.get("cast", []) if len(p.split()) == 2)
    text = f"Something rated R with {person}, at least 2 hours long, and no G movies"
    good = {"intent": "recommend", "min_runtime_minutes": 120, "max_runtime_minutes": None, "people": [person],
            "wanted_age_rating": ["R"], "excluded_age_rating": ["G"], "themes_and_moods": []}
    st = DialogueState(catalog="movies")
    apply(understand(text, st, cat, Proposes(good), llm_mode="always"), st)
    assert st.constraints["runtime_minutes"].min == 120
    assert st.constraints["age_rating"].exclude == ["G"]
    assert person in st.liked_attributes.people


def test_people_the_catalog_knows_are_read_without_the_model(cat: Catalog) -> None:
    u, st = read("Maybe something with Tom Hanks in it, but not Robert De Niro.", cat)
    assert st.liked_attributes.people == ["Tom Hanks"] and st.disliked_attributes.people == ["Robert De Niro"]
    u, _ = read("I'd like something with Tom in it, or a hanks-style drama", cat)  # no full name: nobody
    assert not any(" " in a and a[:1].isupper() for a in u.liked_attributes)
    assert cat.people_in("ROBERT DE NIRO and tom hanks") == ["Robert De Niro", "Tom Hanks"]


def test_themes_asked_for_in_words_must_be_catalog_keywords(cat: Catalog) -> None:
    _, st = read("Something about new york, please.", cat)
    assert st.liked_attributes.keywords == ["new york"]
    _, st = read("A movie about revenge and nothing about grief.", cat)
    assert "revenge" in st.liked_attributes.keywords and st.disliked_attributes.keywords == ["grief"]
    u, _ = read("Tell me what it is about, and something about xyzzy plumbing.", cat)  # not keywords of any film
    assert u.liked_attributes == []


def test_named_people_and_themes_bring_their_items_into_the_candidates(rules_rec) -> None:
    """'with Tom Hanks' must reach his films even when the words' embedding would not find them."""
    rec, movies = rules_rec, rules_rec.catalog("movies")  # rules only: no model loaded
    from chatrec.candidates.sources import hard_filter, retrieve

    st = DialogueState(catalog="movies")
    apply(understand("Something from the 1990s with Tom Hanks in it.", st, movies, None), st)
    filt = hard_filter(movies, st)
    qvec = rec.embedder.embed(["an unrelated query about cooking pasta"])[0]
    got, sources = retrieve(rec.index, movies, st, qvec, filt.allowed, 5)
    hanks_90s = {it["id"] for it in movies.items if "Tom Hanks" in (it.get("cast") or [])
                 and 1990 <= it.get("year", 0) <= 1999}
    assert len(hanks_90s) >= 4 and hanks_90s <= set(got) and sources.get("attribute", 0) >= 1
    assert all(1990 <= movies.by_id[i]["year"] <= 1999 for i in got)  # the constraint still holds


def test_stars_given_are_read_and_set_likes(cat: Catalog) -> None:
    u, st = read("I'd give Alien 5 stars and Heat 2/5, Casablanca four out of five", cat)
    alien, heat, casa = (cat.find_title(t) for t in ("Alien", "Heat", "Casablanca"))
    assert st.stars_out_of_5 == {alien: 5.0, heat: 2.0, casa: 4.0}
    assert set(st.liked_items) == {alien, casa} and st.disliked_items == [heat]  # under 3 stars: disliked
    _, st2 = read("I'd give 4 stars to Casablanca and five stars to Heat", cat)  # titles after the stars
    assert st2.stars_out_of_5 == {casa: 4.0, heat: 5.0}
    _, st3 = read("something under 2 hours with 5 stars of action", cat)  # no title near: no rating
    assert st3.stars_out_of_5 == {}


@pytest.mark.parametrize("text,title", [("How would I rate Heat?", "Heat"), ("Would I like Aliens?", "Aliens"),
                                        ("Is Casablanca for me?", "Casablanca"), ("should I watch Heat", "Heat"),
                                        ("I'd give Alien 5 stars. Would I like Aliens?", "Aliens")])
def test_would_i_like_it_is_a_fit_question_about_the_named_item(text: str, title: str, cat: Catalog) -> None:
    u, st = read(text, cat)
    assert u.intent == "fit" and u.about_item == cat.find_title(title)
    assert cat.find_title(title) not in st.liked_items  # asking about it is not liking it


def test_would_i_like_the_second_one(cat: Catalog) -> None:
    st = DialogueState(catalog="movies", last_recommended=[cat.items[0]["id"], cat.items[1]["id"]])
    u, _ = read("would I like the second one?", cat, st)
    assert u.intent == "fit" and u.about_item == cat.items[1]["id"]


def test_a_limit_said_with_the_fit_question_is_kept(cat: Catalog) -> None:
    u, st = read("Would I like Heat? Nothing before 1990 though", cat)
    assert u.intent == "fit" and st.constraints["year"].min == 1990
    u, st = read("Would I like 2001: A Space Odyssey?", cat)  # a year inside the title is not a limit
    assert u.intent == "fit" and not st.active_constraints()


@pytest.mark.parametrize("text,decade", [("not from the 90s", 1990), ("no 80s movies", 1980),
                                         ("anything but the 1970s", 1970)])
def test_a_negated_decade_sets_no_range_and_says_how(text: str, decade: int, cat: Catalog) -> None:
    """It once became exactly that decade: the opposite of the wish, as a hard limit."""
    u, st = read(text, cat)
    assert "year" not in st.active_constraints()
    assert any(f"before {decade}" in n and f"after {decade + 9}" in n for n in u.notes), u.notes
    _, st = read("a 90s thriller, no horror", cat)  # a decade wanted beside a negated genre
    assert (st.constraints["year"].min, st.constraints["year"].max) == (1990, 1999)


@pytest.mark.parametrize("text,excluded,wanted", [
    ("a comedy, but not a romantic comedy", ["Romance"], ["Comedy"]),  # was: Comedy excluded too
    ("I don't like westerns", ["Western"], []),  # was: Western wanted
    ("I can't stand horror but love comedy", ["Horror"], ["Comedy"]),
    ("something funny, I dislike musicals", ["Music"], ["Comedy"]),
    ("not a fan of dark thrillers", ["Thriller"], []),
    ("no horror or comedy", ["Comedy", "Horror"], [])])
def test_what_a_negation_reaches(text: str, excluded: list[str], wanted: list[str], cat: Catalog) -> None:
    _, st = read(text, cat)
    assert st.constraints.get("genres", Constraint()).exclude == excluded
    assert [g for g in st.liked_attributes.genres if g in ("Comedy", "Western", "Thriller", "Horror")] == wanted


@pytest.mark.parametrize("text,lo,hi", [("a movie from 1994", 1994, 1994), ("films from 1990 onwards", 1990, None),
                                        ("from 1990 to 1995", 1990, 1995), ("nothing from 1990 on", None, 1989)])
def test_from_a_year(text: str, lo: int | None, hi: int | None, cat: Catalog) -> None:
    _, st = read(text, cat)
    assert (st.constraints["year"].min, st.constraints["year"].max) == (lo, hi)


@pytest.mark.parametrize("text,liked,disliked,seen", [
    ("I've seen Heat already", [], [], ["Heat"]),  # was: liked
    ("Heat was boring", [], ["Heat"], []),  # was: liked
    ("I've seen Heat and loved it", ["Heat"], [], []),  # was: nothing (liked, then rejected by "seen ... it")
    ("Heat was boring but I loved Alien", ["Alien"], ["Heat"], []),  # was: both disliked
    ("I hated Heat, Alien and Casablanca", [], ["Heat", "Alien", "Casablanca"], []),
    ("Heat was not bad", ["Heat"], [], [])])
def test_the_verdict_on_a_named_title_is_its_own_clause(text: str, liked: list[str], disliked: list[str],
                                                        seen: list[str], cat: Catalog) -> None:
    _, st = read(text, cat)
    names = lambda ids: [cat.title(cat.by_id[i]) for i in ids]  # noqa: E731
    assert (names(st.liked_items), names(st.disliked_items), names(st.owned_items)) == (liked, disliked, seen)


@pytest.mark.parametrize("text,field,bound,value", [("something shorter than Heat", "runtime_minutes", "max", 169),
                                                    ("like Heat but shorter", "runtime_minutes", "max", 169),
                                                    ("older than Alien", "year", "max", 1978),
                                                    ("a movie newer than Casablanca", "year", "min", 1943),
                                                    ("shorter than the first one", "runtime_minutes", "max", 101)])
def test_comparisons_are_with_the_named_title(text: str, field: str, bound: str, value: int, cat: Catalog) -> None:
    """They once took the last suggestions (Casablanca, Alien) as the reference whatever title was named."""
    st = DialogueState(catalog="movies", last_recommended=[cat.find_title("Casablanca"), cat.find_title("Alien")])
    _, st = read(text, cat, st)
    assert getattr(st.constraints[field], bound) == value


class Counts:
    """A unit-test double that records the calls it gets (schema and token budget) and answers with `answer`."""

    name = "counting double"

    def __init__(self, answer: dict) -> None:
        self.answer, self.calls = answer, []

    def json(self, messages, schema, max_tokens=400, stable=1):
        self.calls.append((messages, schema, max_tokens))
        return self.answer


@pytest.mark.parametrize("text,asked", [("a cozy film for a rainy sunday afternoon", True),
                                        ("something mind-bending with a twist ending", False),  # catalog keywords
                                        ("a comedy under 2 hours", False), ("no horror, nothing before 1990", False),
                                        ("I loved Heat and Collateral", False),
                                        ("maybe something with Tom Hanks, but not a western", False),
                                        ("a cozy film about friendship and loss", True)])
def test_auto_asks_the_model_only_about_unplaced_words(text: str, asked: bool, cat: Catalog) -> None:
    double = Counts({"themes_and_moods": [], "wanted": [], "excluded": [], "people": [], "titles": []})
    u = understand(text, DialogueState(catalog="movies"), cat, double)
    assert bool(u.unplaced) == asked and len(double.calls) == asked and u.llm_used == asked, u.unplaced
    if asked:
        messages, schema, max_tokens = double.calls[0]
        assert max_tokens <= 60 and set(schema["properties"]) == {"themes_and_moods", "wanted", "excluded", "people",
                                                                   "titles"}
        assert all(w in messages[-1]["content"] for w in u.unplaced)
    assert not understand(text, DialogueState(catalog="movies"), cat, double, llm_mode="never").llm_used
    assert understand(text, DialogueState(catalog="movies"), cat, double, llm_mode="always").llm_used


def test_the_short_answer_is_grounded_like_a_full_proposal(cat: Catalog) -> None:
    """What the model says about unplaced words is kept only when the message supports it."""
    said = Counts({"themes_and_moods": ["twist ending", "time travel"], "wanted": ["Thriller", "Horror"],
                   "excluded": ["Comedy"], "people": ["Tom Hanks"], "titles": ["Inception"]})
    st = DialogueState(catalog="movies")
    u = understand("a thriller-ish puzzle with a twist ending", st, cat, said)
    apply(u, st)
    assert u.llm_used and "twist ending" in st.liked_attributes.keywords
    assert "time travel" not in st.liked_attributes.keywords  # not in the message
    assert "Horror" not in st.liked_attributes.genres and "genres" not in st.active_constraints()
    assert st.liked_attributes.people == [] and st.liked_items == []


def test_a_proposed_theme_counts_only_as_a_trait_items_carry(cat: Catalog) -> None:
    """The model's themes are filler as often as traits (ReDial replay: 'greetings', 'wondering', 'good taste'): one
    is kept only when some item carries it as a keyword or tag, even when the message writes it."""
    said = Counts({"themes_and_moods": ["greetings", "good taste", "twist endings", "Tom Hanks"], "wanted": [],
                   "excluded": [], "people": [], "titles": []})
    st = DialogueState(catalog="movies")
    u = understand("Greetings! Good taste, I want a puzzle with twist endings, Tom Hanks maybe", st, cat, said)
    apply(u, st)
    assert u.llm_used and st.liked_attributes.keywords == ["twist ending"]
    assert st.liked_attributes.people == ["Tom Hanks"]  # read by code as a person, never as a theme


@pytest.mark.parametrize("title,text,kept", [
    ("o", "so what do you think of it", False), ("one", "the one i saw", False), ("love", "i love it", False),
    ("arrival", "i liked arrival a lot", True), ("heat", "heated debate", False), ("heat", "heat was great", True)])
def test_a_proposed_title_counts_only_written_with_a_word_of_its_own(title: str, text: str, kept: bool) -> None:
    """ReDial replay: the model read "O (2001)" into every 'o' and "The One" into 'the one I saw'."""
    from chatrec.read.understand import _written
    assert _written(title, text) is kept


def test_code_judges_a_title_the_model_found(cat: Catalog) -> None:
    """The model finds 'heat' (lower case, which code does not read) and calls it liked; its clause says otherwise."""
    said = Counts({"themes_and_moods": [], "wanted": [], "excluded": [], "people": [], "titles": ["Heat"],
                   "liked_titles": ["Heat"], "disliked_titles": []})
    st = DialogueState(catalog="movies")
    u = understand("i didn't like heat at all, it dragged", st, cat, said)  # auto: titles come back unjudged
    assert u.llm_used and u.disliked_items == ["heat-1995"] and u.liked_items == []


def test_filler_themes_are_no_wishes_even_when_items_are_tagged_so(cat: Catalog) -> None:
    said = Counts({"themes_and_moods": ["good", "love", "twist ending"], "wanted": [], "excluded": [], "people": [],
                   "titles": []})
    st = DialogueState(catalog="movies")
    apply(understand("good, I love a twist ending", st, cat, said, llm_mode="always"), st)
    assert st.liked_attributes.keywords == ["twist ending"]


def test_the_default_model_is_called_only_for_unplaced_words(rec, movies) -> None:
    """With the real 1.5B model: an unplaced phrase costs one short call, a message code reads fully costs none."""
    class Spy:
        name = rec.llm.name

        def __init__(self) -> None:
            self.calls = 0

        def json(self, messages, schema, max_tokens=400, stable=1):
            self.calls += 1
            return rec.llm.json(messages, schema, max_tokens=max_tokens, stable=stable)

    spy = Spy()
    st = DialogueState(catalog="movies")
    u = understand("a cozy film for a rainy sunday afternoon", st, movies, spy)
    assert spy.calls == 1 and u.llm_used and "cozy" in u.unplaced
    assert not any("unavailable" in n for n in u.notes), u.notes  # the short answer parsed within its token budget
    u2 = understand("a comedy under 2 hours", DialogueState(catalog="movies"), movies, spy)
    assert spy.calls == 1 and not u2.llm_used and u2.unplaced == []
    apply(u2, st)
    assert st.constraints["runtime_minutes"].max == 120 and "Comedy" in st.liked_attributes.genres


@pytest.mark.parametrize("text,rejected,about", [
    ("I havent seen that yet. I have seen Deadpool", [], "heat-1995"),  # ReDial 20708
    ("Have you seen it", [], "heat-1995"),  # ReDial 21172: a question to the recommender
    ("I haven't seen the second one", [], "collateral-2004"),
    ("never seen the first one, sounds good", [], "heat-1995"),
    ("seen it", ["heat-1995"], None),
    ("not that one, something older", ["heat-1995"], None),
])
def test_not_having_seen_a_suggestion_is_not_a_rejection(text: str, rejected: list[str], about: str | None,
                                                          cat: Catalog) -> None:
    """The ReDial replay: 416 of 794 'haven't seen' messages rejected the product's own last suggestion."""
    st = DialogueState(catalog="movies", last_recommended=["heat-1995", "collateral-2004"])
    u = understand(text, st, cat, None)
    assert u.rejected_items == rejected and u.about_item == about


@pytest.mark.parametrize("text,titles", [
    ("I liked Heat (2013)", []),  # another film than Heat (1995)
    ("Have you seen Alien Nation (1988)?", []),  # ReDial: a longer bracketed title is another work
    ("I loved Alien and Alien Nation (1988)", ["alien-1979"]),
    ("Loved Heat (1995)!", ["heat-1995"]),
    ("I loved Heat (1995) and Alien (1979)", ["heat-1995", "alien-1979"]),
])
def test_a_bracketed_year_names_that_version_or_another_work(text: str, titles: list[str], cat: Catalog) -> None:
    from chatrec.read.mentions import mentioned_titles

    assert mentioned_titles(text, cat) == titles


def test_the_model_adds_but_never_flips(cat: Catalog) -> None:
    """Where the model reads a value the other way round from the rules, the stricter reading (ruled out) wins and
    the turn's reasoning says so: the user said no, so it is never shown."""
    said = Counts({"themes_and_moods": [], "wanted": ["Horror"], "excluded": [], "people": [], "titles": []})
    st = DialogueState(catalog="movies")
    u = understand("a cozy film, I never want to see horror", st, cat, said)
    apply(u, st)
    assert u.llm_used and st.constraints["genres"].exclude == ["Horror"] and "Horror" not in st.liked_attributes.genres
    assert any("kept the stricter reading (no Horror)" in n for n in u.notes), u.notes
    said = Counts({"themes_and_moods": [], "wanted": [], "excluded": ["Romance"], "people": [], "titles": []})
    st = DialogueState(catalog="movies")
    u = understand("a cozy romantic film", st, cat, said)
    apply(u, st)
    assert st.constraints["genres"].exclude == ["Romance"] and "Romance" not in st.liked_attributes.genres
    assert any("no Romance" in n for n in u.notes), u.notes
    said = Counts({"themes_and_moods": [], "wanted": ["Comedy"], "excluded": [], "people": [], "titles": []})
    st = DialogueState(catalog="movies")
    u = understand("a cozy comedy", st, cat, said)  # the model agrees: nothing to say
    apply(u, st)
    assert st.liked_attributes.genres == ["Comedy"] and not u.notes
