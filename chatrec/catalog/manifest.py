"""The catalog manifest schema: a domain declares its fields once and state, filters and UI derive from it."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FieldType = Literal["string", "text", "integer", "number", "list", "boolean"]
FilterKind = Literal["range", "include_exclude", "member"]
Display = Literal["title", "badge", "tags", "fact", "text", "hidden"]


class PhraseEffect(BaseModel):
    """What a manifest phrase does to its field (values it keeps or rules out)."""

    model_config = ConfigDict(extra="forbid")
    include: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)
    min: float | None = None
    max: float | None = None
    since_years_ago: float | None = Field(None, description="min = the request's year minus this ('recent').")
    until_years_ago: float | None = Field(None, description="max = the request's year minus this ('older').")


class FieldSpec(BaseModel):
    """One item field: its type, unit, how it filters and how it shows."""

    model_config = ConfigDict(extra="forbid")
    type: FieldType
    required: bool = False
    unit: str | None = Field(None, description="e.g. 'minutes', 'year', 'USD'")
    filter: FilterKind | None = None
    vocabulary: list[str] | None = Field(None, description="Closed set of allowed values, if any.")
    display: Display = "fact"
    embed: bool = False
    minimum: float | None = None
    maximum: float | None = None
    references: str | None = Field(None, description="Values are ids of other items in the same catalog.")
    synonyms: dict[str, list[str]] = Field(default_factory=dict, description="Value -> other words people use for "
                                           "it ('sci-fi' for Science Fiction); the value itself always counts.")
    words: list[str] = Field(default_factory=list, description="Words that point at this field without naming a value "
                             "('subtitles', 'dubbed' for a language; 'rated' for an age rating).")
    phrases: dict[str, PhraseEffect] = Field(default_factory=dict, description="Whole phrases that set the field: "
                                             "'no subtitles' -> include English.")
    order: list[str] | None = Field(None, description="Vocabulary values from lowest to highest, for 'PG-13 or lower'.")
    comparatives: dict[str, Literal["lower", "higher"]] = Field(
        default_factory=dict, description="Words that compare with a named or shown item: 'shorter' -> lower.")
    mention: Literal["soft", "hard"] = Field("soft", description="What naming a value plainly does: 'soft' a wish "
                                             "that moves scores ('a comedy'), 'hard' a limit ('in French').")
    people: bool = Field(False, description="Values are people's names (cast, directors, designers): the reader "
                         "also knows them by surname ('Nolan', 'Kubrick's').")

    @model_validator(mode="after")
    def _check(self) -> "FieldSpec":
        if self.filter == "range" and self.type not in ("integer", "number"):
            raise ValueError("a 'range' filter needs an integer or number field")
        if self.filter == "member" and self.type != "list":
            raise ValueError("a 'member' filter needs a list field")
        if self.vocabulary is not None:
            for v in [*self.synonyms, *(self.order or [])]:
                if v not in self.vocabulary:
                    raise ValueError(f"{v!r} (in synonyms or order) is not in the vocabulary")
        return self


class LanguageWords(BaseModel):
    """A catalog's own words in one more language: each word or phrase -> the English word of the same field that
    the reader knows (a value, a synonym, a phrase, a field word or a comparative). The language's everyday words
    (negation, bounds, numbers) are the reader's (chatrec/read/words/<code>.json), not the catalog's."""

    model_config = ConfigDict(extra="forbid")
    item_words: dict[str, str] = Field(default_factory=dict, description="Nouns for an item -> an English item "
                                       "noun ('película' -> 'movie').")
    fields: dict[str, dict[str, str]] = Field(default_factory=dict, description="Field -> word in this language "
                                              "-> the English word ('comédie' -> 'Comedy', 'récent' -> 'recent').")


class Manifest(BaseModel):
    """What a catalog is about and how each of its fields behaves."""

    model_config = ConfigDict(extra="forbid")
    name: str
    domain: str
    item_noun: str
    item_noun_plural: str
    description: str = ""
    title_field: str = "title"
    item_words: list[str] = Field(default_factory=list, description="Other nouns for an item ('film', 'flick'), "
                                  "besides item_noun and item_noun_plural.")
    ownership_words: list[str] = Field(default_factory=list, description="Verbs that say the user has had an item "
                                       "already ('seen', 'watched'; 'bought', 'own'): never recommended again.")
    public_popularity: str | None = Field(None, description="A numeric field that counts how many people know an "
                                          "item today (a public vote count): talk's candidates and ranking use it.")
    fields: dict[str, FieldSpec]
    languages: dict[str, LanguageWords] = Field(default_factory=dict, description="ISO 639-1 code -> this catalog's "
                                                "words in that language, for messages not written in English.")

    @model_validator(mode="after")
    def _check(self) -> "Manifest":
        for key in ("id", self.title_field):
            if key not in self.fields:
                raise ValueError(f"the manifest must declare the field {key!r}")
        for code, words in self.languages.items():
            for name, table in words.fields.items():
                spec = self.fields.get(name)
                if spec is None:
                    raise ValueError(f"languages.{code}: no field {name!r}")
                if spec.vocabulary is None:
                    continue
                known = {w.lower() for w in [*self.synonyms_for(name), *spec.phrases, *spec.words,
                                             *spec.comparatives]}
                bad = sorted(v for v in table.values() if v.lower() not in known)
                if bad:
                    raise ValueError(f"languages.{code}.{name}: {bad} are not words of the field {name!r}")
        pp = self.public_popularity
        if pp is not None and (pp not in self.fields or self.fields[pp].type not in ("integer", "number")):
            raise ValueError(f"public_popularity {pp!r} must name a declared integer or number field")
        return self

    def filterable(self) -> dict[str, FieldSpec]:
        """Fields a user can constrain (become `state.constraints.<field>`)."""
        return {k: f for k, f in self.fields.items() if f.filter}

    def embedded(self) -> list[str]:
        return [k for k, f in self.fields.items() if f.embed]

    def synonyms_for(self, field: str) -> dict[str, str]:
        """Lower-cased word or phrase -> vocabulary value of `field`: each value itself and its manifest synonyms.
        Empty for an unknown field."""
        spec = self.fields.get(field)
        if spec is None:
            return {}
        out = {v.lower(): v for v in [*(spec.vocabulary or []), *spec.synonyms]}
        for value, words in spec.synonyms.items():
            out.update({w.lower(): value for w in words})
        return out

    def people_fields(self) -> list[str]:
        """Fields whose values name people."""
        return [k for k, f in self.fields.items() if f.people]

    def item_nouns(self) -> list[str]:
        """Every noun that names an item of this catalog ('movie', 'movies', 'film'...)."""
        return list(dict.fromkeys([self.item_noun, self.item_noun_plural, *self.item_words]))
