"""RGB -> infrared-style translators behind one small interface.

A translator has a `name`, a `version`, and `translate(batch)`: a list of HxWx3 uint8 RGB arrays
in, a list of HxW uint8 single-channel arrays of the same sizes out. `get_translator` picks one
by registered name (`thermal-heuristic`, the default; `luminance`, a baseline) or by a model path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from .base import Translator
from .heuristic import ThermalHeuristicTranslator
from .luminance import LuminanceTranslator

DEFAULT_TRANSLATOR = ThermalHeuristicTranslator.name

_REGISTRY: dict[str, Callable[[], Translator]] = {
    ThermalHeuristicTranslator.name: ThermalHeuristicTranslator,
    LuminanceTranslator.name: LuminanceTranslator,
}


def register_translator(name: str, factory: Callable[[], Translator]) -> None:
    """Make a translator available to `get_translator(name)` and `fusionrs build --translator name`."""
    _REGISTRY[name] = factory


def available_translators() -> list[str]:
    return sorted(_REGISTRY)


def get_translator(name_or_path: str | None = None) -> Translator:
    name_or_path = name_or_path or DEFAULT_TRANSLATOR
    if name_or_path in _REGISTRY:
        return _REGISTRY[name_or_path]()
    if Path(name_or_path).is_dir() or (name_or_path.count("/") == 1 and not Path(name_or_path).exists()):
        from .learned import LearnedTranslator  # a model folder or Hub id; imports torch only when asked

        try:
            return LearnedTranslator(name_or_path)
        except OSError as err:
            raise ValueError(f"translator {name_or_path!r} is neither a registered name {available_translators()} "
                             f"nor a loadable FusionRSTranslator folder or Hub id: {err}") from err
    raise ValueError(f"unknown translator {name_or_path!r}; choose one of {available_translators()}, "
                     "a FusionRSTranslator model folder or a Hub id")


__all__ = [
    "DEFAULT_TRANSLATOR",
    "LuminanceTranslator",
    "ThermalHeuristicTranslator",
    "Translator",
    "available_translators",
    "get_translator",
    "register_translator",
]
