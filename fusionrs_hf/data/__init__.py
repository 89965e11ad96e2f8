"""The FusionRS data pipeline: sources -> translate -> caption -> filter -> split -> write."""

from .build import BuildConfig, BuildSummary, build_dataset
from .schema import FUSIONRS_FEATURES

__all__ = ["BuildConfig", "BuildSummary", "build_dataset", "FUSIONRS_FEATURES"]
