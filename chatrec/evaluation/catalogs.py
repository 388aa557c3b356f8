"""Catalogs for the evaluation data sets, built so the product's own ranker can run on them unchanged.

Items come from the data set's item file (Games-6k titles) or the MovieLens import (movies.csv enriched by
`chatrec.importers.movielens` where it is available). `popularity` and `neighbors` are set from the split's TRAINING
sequences only (see `importers.neighbors.build`), so the catalog used on the test split never saw a test target.
The item vectors come from the real embedder through `chatrec.catalog.index.Index` (a persistent Chroma folder under
`<data_dir>/eval/chroma`, so a second run embeds nothing).
"""
from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from chatrec.catalog.catalog import Catalog
from chatrec.catalog.manifest import Manifest
from chatrec.evaluation.data import RankSplit, movielens_movies, need
from chatrec.settings import Settings

GAMES_MANIFEST: dict[str, Any] = {
    "name": "eval-games-6k", "domain": "video games", "item_noun": "video game product",
    "item_noun_plural": "video game products",
    "description": "Amazon Video Games items of the LLMRank Games-6k split (titles only); research use.",
    "title_field": "title",
    "fields": {
        "id": {"type": "string", "required": True, "display": "hidden", "embed": False},
        "title": {"type": "string", "required": True, "display": "title", "embed": True},
        "popularity": {"type": "number", "required": False, "display": "hidden", "embed": False, "minimum": 0,
                       "unit": "interactions"},
    },
}
ML_NAME = "eval-ml-latest-small"


def eval_settings(settings: Settings | None = None) -> Settings:
    s = settings or Settings()
    if s.chroma_path is None and not s.chroma_host:
        s = s.model_copy(update={"chroma_path": Path(s.data_dir) / "eval" / "chroma"})
    if s.feedback_path is None:  # replayed conversations are not users: keep them out of the real feedback log
        s = s.model_copy(update={"feedback_path": Path(s.data_dir) / "eval" / "feedback.sqlite3"})
    return s


def games_catalog() -> Catalog:
    from chatrec.evaluation.data import games_items

    ids, titles = games_items()
    man = Manifest.model_validate(GAMES_MANIFEST)
    items = [{"id": i, "title": t} for i, t in zip(ids, titles)]
    return Catalog(man.name, Path("."), man, items)


def _basic_movies(name: str) -> tuple[Manifest, list[dict[str, Any]]]:
    """Fallback when the MovieLens importer is not available: title, year and genres from movies.csv."""
    from chatrec.importers import map_genres, movie_manifest, parse_ml_title

    man = movie_manifest(name, "ml-latest-small movies (GroupLens), research use.")
    vocab = man["fields"]["genres"]["vocabulary"]
    items = []
    for m in movielens_movies():
        title, year, _ = parse_ml_title(m["title"])
        genres, kws = map_genres(m["genres"].split("|"), vocab)
        it: dict[str, Any] = {"id": f"ml-{m['movieId']}", "title": title}
        if year:
            it["year"] = year
        if genres:
            it["genres"] = genres
        if kws:
            it["keywords"] = kws
        items.append(it)
    return Manifest.model_validate(man), items


def movielens_catalog(settings: Settings, rebuild: bool = False) -> Catalog:
    """The ml-latest-small catalog as the product imports it (`<data_dir>/catalogs/eval-ml-latest-small`)."""
    path = Path(settings.data_dir) / "catalogs" / ML_NAME
    from chatrec.rank.signals.neighbors import RECIPE_FILE

    stale = not (path / "manifest.json").exists() or '"public_popularity"' not in (path / "manifest.json").read_text() \
        or not (path / RECIPE_FILE).exists()
    if rebuild or stale:  # built before the importer named its public popularity or used the one recipe: import again
        from chatrec.importers import import_movielens

        import_movielens(need("ml-latest-small"), ML_NAME, settings)
    return Catalog.load(path, settings)


def for_split(base: Catalog, split: RankSplit, neighbors: dict[str, list[tuple[str, float]]],
              popularity: np.ndarray | None = None, sequence: Any = None) -> Catalog:
    """A copy of `base` whose popularity and neighbours come from `split`'s training sequences only."""
    pop = split.popularity() if popularity is None else popularity
    pos = {i: n for n, i in enumerate(split.item_ids)}
    items = []
    for it in base.items:
        it = dict(it)
        n = pos.get(it["id"])
        it["popularity"] = round(float(pop[n]), 4) if n is not None else 0
        items.append(it)
    man = base.manifest
    if "popularity" not in man.fields:
        man = man.model_copy(deep=True)
        man.fields["popularity"] = copy.deepcopy(Manifest.model_validate(GAMES_MANIFEST).fields["popularity"])
    learned = replace(base.learned, neighbors=neighbors, sequence=sequence)
    cat = replace(base, manifest=man, items=items, learned=learned)
    cat.__dict__.pop("by_id", None)
    cat.__dict__.pop("_titles", None)
    return cat


