"""What the model is asked and what of its answer is kept: numbers only when the message states them."""
from __future__ import annotations

import pytest

from chatrec.catalog.catalog import Catalog
from chatrec.read.proposals import SHORT_MAX_TOKENS, grounded, short_schema
from chatrec.settings import Settings


@pytest.mark.parametrize("value,text,unit,ok", [
    (90, "an hour and a half", "minutes", True),  # refused before number words were normalised
    (90, "ninety minutes", "minutes", True), (120, "two hours max", "minutes", True),
    (120, "I loved Super Troopers 2", "minutes", False),  # a number without its unit is no duration
    (2016, "from 2016 on", "year", True), (1990, "something from the 90s", "year", True),
    (50, "under fifty bucks", "USD", True), (40, "under fifty bucks", "USD", False)])
def test_a_proposed_number_is_kept_only_when_stated(value: float, text: str, unit: str, ok: bool) -> None:
    assert grounded(value, text, unit) is ok


def test_the_short_schema_is_small_and_closed() -> None:
    """Asked about unplaced words only: five short lists, values from the manifest's vocabularies."""
    schema = short_schema(Catalog.load("movies", Settings()))
    assert set(schema["properties"]) == {"themes_and_moods", "wanted", "excluded", "people", "titles"}
    assert "Science Fiction" in schema["properties"]["wanted"]["items"]["enum"] and SHORT_MAX_TOKENS <= 60
    assert all(p["maxItems"] <= 3 for p in schema["properties"].values())
