"""The claims filter: blocks the statements the FusionRS paper ruled out of IR-aware captions.

An infrared-*style* view made by translation measures nothing physical, so a caption must not
claim temperature or heat, emission/emissivity/radiance, reflectivity, material or surface
properties, or a colour the scene caption does not support. Material words and colours that
the record's own scene captions use are supported (they describe the visible scene)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

BLOCKED_TERMS: dict[str, tuple[str, ...]] = {
    "temperature": (
        "temperature", "temperatures", "hot", "hotter", "hottest", "warm", "warmer", "warmest", "warmth",
        "cool", "cooler", "coolest", "cold", "colder", "heat", "heated", "heating", "thermal", "degrees",
        "celsius", "fahrenheit", "kelvin", "°c", "°f", "freezing",
    ),
    "emission": (
        "emit", "emits", "emitted", "emitting", "emission", "emissions", "emissive", "emissivity",
        "radiance", "radiant", "radiate", "radiates", "radiating", "radiation", "radiometric",
    ),
    "reflectivity": (
        "reflect", "reflects", "reflected", "reflecting", "reflection", "reflections", "reflective",
        "reflectivity", "reflectance", "albedo",
    ),
    "material": (
        "material", "materials", "metal", "metallic", "concrete", "asphalt", "cement", "steel", "iron",
        "plastic", "rubber", "glass", "wooden", "timber", "moisture", "moist", "damp", "wet", "humid",
        "roughness", "porous",
    ),
    "colour": (
        "red", "green", "blue", "yellow", "orange", "purple", "violet", "pink", "brown", "white", "black",
        "grey", "gray", "golden", "turquoise", "cyan", "magenta", "beige", "tan", "reddish", "greenish",
        "bluish", "yellowish", "brownish", "greyish", "grayish", "colour", "color", "colourful", "colorful",
    ),
}
# categories a scene caption can license (visible-light facts); the others are always blocked
SUPPORTABLE = {"material", "colour"}

_CATEGORY_OF = {term: category for category, terms in BLOCKED_TERMS.items() for term in terms}
# words, with hyphenated compounds split so "blue-green" is checked as "blue" and "green"
_WORD = re.compile(r"[a-z0-9°]+")


@dataclass
class FilterVerdict:
    text: str
    blocked: list[tuple[str, str]]  # (category, term)

    @property
    def passed(self) -> bool:
        return not self.blocked


def supported_terms(support: str) -> frozenset[str]:
    """The material and colour terms a record's scene captions use (and so license)."""
    return frozenset(w for w in _WORD.findall(support.lower()) if _CATEGORY_OF.get(w) in SUPPORTABLE)


def find_claims(text: str, support: str | frozenset[str] = "") -> list[tuple[str, str]]:
    """Every blocked (category, term) in `text`; material and colour terms that occur in `support`
    (the record's scene captions, or their `supported_terms`) are allowed."""
    allowed = supported_terms(support) if isinstance(support, str) else support
    return [(_CATEGORY_OF[w], w) for w in _WORD.findall(text.lower()) if w in _CATEGORY_OF and w not in allowed]


@dataclass
class ClaimsFilter:
    """Applies `find_claims` and keeps the counts the dataset card and build summary report."""

    checked: int = 0
    blocked_by_category: Counter = field(default_factory=Counter)
    blocked_by_term: Counter = field(default_factory=Counter)
    blocked_captions: int = 0

    def check(self, text: str, support: str | frozenset[str] = "") -> FilterVerdict:
        self.checked += 1
        blocked = find_claims(text, support)
        if blocked:
            self.blocked_captions += 1
            for category, term in blocked:
                self.blocked_by_category[category] += 1
                self.blocked_by_term[term] += 1
        return FilterVerdict(text, blocked)

    def keep(self, texts: list[str], support: str = "") -> list[str]:
        allowed = supported_terms(support)
        return [text for text in texts if self.check(text, allowed).passed]

    def merge(self, other: "ClaimsFilter") -> None:
        self.checked += other.checked
        self.blocked_captions += other.blocked_captions
        self.blocked_by_category.update(other.blocked_by_category)
        self.blocked_by_term.update(other.blocked_by_term)

    def report(self) -> dict:
        return {
            "checked": self.checked,
            "blocked": self.blocked_captions,
            "blocked_by_category": dict(sorted(self.blocked_by_category.items())),
            "top_blocked_terms": dict(self.blocked_by_term.most_common(10)),
        }
