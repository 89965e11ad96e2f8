from .configuration_fusionrs_translator import PRESETS, FusionRSTranslatorConfig
from .image_processing_fusionrs_translator import FusionRSTranslatorImageProcessor
from .modeling_fusionrs_translator import (
    FusionRSPatchDiscriminator,
    FusionRSTranslatorModel,
    FusionRSTranslatorOutput,
    FusionRSTranslatorPreTrainedModel,
    ssim_map,
)

__all__ = ["FusionRSPatchDiscriminator", "FusionRSTranslatorConfig", "FusionRSTranslatorImageProcessor",
           "FusionRSTranslatorModel", "FusionRSTranslatorOutput", "FusionRSTranslatorPreTrainedModel", "PRESETS",
           "ssim_map"]
