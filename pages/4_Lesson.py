"""Lesson: guided lessons, one step at a time, with predictions to check."""

from ui.lesson import render

render()
