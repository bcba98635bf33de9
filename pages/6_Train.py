"""Train: a small CNN trained live on handwritten digits, and a digit you draw."""

from ui.train import render

render()
