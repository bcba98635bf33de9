"""convlab's engine: pure functions from an image and a spec to numbers and figures.

Nothing here imports streamlit; every number the UI shows is computed here.
"""

from cnn_core.errors import ConvlabError, FetchError, ImageError, ShapeError, SpecError
from cnn_core.spec import PipelineSpec

__all__ = ["ConvlabError", "FetchError", "ImageError", "PipelineSpec", "ShapeError", "SpecError"]
