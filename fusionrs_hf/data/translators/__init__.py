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
    if Path(name_or_path).exists() or "/" in name_or_path:
        # a model folder or Hub id: learned translators register a loader under "model"
        if "model" not in _REGISTRY:
            raise ValueError(
                f"translator {name_or_path!r} looks like a model path, but no learned-translator loader is "
                f"installed in this version; use one of {available_translators()}"
            )
        return _REGISTRY["model"](name_or_path)  # type: ignore[call-arg]
    raise ValueError(f"unknown translator {name_or_path!r}; choose one of {available_translators()} or a model path")


__all__ = [
    "DEFAULT_TRANSLATOR",
    "LuminanceTranslator",
    "ThermalHeuristicTranslator",
    "Translator",
    "available_translators",
    "get_translator",
    "register_translator",
]
