"""The words the reader knows, per catalog: English function words (code) plus the domain's words (its manifest).

Everything domain-specific comes from the manifest (vocabulary values and their synonyms, words that point at a
field, ownership verbs, item nouns), so a new catalog needs a manifest, not code. `unplaced_words` is what is left
of a message once these are taken out: the words only the model might read.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from chatrec.catalog.manifest import Manifest
from chatrec.read.scope import polarity

# Function words, fillers and dialogue words of English: they carry no preference of their own.
FUNCTION_WORDS = frozenset("""
a an the and or but nor so yet if then than as of in on at to for from by with without about into onto over under
up down out off again also too very really quite rather pretty just only even still maybe perhaps probably please
thanks thank you hi hello hey ok okay yes yeah yep no nope not never none nothing anything something everything
some any all every each both either neither other others another more most less least much many few lot lots bit
i me my mine we us our you your he him his she her it its they them their this that these those there here what
which who whom whose when where why how is are was were be been being am do does did done have has had having will
would shall should can could may might must let lets get got give show tell find recommend recommendation
recommendations suggest suggestion suggestions want wanted wants need needs looking look like liked likes love loved
loves enjoy enjoyed prefer preferred mood watch watching see seeing try kind sort type something's that's it's i'm
i'd i've i'll don't doesn't didn't isn't aren't wasn't weren't can't cannot won't wouldn't shouldn't couldn't
what's there's let's you're we're they're good great nice fine cool awesome best better bad worse worst new old
tonight today weekend evening night time one ones same else instead similar different again already ever
actually basically sure thing things stuff say said think guess know current currently way well go going gonna
wanna idea ideas option options pick picks
okay alright any thanks cheers hmm um uh oh also too either anymore much
""".split()) | frozenset("""
talk talking talked chat chatting chance chances interesting hope hoping hopefully glad heard hear doing plan plans
wish luck true pleasure welcome bye goodbye lol haha day sounds seems help helpful helping morning afternoon
""".split())  # chit-chat: catalog tags too ('talking', 'hope'), but in talk never a wish (ReDial replay, section 2b)
# Cue words the rules read: negation, comparison, quantity, ordinal and date words.
CUE_WORDS = frozenset("""
avoid avoiding hate hates hated dislike disliked skip except fan stand sick tired into mind allow bring back
under below above over less more fewer least most at max maximum min minimum within between around about approx
approximately roughly or so ish tops longest shortest short shorter long longer older newer earlier later recent
recently modern classic classics old-school oldies before after since until till up to from onwards onward on
forward lower higher cheaper pricier expensive cheap budget spend dollars dollar bucks usd price priced cost costs
hour hours hr hrs h minute minutes min mins m year years decade decades century centuries era last past first second
third fourth fifth 1st 2nd 3rd 4th 5th number half quarter and a couple star stars out rate rating rated seen watched
saw played read bought own owned have purchased ordered already favorite favourite favorites
boring awful terrible meh overrated disappointing dull slow amazing brilliant fantastic perfect excellent loved
hated enjoyed liked made release released releases come came out story stories set directed starring stars starred
make makes run runs running week month weeks months ago twenties thirties forties fifties sixties seventies eighties
nineties post pre pls plz thx yrs yr mins hrs care mind haven't hasn't didn't surprise
zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen
eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand dozen
""".split())
TOKEN = re.compile(r"[a-z0-9][a-z0-9'&-]*")


@dataclass
class Lexicon:
    """One catalog's reading tables, built once from its manifest (catalogs are read-only, so this is shared)."""

    phrases: dict[str, tuple[str, str]] = field(default_factory=dict)  # "sci-fi" -> ("genres", "Science Fiction")
    field_words: dict[str, str] = field(default_factory=dict)  # "subtitles" -> "language"
    field_phrases: dict[str, tuple[str, str]] = field(default_factory=dict)  # "no subtitles" -> ("language", same)
    keywords: dict[str, str] = field(default_factory=dict)  # "twist ending" -> "keywords" (soft traits of items)
    item_nouns: frozenset[str] = frozenset()
    ownership: tuple[str, ...] = ()
    phrase_re: re.Pattern[str] = re.compile(r"(?!x)x")  # every vocabulary phrase, longest first, whole words
    field_re: re.Pattern[str] = re.compile(r"(?!x)x")  # every field-pointing word or phrase
    shields: frozenset[str] = frozenset()  # phrases with a meaning of their own that hold a cue ('no subtitles')
    content_re: re.Pattern[str] | None = None  # every catalog word: values, field words, phrases

    @classmethod
    def from_manifest(cls, manifest: Manifest, values: dict[str, list[str]] | None = None,
                      keywords: dict[str, str] | None = None) -> "Lexicon":
        """`values`: field -> the values items have, for include/exclude fields without a vocabulary (language);
        `keywords`: phrase -> field, the keywords/tags items share (soft traits)."""
        phrases: dict[str, tuple[str, str]] = {}
        field_words: dict[str, str] = {}
        field_phrases: dict[str, tuple[str, str]] = {}
        for name, spec in manifest.filterable().items():
            for v in (values or {}).get(name, []):
                phrases.setdefault(v.lower(), (name, v))
            for word, value in manifest.synonyms_for(name).items():
                phrases.setdefault(word, (name, value))
            for w in spec.words:
                field_words.setdefault(w.lower(), name)
            for w in spec.phrases:
                field_phrases.setdefault(w.lower(), (name, w))
        nouns = frozenset(w.lower() for w in manifest.item_nouns())
        common = FUNCTION_WORDS | CUE_WORDS | nouns
        vocab = alternation(phrases)  # a keyword that names a value ("romantic comedy") is read as the values
        kw = {k: f for k, f in (keywords or {}).items() if k not in field_words and len(k) >= 4
              and not all(w in common for w in k.split())  # 'not seen', 'talking': dialogue words, not traits
              and not any(ch.isdigit() for ch in k) and not vocab.search(k)}
        return cls(phrases, field_words, field_phrases, kw, nouns, tuple(w.lower() for w in manifest.ownership_words),
                   vocab, alternation([*field_words, *field_phrases]), _shields([*phrases, *field_phrases]),
                   alternation([*phrases, *field_words, *field_phrases]))


