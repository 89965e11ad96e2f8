"""IR-aware captioners: the measured-template default, and an optional backend that prompts any
local transformers text-generation model with the paper's rules and the measured IR facts.

Both return one caption per scene caption; the builder passes every caption through the claims
filter. The language-model backend falls back to the template caption (and counts why) when the
model's answer is not the JSON asked for or says nothing."""

from __future__ import annotations

import json
import re
from collections import Counter

from .ir_captions import TemplateIRCaptioner
from .ir_stats import GRID_NAMES, IRMeasurements

PAPER_RULES = (
    "You describe an infrared-style aerial image for a remote-sensing dataset. Rules: describe grayscale "
    "intensity, bright and dark responses, low-texture regions, outlines and contrast; keep the meaning of "
    "the scene caption; do not invent objects; write 1-2 sentences; make NO physical claims (no temperature "
    "or heat, no emission or radiance, no reflectivity, no materials, no colours)."
)


def build_prompt(scene_caption: str, measurements: IRMeasurements) -> str:
    facts = measurements.summary()
    facts["brightest_cell"] = GRID_NAMES[measurements.grid_means.index(max(measurements.grid_means))]
    facts["darkest_cell"] = GRID_NAMES[measurements.grid_means.index(min(measurements.grid_means))]
    facts["regions_minus_surroundings"] = {k: round(d, 1) for k, (_, d) in measurements.regions.items()}
    return (f"{PAPER_RULES}\nScene caption: {scene_caption}\nMeasurements of the infrared view (0-255): "
            f"{json.dumps(facts)}\nAnswer with JSON only: {{\"ir_caption\": \"...\"}}\n")


def parse_answer(text: str) -> str | None:
    """The `ir_caption` of the first JSON object in a model's answer, or None."""
    for match in re.finditer(r"\{[^{}]*\}", text):
        try:
            value = json.loads(match.group(0)).get("ir_caption")
        except (json.JSONDecodeError, AttributeError):
            continue
        if isinstance(value, str) and value.strip():
            return " ".join(value.split())
    return None


class LanguageModelIRCaptioner:
    name = "language-model"
    version = "1.0"

    def __init__(self, model_name_or_path: str, seed: int = 0, max_new_tokens: int = 80, device: str | None = None):
        from transformers import pipeline

        self.model_name_or_path = model_name_or_path
        self.generator = pipeline("text-generation", model=model_name_or_path, device=device)
        self.max_new_tokens = max_new_tokens
        self.fallback = TemplateIRCaptioner(seed=seed)
        self.fallbacks: Counter = Counter()

    @property
    def id(self) -> str:
        return f"{self.name}:{self.model_name_or_path}@{self.version}"

    def generate(self, prompts: list[str]) -> list[str]:
        outputs = self.generator(prompts, max_new_tokens=self.max_new_tokens, do_sample=False, return_full_text=False)
        return [output[0]["generated_text"] for output in outputs]

    def caption(self, sample_id: str, captions: list[str], measurements: IRMeasurements) -> list[str]:
        answers = self.generate([build_prompt(c, measurements) for c in captions])
        template = self.fallback.caption(sample_id, captions, measurements)
        result = []
        for answer, fallback in zip(answers, template):
            parsed = parse_answer(answer)
            if parsed is None:
                self.fallbacks["unparsable_answer"] += 1
            result.append(parsed or fallback)
        return result


def get_captioner(name_or_path: str = "template", seed: int = 0):
    if name_or_path in ("template", TemplateIRCaptioner.name):
        return TemplateIRCaptioner(seed=seed)
    return LanguageModelIRCaptioner(name_or_path, seed=seed)
