"""FusionRS models, registered with the transformers Auto classes on import.

`register_for_auto_class` makes saved folders carry their code and an `auto_map`, so
`trust_remote_code=True` loads them in a process without this package."""

from transformers import (
    AutoConfig,
    AutoImageProcessor,
    AutoModel,
    AutoModelForImageTextToText,
    AutoModelForImageToImage,
    AutoProcessor,
)

from .clip import FusionRSCLIPConfig, FusionRSCLIPModel, FusionRSProcessor
from .translator import FusionRSTranslatorConfig, FusionRSTranslatorImageProcessor, FusionRSTranslatorModel
from .vlm import FusionRSVLMConfig, FusionRSVLMForConditionalGeneration, FusionRSVLMModel, FusionRSVLMProcessor

# FusionRSCLIP: the contrastive RGB-IR-text track
AutoConfig.register(FusionRSCLIPConfig.model_type, FusionRSCLIPConfig, exist_ok=True)
AutoModel.register(FusionRSCLIPConfig, FusionRSCLIPModel, exist_ok=True)
AutoProcessor.register(FusionRSCLIPConfig, FusionRSProcessor, exist_ok=True)
FusionRSCLIPConfig.register_for_auto_class()
FusionRSCLIPModel.register_for_auto_class("AutoModel")
FusionRSProcessor.register_for_auto_class("AutoProcessor")

# FusionRSVLM: the generative track
AutoConfig.register(FusionRSVLMConfig.model_type, FusionRSVLMConfig, exist_ok=True)
AutoModel.register(FusionRSVLMConfig, FusionRSVLMModel, exist_ok=True)
AutoModelForImageTextToText.register(FusionRSVLMConfig, FusionRSVLMForConditionalGeneration, exist_ok=True)
AutoProcessor.register(FusionRSVLMConfig, FusionRSVLMProcessor, exist_ok=True)
FusionRSVLMConfig.register_for_auto_class()
FusionRSVLMModel.register_for_auto_class("AutoModel")
FusionRSVLMForConditionalGeneration.register_for_auto_class("AutoModelForImageTextToText")
FusionRSVLMProcessor.register_for_auto_class("AutoProcessor")

# FusionRSTranslator: the learned RGB -> infrared translator
AutoConfig.register(FusionRSTranslatorConfig.model_type, FusionRSTranslatorConfig, exist_ok=True)
AutoModel.register(FusionRSTranslatorConfig, FusionRSTranslatorModel, exist_ok=True)
AutoModelForImageToImage.register(FusionRSTranslatorConfig, FusionRSTranslatorModel, exist_ok=True)
AutoImageProcessor.register(FusionRSTranslatorConfig, slow_image_processor_class=FusionRSTranslatorImageProcessor,
                            exist_ok=True)
FusionRSTranslatorConfig.register_for_auto_class()
FusionRSTranslatorModel.register_for_auto_class("AutoModel")
FusionRSTranslatorImageProcessor.register_for_auto_class("AutoImageProcessor")

__all__ = [
    "FusionRSCLIPConfig", "FusionRSCLIPModel", "FusionRSProcessor",
    "FusionRSVLMConfig", "FusionRSVLMModel", "FusionRSVLMForConditionalGeneration", "FusionRSVLMProcessor",
    "FusionRSTranslatorConfig", "FusionRSTranslatorImageProcessor", "FusionRSTranslatorModel",
]
