"""Convolution step: one output pixel as a patch times the kernel, summed, plus the bias."""

from ui.conv_step import render
from ui.page import run_page

run_page(render)
