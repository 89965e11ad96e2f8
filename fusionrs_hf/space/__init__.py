"""The logic behind the Gradio Space (`spaces/app.py`), testable without a browser."""

from .demo import DemoError, FusionRSDemo

__all__ = ["DemoError", "FusionRSDemo"]
