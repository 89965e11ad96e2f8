"""FusionRS-HF: dual-modal (RGB + infrared) vision-language learning for remote sensing."""

__version__ = "0.1.0"


def __getattr__(name):
    # Model classes load lazily (torch + transformers are heavy for the data tools); touching one, e.g.
    # `fusionrs_hf.FusionRSCLIPModel`, or importing `fusionrs_hf.models` registers them all with the Auto classes.
    if name.startswith("FusionRS"):
        from . import models

        if name in models.__all__:
            return getattr(models, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
