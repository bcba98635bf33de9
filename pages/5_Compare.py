"""Compare: two settings, A (the sidebar's) and B, side by side on the same image."""

from ui.compare import render
from ui.page import run_page

run_page(render)
