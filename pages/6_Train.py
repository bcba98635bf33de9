"""Train: a small CNN trained live on handwritten digits, and a digit you draw."""

from ui.page import run_page
from ui.train import render

run_page(render)
