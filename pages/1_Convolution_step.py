"""Convolution step: one output pixel as a patch times the kernel, summed, plus the bias."""

from ui.conv_step import render

render()
