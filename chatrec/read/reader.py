"""Reading one message once: number words, how far a negation reaches, and mentions of the catalog's words.

English is code (negation cues, number words through text2num, calendar words); the domain is data (vocabulary
values, synonyms, field words, phrases, keywords from the catalog's manifest and items, via its Lexicon). The rules
in `constraints.py` and `understanding.py` ask this module, so every rule agrees on what a negation covers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from text_to_num import alpha2digit

from chatrec.read.lexicon import CUE_WORDS, FUNCTION_WORDS, Lexicon

NEG = (r"(?:no|not|never|without|avoid|avoiding|hate|hates|skip|except|nothing|none of|neither|nor|"
       r"don'?t (?:want|like|enjoy|do|need|care for|love|show me|give me|recommend|suggest)|not in the mood for|"
       r"doesn'?t|do not (?:want|like|enjoy|need)|dislike|"
       r"can'?t stand|cannot stand|can'?t do|not a fan of|not into|sick of|tired of|anything but|anything except|"
       r"rather not|other than|instead of|fed up with|enough of|steer clear of|isn'?t|aren'?t|wasn'?t|"
       r"ain'?t|won'?t|can'?t say|cannot say|haven'?t|hasn'?t|have not|has not|didn'?t|did not|nothing like|"
       r"shouldn'?t|should not|mustn'?t|not be)")
# Words that end a negation's reach: a turn ("but", "though") or a new wish ("love comedy", "want horror").
BLOCK = r"(?:but|though|however|yet|although|whereas|while|love|loves|like|likes|want|wants|prefer|enjoy|please|so)"
ANY_WORD = rf"(?!{BLOCK}\b)[\w'-]+"
ITEM_WORD = (r"(?:films?|movies?|ones?|titles?|shows?|games?|books?|products?|items?|things?|gifts?|released|made|"
             r"published|that'?s|that is|which is|rated)")


def negated(low: str, start: int, over: str = ANY_WORD, reach: int = 4) -> bool:
    """Is the phrase starting at `start` of the lower-cased message inside a negation's scope? The scope is the
    one rule of the reader: a cue ("no", "not", "don't like", "anything but", "isn't"...) at most `reach` words
    before, in the same clause (no , ; . ! ? between), with no turn or new wish between ("can't stand horror but
    love comedy"). `over` says which words the cue may reach over: any word for a value ("not a fan of dark
    thrillers"), only item nouns for a comparison ("no films older than 1975"; "no horror from 1990 on" is not)."""
    window = low[max(0, start - 90): start]
    return re.search(rf"(?<![\w'-]){NEG}(?:\s+{over}){{0,{reach}}}\s*$", window) is not None


# Negation words people misspell, each read as itself one typo away ('nothign', 'wihtout', 'dosent'): every word one
# deletion, insertion, change or swap of neighbours away, same first letter, five letters or more, except English
# words the reader knows ('newer' is not 'never', 'noting' is not 'nothing'). Generated once: a dict lookup a word.
NEG_TYPO_CUES = ("nothing", "never", "without", "neither", "except", "avoid", "dislike", "doesnt", "doesn't")
REAL_WORDS = frozenset("notting noting nether newer avoids avoided dislikes disliked nevermind doesn't".split())


def _one_typo(word: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    cuts = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in cuts if b} | {a + b[1] + b[0] + b[2:] for a, b in cuts if len(b) > 1}
    out |= {a + c + b[1:] for a, b in cuts if b for c in letters} | {a + c + b for a, b in cuts for c in letters}
    return {w for w in out if len(w) >= 5 and w[0] == word[0] and w != word}


def _typo_table() -> dict[str, str]:
    known = FUNCTION_WORDS | CUE_WORDS | REAL_WORDS
    table: dict[str, str] = {}
    for cue in NEG_TYPO_CUES:
        for w in _one_typo(cue) - known - set(NEG_TYPO_CUES):
            table.setdefault(w, cue)
    return table


NEG_TYPOS = _typo_table()
_WORD = re.compile(r"[A-Za-z][A-Za-z']*")


def fix_negation_typos(text: str) -> str:
    """`text` with misspelled negation words written right ('nothign over 90 minutes' -> 'nothing over 90 minutes'),
    so every rule reading negation sees them. A capitalised word inside a sentence is a name or a title ('Notting
    Hill') and stays as written."""
    def fix(m: re.Match[str]) -> str:
        w = m.group(0)
        cue = NEG_TYPOS.get(w.lower())
        if cue is None:
            return w
        if w[0].isupper():
            if re.search(r"[\w,;:'\"-]\s*$", text[:m.start()]):
                return w
            return cue.capitalize()
        return cue
    return _WORD.sub(fix, text)


DECADE_WORDS = {"twenties": 20, "thirties": 30, "forties": 40, "fifties": 50, "sixties": 60, "seventies": 70,
                "eighties": 80, "nineties": 90}
HOUR_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "a couple of": 2, "a couple": 2, "couple of": 2,
              "a few": 3}


