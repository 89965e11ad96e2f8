"""FusionRS-HF: dual-modal (RGB + infrared) vision-language learning for remote sensing."""

__version__ = "0.1.0"
