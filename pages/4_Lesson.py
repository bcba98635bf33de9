"""Lesson: guided lessons, one step at a time, with predictions to check."""

from ui.lesson import render
from ui.page import run_page

run_page(render)
