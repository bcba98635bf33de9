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
        What the sidebar and tile titles show, e.g. ``"Sobel x"``.
    sizes : tuple of int
        Kernel sizes it exists at.
    source : str
        Where it comes from, for the Kernels page.
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
                f"Expected a kernel size {sizes_text(self.sizes)} for {self.label}. "
                f"Received: kernel_size={k}"
            )
        return self.build(k).astype(np.float32)


def _presets():
    odd_from_1 = tuple(range(1, 32, 2))
    table = [
        ("identity", "Identity", odd_from_1, "1 at the centre, 0 elsewhere", _identity),
        ("box", "Box blur", tuple(KERNEL_SIZES), "1/k² everywhere (cv2.blur)", _box),
        (
            "gaussian",
            "Gaussian blur",
            _ODD,
            "cv2.getGaussianKernel(k, -1), outer product",
            _gaussian,
        ),
        ("sharpen", "Sharpen", (3,), "textbook 3x3: 5 at the centre, -1 beside it", _sharpen),
        ("sobel_x", "Sobel x", _ODD, "cv2.getDerivKernels(1, 0, k, normalize=True)", _sobel_x),
        ("sobel_y", "Sobel y", _ODD, "cv2.getDerivKernels(0, 1, k, normalize=True)", _sobel_y),
        ("prewitt_x", "Prewitt x", (3,), "textbook 3x3 [-1 0 1] rows, / 6", _prewitt_x),
        ("prewitt_y", "Prewitt y", (3,), "textbook 3x3 [-1 0 1] columns, / 6", _prewitt_y),
        (
            "laplacian",
            "Laplacian",
            _ODD,
            "d²/dx² + d²/dy² from cv2.getDerivKernels(normalize=True)",
            _laplacian,
        ),
        ("emboss", "Emboss", (3,), "textbook 3x3 [[-2 -1 0] [-1 1 1] [0 1 2]]", _emboss),
        ("gabor", "Gabor", _ODD, "cv2.getGaborKernel, vertical stripes, zero mean", _gabor),
    ]
    return {
        name: Preset(name, label, sizes, source, build)
        for name, label, sizes, source, build in table
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
        raise SpecError(f"Expected a preset among {list(PRESETS)}. Received: {name!r}")
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
        raise SpecError(
            f"Expected a kernel size {sizes_text(bank_sizes())} for the classic bank. "
            f"Received: kernel_size={k}"
        )
    kernels = np.stack([PRESETS[name].kernel(k) for name in BANK], axis=2)
    return kernels, tuple(PRESETS[name].label for name in BANK)


def sizes_text(sizes):
    """Describe a set of kernel sizes in words.

    Examples
    --------
    >>> sizes_text((3,)), sizes_text(tuple(range(3, 32, 2))), sizes_text(tuple(range(1, 32)))
    ('of 3 only', 'that is odd, 3-31', 'of 1-31')
    """
    sizes = tuple(sizes)
    if len(sizes) == 1:
        return f"of {sizes[0]} only"
    if all(size % 2 for size in sizes) and sizes == tuple(range(sizes[0], sizes[-1] + 1, 2)):
        return f"that is odd, {sizes[0]}-{sizes[-1]}"
    if sizes == tuple(range(sizes[0], sizes[-1] + 1)):
        return f"of {sizes[0]}-{sizes[-1]}"
    return "among " + ", ".join(map(str, sizes))


def fit_kernel_size(sizes, k):
    """The supported size nearest ``k`` (the larger one on a tie).

    Examples
    --------
    >>> fit_kernel_size((3,), 15), fit_kernel_size(range(3, 32, 2), 4), fit_kernel_size((3, 5), 5)
    (3, 5, 5)
    """
    return min(sizes, key=lambda size: (abs(size - k), -size))
