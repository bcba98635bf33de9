"""Classic 2-D kernels, built with OpenCV's kernel builders where one exists.

Every preset is a function of the kernel size ``k``. Presets with an OpenCV
builder (``cv2.getGaussianKernel``, ``cv2.getDerivKernels``,
``cv2.getGaborKernel``) exist at many sizes; the textbook 3x3 tables
(Sharpen, Prewitt, Emboss) exist only at their one natural size.
:func:`fit_kernel_size` says which size a preset moves "Kernel size" to.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from cnn_core.errors import SpecError
from cnn_core.i18n import DEFAULT_LANGUAGE, Message, catalogue

__all__ = [
    "BANK",
    "KERNEL_SIZES",
    "PRESETS",
    "Preset",
    "bank_kernels",
    "bank_sizes",
    "fit_kernel_size",
    "gabor_parameters",
    "preset_kernel",
    "preset_label",
    "preset_source",
    "sizes_message",
    "sizes_text",
]

#: Kernel sizes the UI offers (the spec's kernel_size limits).
KERNEL_SIZES = range(1, 32)
_ODD = tuple(range(3, 32, 2))


def _identity(k):
    kernel = np.zeros((k, k), np.float64)
    kernel[k // 2, k // 2] = 1.0
    return kernel


def _box(k):
    return np.full((k, k), 1.0 / (k * k))


def _gaussian(k):
    # sigma = 0.3*((k - 1)*0.5 - 1) + 0.8, OpenCV's default for a negative sigma
    g = cv2.getGaussianKernel(k, -1, ktype=cv2.CV_64F)
    return g @ g.T


def _sharpen(k):
    return np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], np.float64)


def _derivative(dx, dy, k):
    # normalize=True: OpenCV scales by 1/2**(2k - dx - dy - 2), so a 31x31
    # Sobel gives values near the input's range instead of ~1e8.
    kx, ky = cv2.getDerivKernels(dx, dy, k, normalize=True, ktype=cv2.CV_64F)
    return ky @ kx.T


def _sobel_x(k):
    return _derivative(1, 0, k)


def _sobel_y(k):
    return _derivative(0, 1, k)


def _prewitt_x(k):
    return np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], np.float64) / 6.0


def _prewitt_y(k):
    return _prewitt_x(k).T.copy()


def _laplacian(k):
    return _derivative(2, 0, k) + _derivative(0, 2, k)


def _emboss(k):
    return np.array([[-2, -1, 0], [-1, 1, 1], [0, 1, 2]], np.float64)


def gabor_parameters(k):
    """The ``cv2.getGaborKernel`` arguments the Gabor preset uses at size ``k``.

    Vertical stripes (``theta=0``) with a wavelength of half the kernel and
    a Gaussian envelope a fifth of it wide.

    Examples
    --------
    >>> gabor_parameters(15)
    {'ksize': (15, 15), 'sigma': 3.0, 'theta': 0.0, 'lambd': 7.5, 'gamma': 0.5, 'psi': 0.0}
    """
    return {
        "ksize": (k, k),
        "sigma": max(k / 5.0, 0.6),
        "theta": 0.0,
        "lambd": k / 2.0,
        "gamma": 0.5,
        "psi": 0.0,
    }


def _gabor(k):
    kernel = cv2.getGaborKernel(**gabor_parameters(k), ktype=cv2.CV_64F)
    # Zero mean: it answers stripes, not overall brightness.
    return kernel - kernel.mean()


@dataclass(frozen=True)
class Preset:
    """One classic kernel.

    Attributes
    ----------
    name : str
        URL name (``weights=``), e.g. ``"sobel_x"``.
    label : str
        The English display name, e.g. ``"Sobel x"``; :func:`preset_label`
        gives it in any language.
    sizes : tuple of int
        Kernel sizes it exists at.
    source : str
        Where it comes from, for the Kernels page (English;
        :func:`preset_source` gives it in any language).
    """

    name: str
    label: str
    sizes: tuple
    source: str
    build: object

    def kernel(self, k):
        """The ``(k, k)`` float32 kernel; ``k`` must be in :attr:`sizes`."""
        if k not in self.sizes:
            raise SpecError(
                "errors.kernel.preset_size",
                sizes=sizes_message(self.sizes),
                label=preset_label(self.name),
                kernel_size=k,
            )
        return self.build(k).astype(np.float32)


def _presets():
    odd_from_1 = tuple(range(1, 32, 2))
    table = [
        ("identity", odd_from_1, _identity),
        ("box", tuple(KERNEL_SIZES), _box),
        ("gaussian", _ODD, _gaussian),
        ("sharpen", (3,), _sharpen),
        ("sobel_x", _ODD, _sobel_x),
        ("sobel_y", _ODD, _sobel_y),
        ("prewitt_x", (3,), _prewitt_x),
        ("prewitt_y", (3,), _prewitt_y),
        ("laplacian", _ODD, _laplacian),
        ("emboss", (3,), _emboss),
        ("gabor", _ODD, _gabor),
    ]
    # The words live in the catalogue (kernels.preset.*, kernels.source.*);
    # label and source keep the English ones for code that wants plain text.
    english = catalogue(DEFAULT_LANGUAGE)
    return {
        name: Preset(
            name, english[f"kernels.preset.{name}"], sizes, english[f"kernels.source.{name}"], build
        )
        for name, sizes, build in table
    }


#: Presets by URL name, in the order the sidebar lists them.
PRESETS = _presets()
#: The classic bank: one filter per preset, in :data:`PRESETS` order.
BANK = tuple(PRESETS)


def preset_kernel(name, k):
    """The 2-D kernel of preset ``name`` at size ``k``.

    Parameters
    ----------
    name : str
        A key of :data:`PRESETS`.
    k : int

    Returns
    -------
    ndarray of float32, shape (k, k)

    Examples
    --------
    >>> preset_kernel("sobel_x", 3) * 8
    array([[-1.,  0.,  1.],
           [-2.,  0.,  2.],
           [-1.,  0.,  1.]], dtype=float32)
    """
    if name not in PRESETS:
        raise SpecError("errors.kernel.unknown_preset", choices=str(list(PRESETS)), value=name)
    return PRESETS[name].kernel(k)


def bank_sizes():
    """Sizes at which every preset exists (the bank's sizes).

    Examples
    --------
    >>> bank_sizes()
    (3,)
    """
    common = set(KERNEL_SIZES)
    for preset in PRESETS.values():
        common &= set(preset.sizes)
    return tuple(sorted(common))


def bank_kernels(k):
    """The classic bank at size ``k``: one kernel per preset.

    Returns
    -------
    kernels : ndarray of float32, shape (k, k, len(BANK))
    labels : tuple of str
        The presets' labels, in filter order.

    Examples
    --------
    >>> kernels, labels = bank_kernels(3)
    >>> kernels.shape, labels[4]
    ((3, 3, 11), 'Sobel x')
    """
    if k not in bank_sizes():
        raise SpecError("errors.kernel.bank_size", sizes=sizes_message(bank_sizes()), kernel_size=k)
    kernels = np.stack([PRESETS[name].kernel(k) for name in BANK], axis=2)
    return kernels, tuple(PRESETS[name].label for name in BANK)


def preset_label(name):
    """A preset's display name as a :class:`~cnn_core.i18n.Message`.

    Examples
    --------
    >>> preset_label("sobel_x").render("en"), preset_label("sobel_x").render("zh")
    ('Sobel x', 'Sobel x 方向')
    """
    return Message.of(f"kernels.preset.{name}")


def preset_source(name):
    """Where a preset comes from, as a :class:`~cnn_core.i18n.Message`."""
    return Message.of(f"kernels.source.{name}")


def sizes_message(sizes):
    """Which kernel sizes a choice exists at, as a message (the sizes are numbers).

    Examples
    --------
    >>> sizes_message((3,))
    Message(key='kernels.sizes.only', params=(('size', 3),))
    """
    sizes = tuple(sizes)
    if len(sizes) == 1:
        return Message.of("kernels.sizes.only", size=sizes[0])
    if all(size % 2 for size in sizes) and sizes == tuple(range(sizes[0], sizes[-1] + 1, 2)):
        return Message.of("kernels.sizes.odd", low=sizes[0], high=sizes[-1])
    if sizes == tuple(range(sizes[0], sizes[-1] + 1)):
        return Message.of("kernels.sizes.range", low=sizes[0], high=sizes[-1])
    return Message.of("kernels.sizes.among", sizes=", ".join(map(str, sizes)))


def sizes_text(sizes, lang="en"):
    """Describe a set of kernel sizes in words.

    Examples
    --------
    >>> sizes_text((3,)), sizes_text(tuple(range(3, 32, 2))), sizes_text(tuple(range(1, 32)))
    ('of 3 only', 'that is odd, 3-31', 'of 1-31')
    >>> sizes_text((3,), "zh")
    '只能是 3'
    """
    return sizes_message(sizes).render(lang)


def fit_kernel_size(sizes, k):
    """The supported size nearest ``k`` (the larger one on a tie).

    Examples
    --------
    >>> fit_kernel_size((3,), 15), fit_kernel_size(range(3, 32, 2), 4), fit_kernel_size((3, 5), 5)
    (3, 5, 5)
    """
    return min(sizes, key=lambda size: (abs(size - k), -size))
