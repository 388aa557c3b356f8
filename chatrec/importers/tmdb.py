"""TMDB 5000 (`tmdb_5000_movies.csv`): runtime, audience score, language, genres and keywords for MovieLens films."""
from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

LANGUAGES = {
    "en": "English", "fr": "French", "es": "Spanish", "de": "German", "it": "Italian", "ja": "Japanese",
    "zh": "Chinese", "cn": "Cantonese", "ko": "Korean", "hi": "Hindi", "ru": "Russian", "pt": "Portuguese",
    "sv": "Swedish", "da": "Danish", "no": "Norwegian", "nb": "Norwegian", "fi": "Finnish", "nl": "Dutch",
    "pl": "Polish", "cs": "Czech", "hu": "Hungarian", "el": "Greek", "tr": "Turkish", "he": "Hebrew", "ar": "Arabic",
    "fa": "Persian", "th": "Thai", "id": "Indonesian", "ro": "Romanian", "is": "Icelandic", "ta": "Tamil",
    "te": "Telugu", "vi": "Vietnamese", "xx": "", "af": "Afrikaans", "ky": "Kyrgyz", "sl": "Slovenian",
    "ps": "Pashto", "nl-be": "Dutch",
}


def read_tmdb(path: Path) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            try:
                out[int(r["id"])] = r
            except (KeyError, ValueError):
                continue
    return out


def _json_names(s: str) -> list[str]:
    try:
        return [d["name"] for d in json.loads(s or "[]") if isinstance(d, dict) and d.get("name")]
    except (json.JSONDecodeError, TypeError):
        return []
