"""People by the names people use (read/people.py): full names, a surname alone when one person of the catalog has
it, possessives, 'a X film', typos in first names and surnames; a shared surname asks which one, naming them; an
ordinary word or someone the catalog does not have is no person. The people fields are the manifest's."""
from __future__ import annotations

from pathlib import Path

import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.dialogue.state import DialogueState
from chatrec.read.people import find_people, people_index, resolve
from chatrec.read.understand import apply, understand
from chatrec.settings import Settings

BOARDGAMES = Path(__file__).parents[1] / "data" / "boardgames"


@pytest.fixture(scope="module")
def movies() -> Catalog:
    return Catalog.load("movies", Settings())


@pytest.fixture(scope="module")
def games() -> Catalog:
    return Catalog.load(BOARDGAMES, Settings())


def _read(text: str, cat: Catalog) -> tuple[DialogueState, list[str]]:
    st = DialogueState(catalog=cat.name, as_of_year=2026)
    u = understand(text, st, cat, None, llm_mode="never")
    apply(u, st)
    return st, u.notes


@pytest.mark.parametrize("text,liked,disliked", [
    ("something by Nolan", ["Christopher Nolan"], []), ("something by nolan", ["Christopher Nolan"], []),
    ("a Tarantino movie", ["Quentin Tarantino"], []), ("Kubrick's best", ["Stanley Kubrick"], []),
    ("Spielberg, but nothing before 1990", ["Steven Spielberg"], []), ("I love Kubrick", ["Stanley Kubrick"], []),
    ("Cristopher Nolan please", ["Christopher Nolan"], []), ("stephen spielberg films", ["Steven Spielberg"], []),
    ("a Spielburg film", ["Steven Spielberg"], []), ("an Emma Stone comedy", ["Emma Stone"], []),
    ("no Nolan films please", [], ["Christopher Nolan"]), ("I want nothing with Hanks", [], ["Tom Hanks"]),
    ("anything but Tarantino's movies", [], ["Quentin Tarantino"]),
    ("Jonathan Nolan's shows", [], []),  # a first name the candidates do not have: someone else
    ("Stone cold thrillers", [], []), ("Harry Potter style fantasy", [], []),  # ordinary words, other names
    ("more movies with Spacey", ["Kevin Spacey"], []),  # a surname is no typo of a vocabulary word ('space')
])
def test_people_by_the_names_people_use(text: str, liked: list[str], disliked: list[str], movies: Catalog) -> None:
    st, _ = _read(text, movies)
    assert (st.liked_attributes.people, st.disliked_attributes.people) == (liked, disliked)


@pytest.mark.parametrize("text,names", [("anything by Anderson", ["Wes Anderson", "Paul Thomas Anderson"]),
                                        ("a Ford movie", ["Harrison Ford", "John Ford"]),
                                        ("Scorsese or Coppola", ["Francis Ford Coppola", "Sofia Coppola"])])
def test_a_shared_surname_asks_which_one(text: str, names: list[str], movies: Catalog) -> None:
    """Nobody is guessed: the turn shows a question naming the candidates (most films first)."""
    st, notes = _read(text, movies)
    asked = [n for n in notes if n.startswith("Which")]
    assert len(asked) == 1 and all(n in asked[0] for n in names), notes
    assert not set(names) & set(st.liked_attributes.people)


def test_people_fields_come_from_the_manifest(movies: Catalog, games: Catalog) -> None:
    assert movies.manifest.people_fields() == ["directors", "cast"] and games.manifest.people_fields() == ["creators"]
    assert "okafor" in people_index(games).surnames
    st, _ = _read("a deckbuilder by Okafor", games)
    assert st.liked_attributes.people == ["Nadia Okafor"]
    st, _ = _read("nothing designed by Vane", games)
    assert st.disliked_attributes.people == ["Idris Vane"]


def test_the_model_s_names_are_checked_against_the_catalog(movies: Catalog) -> None:
    assert resolve("Kubrick", movies) == "Stanley Kubrick" and resolve("tom hanks", movies) == "Tom Hanks"
    assert resolve("Anderson", movies) is None and resolve("Nobody Atall", movies) is None


def test_titles_and_catalog_words_are_no_names(movies: Catalog) -> None:
    """'Coen brothers' is a keyword; the full name beside it is read, the shared surname in it is not asked about."""
    st, notes = _read("a film by the Coen brothers, Joel Coen", movies)
    assert st.liked_attributes.people == ["Joel Coen"] and not [n for n in notes if n.startswith("Which")]
    assert find_people("", movies).found == []
