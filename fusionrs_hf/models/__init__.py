"""FusionRS models, registered with the transformers Auto classes on import."""

from transformers import AutoConfig, AutoModel, AutoProcessor

from .clip import FusionRSCLIPConfig, FusionRSCLIPModel, FusionRSProcessor

AutoConfig.register(FusionRSCLIPConfig.model_type, FusionRSCLIPConfig, exist_ok=True)
AutoModel.register(FusionRSCLIPConfig, FusionRSCLIPModel, exist_ok=True)
AutoProcessor.register(FusionRSCLIPConfig, FusionRSProcessor, exist_ok=True)

# saved folders carry their code and an `auto_map`, so trust_remote_code loads them without this package
FusionRSCLIPConfig.register_for_auto_class()
FusionRSCLIPModel.register_for_auto_class("AutoModel")
FusionRSProcessor.register_for_auto_class("AutoProcessor")

__all__ = ["FusionRSCLIPConfig", "FusionRSCLIPModel", "FusionRSProcessor"]