def _shields(phrases: Iterable[str]) -> frozenset[str]:
    """The manifest's phrases that hold a negation cue ('no subtitles', 'not too long', 'not rated'): each has its
    own meaning, so the reader takes it whole and its cue negates nothing after it."""
    return frozenset(p for p in phrases if polarity(p).scopes or polarity(f"horror {p}").scopes)


def alternation(words: Iterable[str]) -> re.Pattern[str]:
    """One regex for a set of words or phrases: longest first, whole words only (hyphens count as word letters)."""
    ordered = sorted(set(words), key=len, reverse=True)
    body = "|".join(re.escape(w) for w in ordered) or r"(?!x)x"
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])")


def unplaced_words(masked: str, lex: Lexicon) -> list[str]:
    """Content words of a message that no rule reads: `masked` is the lower-cased message with the titles and people
    the rules found already blanked. Vocabulary phrases, field words, item nouns, numbers, cue and function words
    are placed; what is left (in order, once each) is what the model may be asked about."""
    folded = unicodedata.normalize("NFKD", masked.lower()).encode("ascii", "ignore").decode()
    text = lex.field_re.sub(" ", lex.phrase_re.sub(" ", folded))
    out: list[str] = []
    for tok in TOKEN.findall(text):
        w = tok.strip("'-")
        base = w[:-2] if w.endswith("'s") else w
        if not base or base in FUNCTION_WORDS or base in CUE_WORDS or base in lex.item_nouns:
            continue
        if re.fullmatch(r"\d+(?:[.,]\d+)?(?:s|st|nd|rd|th|m|h|min|mins|hrs?|%)?|'?\d0s", base):
            continue
        if base.endswith("s") and (base[:-1] in lex.item_nouns or base[:-1] in FUNCTION_WORDS):
            continue
        if base not in out:
            out.append(base)
    return out
