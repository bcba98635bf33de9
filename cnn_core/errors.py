"""Error types raised by the engine.

Every refusal the engine makes is one of these, written for the student who
caused it: what was wrong, with the numbers, and what to do. The engine is
language-neutral: an error carries a catalogue key and its numbers (a
:class:`~cnn_core.i18n.Message`), and the UI renders it in the student's
language with :meth:`ConvlabError.render`. ``str(error)`` is the English text.
"""

from cnn_core.i18n import DEFAULT_LANGUAGE, Message, catalogue

__all__ = ["CallError", "ConvlabError", "FetchError", "ImageError", "ShapeError", "SpecError"]


class ConvlabError(ValueError):
    """Base class of every error the engine raises on purpose.

    Parameters
    ----------
    key : str or Message
        A catalogue key (``"errors.spec.out_of_range"``) or a ready message.
        Anything else is a KeyError: the text a student reads comes from the
        catalogue, in every language.
    **params
        The key's placeholder values.

    Attributes
    ----------
    message : Message
        What to say, in any language.
    """

    def __init__(self, key, /, **params):
        if isinstance(key, Message):
            message = key
        elif key in catalogue(DEFAULT_LANGUAGE):
            message = Message.of(key, **params)
        else:
            # A sentence instead of a key would reach the student untranslated.
            raise KeyError(f"{key!r} is not a catalogue key; errors carry keys, not sentences")
        self.message = message
        super().__init__(message.render(DEFAULT_LANGUAGE))

    def render(self, lang):
        """This error's text in ``lang``."""
        return self.message.render(lang)


class SpecError(ConvlabError):
    """A pipeline setting is outside what the engine accepts."""


class ShapeError(ConvlabError):
    """A stage would produce an output of zero or negative size.

    Attributes
    ----------
    stage : str
        Name of the stage that cannot be computed ("convolution" or "pooling").
    """

    def __init__(self, key, /, stage, **params):
        super().__init__(key, **params)
        self.stage = stage


class ImageError(ConvlabError):
    """An image could not be read, decoded or accepted."""


class FetchError(ConvlabError):
    """An image URL was refused, or downloading it failed."""


class CallError(ConvlabError, TypeError):
    """The engine was called with a value of the wrong type: a bug in the
    calling code, not something a student typed. It is also a TypeError."""
