"""Error types raised by the engine.

Every refusal the engine makes is one of these, with a message written for the
student who caused it: what was wrong, with the numbers, and what to do.
"""

__all__ = ["ConvlabError", "FetchError", "ImageError", "ShapeError", "SpecError"]


class ConvlabError(ValueError):
    """Base class of every error the engine raises on purpose."""


class SpecError(ConvlabError):
    """A pipeline setting is outside what the engine accepts."""


class ShapeError(ConvlabError):
    """A stage would produce an output of zero or negative size.

    Attributes
    ----------
    stage : str
        Name of the stage that cannot be computed ("convolution" or "pooling").
    """

    def __init__(self, message, stage):
        super().__init__(message)
        self.stage = stage


class ImageError(ConvlabError):
    """An image could not be read, decoded or accepted."""


class FetchError(ConvlabError):
    """An image URL was refused, or downloading it failed."""
