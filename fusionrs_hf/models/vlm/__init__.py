from .configuration_fusionrs_vlm import PRESETS, FusionRSVLMConfig
from .modeling_fusionrs_vlm import (
    FusionRSVLMCausalLMOutputWithPast,
    FusionRSVLMForConditionalGeneration,
    FusionRSVLMModel,
    FusionRSVLMModelOutputWithPast,
    FusionRSVLMPreTrainedModel,
)
from .processing_fusionrs_vlm import CHAT_TEMPLATE, VLM_SPECIAL_TOKENS, FusionRSVLMProcessor

__all__ = ["FusionRSVLMConfig", "FusionRSVLMForConditionalGeneration", "FusionRSVLMModel",
           "FusionRSVLMPreTrainedModel", "FusionRSVLMModelOutputWithPast", "FusionRSVLMCausalLMOutputWithPast",
           "FusionRSVLMProcessor", "CHAT_TEMPLATE", "VLM_SPECIAL_TOKENS", "PRESETS"]