def split_catalog(base: Catalog, split: RankSplit, recipe: Any = None, sequence: Any = None) -> Catalog:
    """The evaluation catalog of one split: neighbours and popularity learned from its training sequences by the
    product's own builder (`importers.neighbors.build`) with the dataset's recipe, and `sequence` (from
    `sequence_for`) as its sequence model."""
    from chatrec.rank.signals.neighbors import build

    col = build(split.train_sequences, split.item_ids, recipe or split.dataset)
    return for_split(base, split, col.neighbors, col.popularity, sequence)


SEQUENCE_EPOCHS = {"games": 20, "ml-latest-small": 20}
# Which data sets' catalogs carry their sequence model (the `sasrec` row is reported for both). Chosen on the
# validation splits: on Games-6k the `sequence` component lifts the product ranker's NDCG@10 0.764 -> 0.800; on
# ml-latest-small it lowers it at every weight tried (0.771 -> 0.766 at 0.1, 0.741 at 0.5; also with 50-item
# windows, 30-60 epochs, dropout 0.5): its SASRec alone (0.64) learns little beyond popularity there.
SEQUENCE_IN_CATALOG = {"games": True, "ml-latest-small": False}


def sequence_for(split: RankSplit, settings: Settings, seed: int = 0, log: Any = print,
                 epochs: int | None = None) -> Any:
    """The split's sequence model (`chatrec.rank.signals.sequence`), trained on its training sequences only, with a
    fixed number
    of epochs per data set; kept under `<data_dir>/eval/sequence/` by a hash of exactly what it was trained on, so
    `eval tune` and `eval rank` re-runs train nothing."""
    import hashlib

    from chatrec.rank.signals.neighbors import train_sequence
    from chatrec.rank.signals.sequence import SequenceConfig, SequenceModel

    cfg = SequenceConfig(epochs=epochs or SEQUENCE_EPOCHS.get(split.dataset, 20), seed=seed)
    h = hashlib.sha256(cfg.model_dump_json().encode() + ",".join(split.item_ids).encode())
    for s in split.train_sequences:
        h.update(np.asarray(s, dtype=np.int64).tobytes() + b"|")
    path = Path(settings.data_dir) / "eval" / "sequence" / f"{split.dataset}-{split.split}-{h.hexdigest()[:16]}.pt"
    if path.exists():
        return SequenceModel.load(path)
    m = train_sequence(split.train_sequences, split.item_ids, cfg.epochs, seed, log=log)
    path.parent.mkdir(parents=True, exist_ok=True)
    m.save(path)
    return m


def base_catalog(dataset: str, settings: Settings, item_ids: list[str] | None = None) -> Catalog:
    """The data set's catalog; with `item_ids` (a tiny split) only those items, from movies.csv alone for MovieLens,
    under a name of their own (an index collection is synced to exactly its catalog's items)."""
    if item_ids is None:
        return games_catalog() if dataset == "games" else movielens_catalog(settings)
    if dataset == "games":
        base = games_catalog()
    else:
        man, items = _basic_movies(ML_NAME)
        base = Catalog(ML_NAME, Path("."), man, items)
    keep = set(item_ids)
    import hashlib

    tag = hashlib.sha256(",".join(sorted(keep)).encode()).hexdigest()[:8]
    name = f"{base.name}-tiny-{tag}"
    man = base.manifest.model_copy(update={"name": name})
    return Catalog(name, Path("."), man, [it for it in base.items if it["id"] in keep])


class Core:
    """The product's embedder, index and ranker, pointed at an evaluation catalog."""

    def __init__(self, settings: Settings | None = None) -> None:
        from chatrec.catalog.index import Embedder, Index

        self.settings = eval_settings(settings)
        s = self.settings
        self.embedder = Embedder(str(s.embedding_path) if s.embedding_path else None)
        self.index = Index(s, self.embedder)

    def sync(self, catalog: Catalog, progress: bool = True) -> dict[str, int]:
        """Embed what is not indexed yet (items without popularity: it changes per split, the text does not)."""
        plain = replace(catalog, items=[{k: v for k, v in it.items() if k != "popularity"} for it in catalog.items])
        plain.__dict__.pop("by_id", None)
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=len(plain.items), unit="item", desc=f"indexing {catalog.name}", leave=False)

        def cb(done: int, total: int) -> None:
            if bar is not None:
                bar.total = total
                bar.update(done - bar.n)

        counts = self.index.sync(plain, progress=cb)
        if bar is not None:
            bar.close()
        return counts

    def vectors(self, catalog: Catalog, item_ids: list[str]) -> np.ndarray:
        pos, mat = self.index.matrix(catalog)
        out = np.zeros((len(item_ids), mat.shape[1]), dtype=np.float32)
        for n, i in enumerate(item_ids):
            if i in pos:
                out[n] = mat[pos[i]]
        return out

    def ranker(self, catalog: Catalog, weights: Any = None, llm: Any = None, n_llm: int | None = None) -> Any:
        from chatrec.rank.ranker import Ranker

        return Ranker(catalog, self.index, self.embedder, llm, weights=weights,
                      n_llm=self.settings.n_llm_scored if n_llm is None else n_llm)


def manifest_json(catalog: Catalog) -> str:
    return json.dumps(catalog.manifest.model_dump(), indent=2)
