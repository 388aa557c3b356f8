"""The fact check reads the catalog's manifest: numbers with a unit, years, list vocabularies and people are checked
in a domain the code never names (tests/data/boardgames), and the shipped catalogs keep their checks."""
from __future__ import annotations

from pathlib import Path

import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.explain.factcheck import check, numeric_fields, vocabulary_claims, year_fields
from chatrec.settings import Settings

BOARDGAMES = Path(__file__).parents[1] / "data" / "boardgames"


@pytest.fixture(scope="module")
def games() -> Catalog:
    return Catalog.load(BOARDGAMES, Settings())


def test_the_checked_fields_come_from_the_manifest(games: Catalog) -> None:
    units = numeric_fields(games.manifest)
    assert units["minutes"] == ["play_minutes"] and units["players"] == ["max_players"]
    assert year_fields(games.manifest) == ["year"]
    assert set(vocabulary_claims(games.manifest)) == {"mechanics"}  # a list vocabulary; 'weight' is a scalar one
    assert "coop" in vocabulary_claims(games.manifest)["mechanics"]["Cooperative"]


def test_a_true_phrase_about_a_board_game_passes(games: Catalog) -> None:
    game = games.by_id["harbor-lights"]  # 2016, 45 minutes, up to 4 players, Tile Laying, by Mara Quist
    assert check("Mara Quist's seaside game where you light lighthouses, 45 minutes for 2 to 4 players.", game,
                 games) == []
    assert check("A 2016 tile laying game: guide fishing boats home in a 45-minute session.", game, games) == []


@pytest.mark.parametrize("claim,why", [
    ("Guide fishing boats home in a 90-minute session.", "wrong play 90 minutes"),
    ("Light lighthouses with up to 6 players.", "wrong max 6 players"),
    ("A cooperative game of lighthouses and fishing boats.", "calls it Cooperative"),
    ("A 2019 game of lighthouses and fishing boats.", "wrong year 2019"),
    ("A classic of the 1990s about lighthouses.", "wrong decade 1990s"),
    ("Idris Vane designed this seaside game.", "'Idris Vane', which is not in the record"),
])
def test_a_wrong_claim_about_a_board_game_is_rejected(claim: str, why: str, games: Catalog) -> None:
    problems = check(claim, games.by_id["harbor-lights"], games)
    assert any(why in p for p in problems), problems


def test_the_users_own_limit_may_be_named(games: Catalog) -> None:
    game = games.by_id["harbor-lights"]
    phrase = "Well within your 60 minutes: light lighthouses and guide fishing boats home."
    assert check(phrase, game, games) != []
    assert check(phrase, game, games, limits={60.0}) == []


def test_the_shipped_catalogs_keep_their_checks() -> None:
    movies, products = Catalog.load("movies", Settings()), Catalog.load("products", Settings())
    heat = movies.by_id["heat-1995"]
    assert check(f"A {heat['runtime_minutes']}-minute crime epic from {heat['year']}.", heat, movies) == []
    assert any("wrong runtime 95 minutes" in p for p in check("At 95 minutes it is quick.", heat, movies))
    assert any("$12" in p for p in check("Only $12.", heat, movies))  # a price for a film is invented
    item = products.items[0]
    assert check(f"Yours for ${item['price_usd']:.2f}.", item, products) == []
    assert any(p.startswith("wrong price $") for p in check(f"Yours for ${item['price_usd'] + 5:.2f}.", item,
                                                            products))
    assert any("minutes" in p for p in check("Ready in 30 minutes.", item, products))  # no duration in the record
