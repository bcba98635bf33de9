"""Receptive fields on the input image, by the standard recurrence.

Araujo, Norris and Sim, "Computing Receptive Fields of Convolutional Neural
Networks", Distill 2019. Every layer is a window of ``kernel`` pixels (the
effective, dilated kernel for a convolution), moved by ``stride``, after
``pad`` pixels of zeros on the top/left. Bottom-up, with ``r0 = 1``,
``j0 = 1``, ``u0 = 0``:

* size ``r_l = r_(l-1) + (k_l - 1) * j_(l-1)``
* jump ``j_l = j_(l-1) * s_l``
* start ``u_l = u_(l-1) - p_l * j_(l-1)``

so output pixel ``y`` of layer ``l`` sees input rows ``u_l + y*j_l`` to
``u_l + y*j_l + r_l - 1`` (the same along columns). The start may be
negative: the field then reaches into the zero padding.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnn_core.errors import SpecError

__all__ = ["INPUT_FIELD", "ReceptiveField"]


@dataclass(frozen=True)
class ReceptiveField:
    """Where one output pixel of a stage looks on the input image.

    Attributes
    ----------
    size : int
        Side, in input pixels, of the square an output pixel depends on
        (its span: with dilation or a stride larger than the window, some
        pixels inside it are skipped).
    jump : int
        Input pixels between the fields of two neighbouring output pixels.
    start : int
        Input row (and column) where output pixel 0's field begins; negative
        when it starts in the zero padding.

    Examples
    --------
    >>> field = INPUT_FIELD.then(15, 1).then(2, 2)
    >>> field, field.span(10)
    (ReceptiveField(size=16, jump=2, start=0), (20, 35))
    """

    size: int = 1
    jump: int = 1
    start: int = 0

    def then(self, kernel, stride, pad=0):
        """The field after one more layer of window ``kernel`` (effective, for a
        dilated convolution), ``stride`` and ``pad`` pixels on the top/left."""
        if kernel < 1 or stride < 1 or pad < 0:
            raise SpecError("errors.internal.field", kernel=kernel, stride=stride, pad=pad)
        return ReceptiveField(
            size=self.size + (kernel - 1) * self.jump,
            jump=self.jump * stride,
            start=self.start - pad * self.jump,
        )

    def span(self, index):
        """First and last input row (or column) output ``index`` depends on, inclusive."""
        first = self.start + index * self.jump
        return first, first + self.size - 1


#: The input itself: each pixel sees itself.
INPUT_FIELD = ReceptiveField()
