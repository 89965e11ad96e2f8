"""IR-aware captions grounded in measurements of the IR view.

Each caption keeps the scene caption's meaning (its clause is carried over verbatim) and adds
one sentence of facts measured on the IR view: how the land covers the caption names read
against their surroundings, overall contrast, outlines and smooth regions, and where the
bright and dark responses lie. Wording varies with a seeded RNG; the facts do not."""

from __future__ import annotations

import hashlib
import random
import re

from .ir_stats import GRID_NAMES, IRMeasurements

# caption nouns -> the land cover whose IR response they refer to
COVER_NOUNS: dict[str, tuple[str, ...]] = {
    "vegetation": ("trees", "tree", "forest", "forests", "woods", "grass", "grassland", "lawn", "lawns", "plants",
                   "vegetation", "farmland", "farmlands", "cropland", "crops", "fields", "field", "meadow",
                   "bushes", "shrubs", "chaparral", "greenbelt", "golf course"),
    "water": ("water", "river", "rivers", "sea", "ocean", "lake", "pond", "ponds", "harbor", "harbour",
              "pool", "pools", "waves", "stream"),
    "pavement": ("road", "roads", "street", "streets", "freeway", "freeways", "highway", "runway", "runways",
                 "parking lot", "parking lots", "intersection", "overpass", "lanes", "lane", "viaduct", "tarmac"),
    "soil": ("ground", "soil", "sand", "beach", "bare land", "desert", "loess", "dirt"),
    "shadow": ("shadow", "shadows"),
}
_NOUN_PATTERN = {
    cover: re.compile(r"\b(" + "|".join(sorted(map(re.escape, nouns), key=len, reverse=True)) + r")\b", re.I)
    for cover, nouns in COVER_NOUNS.items()
}
REGION_DELTA = 12.0  # grey levels between a region and its surroundings that count as darker/brighter
_PREFIXES = ("In the infrared-style view,", "In the infrared view,", "Seen in infrared,")


def scene_clause(caption: str) -> str:
    clause = caption.strip().rstrip(" .").strip()
    clause = re.sub(r"\s+([,.;])", r"\1", clause)
    first_word = clause.split(" ", 1)[0]
    is_acronym = len(first_word) > 1 and first_word.isupper()
    return clause if is_acronym else clause[:1].lower() + clause[1:]


def _plural(noun: str) -> bool:
    last = noun.split()[-1]
    return last.endswith("s") and not last.endswith(("ss", "us", "is"))


def _region_fact(cover: str, noun: str, delta: float, rng: random.Random) -> str:
    verb_s = "" if _plural(noun) else "s"
    if delta <= -REGION_DELTA:
        options = (f"{noun} appear{verb_s} darker than {'their' if verb_s == '' else 'its'} surroundings",
                   f"{noun} give{verb_s} a dark response",
                   f"{noun} stand{verb_s} out dark against the rest of the scene")
    elif delta >= REGION_DELTA:
        options = (f"{noun} appear{verb_s} brighter than {'their' if verb_s == '' else 'its'} surroundings",
                   f"{noun} give{verb_s} a bright response",
                   f"{noun} stand{verb_s} out bright against the rest of the scene")
    else:
        options = (f"{noun} show{verb_s} an intensity close to the rest of the scene",
                   f"{noun} barely separate{verb_s} from {'their' if verb_s == '' else 'its'} surroundings")
    return rng.choice(options)


def _contrast_fact(m: IRMeasurements, rng: random.Random) -> str:
    level = "high" if m.std >= 60 else "low" if m.std < 35 else "moderate"
    return rng.choice((f"the view has {level} overall contrast", f"overall contrast is {level}"))


def _texture_fact(m: IRMeasurements, rng: random.Random) -> str | None:
    # thresholds sit near the 85th / 15th percentiles of UCM views at analysis resolution
    if m.edge_density >= 0.35:
        return rng.choice(("many sharp outlines divide the scene", "dense, sharply outlined structures fill the view"))
    if m.low_texture_fraction >= 0.4:
        return rng.choice(("large smooth, low-texture areas dominate", "much of the view is smooth and low in texture"))
    if m.edge_density < 0.05:
        return rng.choice(("outlines are soft and few", "few distinct outlines are visible"))
    return None


def _share_fact(m: IRMeasurements, rng: random.Random) -> str | None:
    share, tone = max((m.bright_fraction, "bright"), (m.dark_fraction, "dark"))
    if share < 0.2:
        return None
    amount = "most" if share >= 0.6 else "about half" if share >= 0.4 else "about a quarter" if share < 0.3 else "about a third"
    return rng.choice((f"{tone} responses cover {amount} of the view", f"{amount} of the view reads {tone}"))


def _layout_fact(m: IRMeasurements, rng: random.Random) -> str | None:
    grid = m.grid_means
    if not grid or max(grid) - min(grid) < 25:
        return None
    bright, dark = GRID_NAMES[grid.index(max(grid))], GRID_NAMES[grid.index(min(grid))]
    return rng.choice((f"the brightest responses lie toward the {bright} and the darkest toward the {dark}",
                       f"bright responses gather at the {bright} while the {dark} is darkest"))


def _stable_rng(seed: int, *keys) -> random.Random:
    digest = hashlib.sha256(repr((seed,) + keys).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def describe_ir(caption: str, measurements: IRMeasurements, rng: random.Random, max_facts: int = 3) -> str:
    """One IR-aware caption (two sentences) for one scene caption."""
    facts = []
    for cover, (_, delta) in sorted(measurements.regions.items(), key=lambda item: -abs(item[1][1])):
        match = _NOUN_PATTERN[cover].search(caption)
        if match:
            facts.append(_region_fact(cover, f"the {match.group(1).lower()}", delta, rng))
    # only covers the caption names are described, so no object is invented
    facts = facts[:2]
    extras = (_layout_fact(measurements, rng), _texture_fact(measurements, rng),
              _share_fact(measurements, rng), _contrast_fact(measurements, rng))
    for extra in extras:
        if extra and len(facts) < max_facts:
            facts.append(extra)
    body = facts[0] if len(facts) == 1 else ", ".join(facts[:-1]) + ", and " + facts[-1]
    return f"{rng.choice(_PREFIXES)} {scene_clause(caption)}. {body[:1].upper()}{body[1:]}."


class TemplateIRCaptioner:
    """The default captioner: deterministic for a given seed, sample and scene caption."""

    name = "measured-template"
    version = "1.0"

    def __init__(self, seed: int = 0):
        self.seed = seed

    @property
    def id(self) -> str:
        return f"{self.name}@{self.version}"

    def caption(self, sample_id: str, captions: list[str], measurements: IRMeasurements) -> list[str]:
        return [describe_ir(c, measurements, _stable_rng(self.seed, sample_id, i)) for i, c in enumerate(captions)]
