from .configuration_fusionrs_clip import MODE_LOSS_WEIGHTS, PRESETS, FusionRSCLIPConfig
from .modeling_fusionrs_clip import FusionRSCLIPModel, FusionRSCLIPOutput, FusionRSCLIPPreTrainedModel
from .processing_fusionrs_clip import FusionRSProcessor

__all__ = ["FusionRSCLIPConfig", "FusionRSCLIPModel", "FusionRSCLIPOutput", "FusionRSCLIPPreTrainedModel",
           "FusionRSProcessor", "MODE_LOSS_WEIGHTS", "PRESETS"]
