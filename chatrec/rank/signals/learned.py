"""What a catalog learned from interactions, kept apart from what it is (`catalog.Catalog` holds the items).

The learned files sit beside the items in the catalog folder, written by the importers (`importers/common.py`):
`neighbors.json` (co-occurrence, `signals/neighbors.py`), `sequence_model.pt` (`signals/sequence.py`) and
`rating_model.json` (`signals/rating.py`). A catalog reaches them in one place, `catalog.learned`, so a reader can
tell at a glance which code depends on interaction data and which only on the items.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from chatrec.rank.signals.sequence import FILE_NAME as SEQUENCE_FILE
from chatrec.rank.signals.sequence import SequenceModel  # cheap: torch is imported only when a model loads

if TYPE_CHECKING:
    from chatrec.rank.signals.rating import RatingModel

NEIGHBORS_FILE = "neighbors.json"
RATING_FILE = "rating_model.json"


@dataclass
class Learned:
    """A catalog's learned signals; each is empty (or None) when the folder holds no such file. Read-only after
    loading, like the catalog, so sessions can share it."""

    neighbors: dict[str, list[tuple[str, float]]] = field(default_factory=dict)  # id -> (id, strength), strongest first
    sequence: SequenceModel | None = None  # what comes next after a user's likes
    rating: RatingModel | None = None  # star prediction (catalogs imported with ratings)

    @classmethod
    def load(cls, folder: Path) -> Learned:
        """The learned files of a catalog folder. Only files that exist are read, and torch is imported only when
        there is a sequence model: a catalog without interaction data loads as fast as its items."""
        nb_path = folder / NEIGHBORS_FILE
        neighbors = {k: [(a, float(b)) for a, b in v] for k, v in json.loads(nb_path.read_text()).items()} \
            if nb_path.exists() else {}
        sequence = SequenceModel.load(folder / SEQUENCE_FILE) if (folder / SEQUENCE_FILE).exists() else None
        rating = None
        if (folder / RATING_FILE).exists():  # scipy only for catalogs that predict stars
            from chatrec.rank.signals.rating import RatingModel

            rating = RatingModel.load(folder / RATING_FILE)
        return cls(neighbors, sequence, rating)