def normalise_numbers(low: str) -> str:
    """Number words and spoken durations as digits with units: 'ninety minutes' -> '90 minutes', 'an hour and a
    half' -> '90 minutes', 'two hours max' -> '120 minutes max', 'half an hour' -> '30 minutes'."""
    t = low.replace("½", ".5")
    t = alpha2digit(t, "en")  # 'ninety', 'twenty-five', 'ten'; 'one'/'two' stay words (threshold 3): 'another one'
    t = re.sub(r"\ba (?=\d)", "", t)  # 'a hundred' -> 'a 100' -> '100'
    t = re.sub(rf"\b(?:the )?({'|'.join(DECADE_WORDS)})\b", lambda m: f"the {DECADE_WORDS[m.group(1)]}s", t)
    t = re.sub(r"(?<=\bhour) n (?=a half\b)|(?<=\bhours) n (?=a half\b)", " and ", t)
    t = re.sub(r"\bhalf an hour\b", "30 minutes", t)
    words = "|".join(sorted(map(re.escape, HOUR_WORDS), key=len, reverse=True))
    t = re.sub(rf"\b({words}|\d+(?:\.\d+)?) hours? and (?:a half|30 minutes)\b|\b({words}|\d+(?:\.\d+)?) and a half "
               r"hours?\b", lambda m: _minutes(m.group(1) or m.group(2), 30), t)
    t = re.sub(rf"\b({words}|\d+(?:\.\d+)?) hours?,? (?:and )?(\d+) min(?:ute)?s?\b",
               lambda m: _minutes(m.group(1), int(m.group(2))), t)
    t = re.sub(rf"\b({words})[ -](?:hours?|hrs?)\b", lambda m: _minutes(m.group(1), 0), t)
    t = re.sub(r"\b(\d+(?:\.\d+)?)[ -]?(?:hours?|hrs?|h)\b", lambda m: _minutes(m.group(1), 0), t)
    return t


def _minutes(hours: str, extra: int) -> str:
    n = HOUR_WORDS.get(hours.strip()) or float(hours)
    return f"{n * 60 + extra:g} minutes"


@dataclass
class Mention:
    """A phrase of the message that names something of the catalog: a vocabulary value (field, value), a phrase
    with a manifest effect (field, phrase), or a keyword/tag (field None)."""

    start: int
    end: int
    phrase: str
    field: str | None
    value: str
    negated: bool


TOKEN = re.compile(r"[a-z0-9][a-z0-9'&-]*")


def _ngrams(low: str, max_n: int = 5) -> list[tuple[int, int, str]]:
    """(start, end, words joined by one space) for every run of up to `max_n` tokens: the phrase lookup keys."""
    toks = [(m.start(), m.end(), m.group(0)) for m in TOKEN.finditer(low)]
    out = []
    for i in range(len(toks)):
        for n in range(min(max_n, len(toks) - i), 0, -1):
            a, b = toks[i][0], toks[i + n - 1][1]
            out.append((a, b, " ".join(t[2] for t in toks[i: i + n])))
    return out


def find_mentions(low: str, text: str, lex: Lexicon) -> list[Mention]:
    """Vocabulary values, manifest phrases and catalog keywords written in the message, longest first and never
    overlapping, each with whether a negation reaches it. Short codes ('R', 'G', 'PG') count only written in
    capitals and not opening the message ('Really', 'Game' are not ratings)."""
    taken: list[tuple[int, int]] = []
    out: list[Mention] = []
    grams = sorted(_ngrams(low), key=lambda g: (-(g[1] - g[0]), g[0]))
    for a, b, key in grams:
        if key not in lex.phrases and key not in lex.keywords and key.endswith("s") and key[:-1] in lex.keywords:
            key = key[:-1]  # "wargames": the keyword "wargame"
        kind = ("phrase", lex.field_phrases[key]) if key in lex.field_phrases else \
            ("value", lex.phrases[key]) if key in lex.phrases else \
            ("keyword", (lex.keywords[key], key)) if key in lex.keywords else None
        if kind is None or any(a < y and x < b for x, y in taken):
            continue
        field, value = kind[1]
        if kind[0] == "value" and len(value) <= 2 and key == value.lower() and text[a:b] != value:
            continue  # 'R', 'G', 'PG' count only in capitals ('is r ok' is no rating); 'r-rated' always counts
        if kind[0] == "keyword" and key in lex.phrases:
            continue
        taken.append((a, b))
        out.append(Mention(a, b, key, field, value if kind[0] != "phrase" else key, negated(low, a)))
    out += _typos(low, lex, taken)
    return sorted(out, key=lambda m: m.start)


def _typos(low: str, lex: Lexicon, taken: list[tuple[int, int]]) -> list[Mention]:
    """Single words one typo away from a vocabulary word ('horor', 'comdy', 'documentry'): same first letter, five
    letters or more, similarity 85+ (rapidfuzz), and not an ordinary English word the reader knows."""
    from rapidfuzz import fuzz, process

    out = []
    words = [k for k in lex.phrases if " " not in k and len(k) >= 5]
    for m in TOKEN.finditer(low):
        w = m.group(0)
        if len(w) < 5 or w in lex.phrases or w in FUNCTION_WORDS or w in CUE_WORDS or w in lex.keywords or \
                any(m.start() < y and x < m.end() for x, y in taken):
            continue
        hit = process.extractOne(w, [k for k in words if k[0] == w[0]], scorer=fuzz.ratio, score_cutoff=85)
        if hit:
            field, value = lex.phrases[hit[0]]
            out.append(Mention(m.start(), m.end(), w, field, value, negated(low, m.start())))
    return out


def mask(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the given spans blanked (same length, so positions still line up)."""
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)
