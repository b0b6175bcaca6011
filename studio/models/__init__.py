"""Models as data: ModelSpec, the registry in resources/models/models.toml, pre/post-processing, adaptive resolution.

Heavy pieces (the TFLite->ONNX converter, downloads) are submodules imported on use.
"""

from studio.models.registry import ModelRegistry, default_registry
from studio.models.resolution import choose_input_size
from studio.models.spec import ModelSpec

__all__ = ["ModelRegistry", "ModelSpec", "choose_input_size", "default_registry"]
