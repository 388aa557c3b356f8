"""MeLU's MovieLens-1M metadata (`movies_extrainfos.dat`): plot, directors, actors, age rating by movieId."""
from __future__ import annotations

from pathlib import Path

RATINGS = {"G": "G", "PG": "PG", "PG-13": "PG-13", "R": "R", "NC-17": "NC-17", "NR": "NR", "UNRATED": "NR",
           "NOT RATED": "NR"}


def read_melu(path: Path) -> dict[int, dict[str, str]]:
    keys = ["id", "title", "year", "rated", "released", "genres", "director", "writer", "actors", "plot", "poster"]
    out: dict[int, dict[str, str]] = {}
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("::")
            if len(parts) >= 10 and parts[0].isdigit():
                out[int(parts[0])] = dict(zip(keys, parts))
    return out
