"""Pure helpers of the bench scripts (the scripts themselves run a browser)."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import browser_profile  # noqa: E402
import harness  # noqa: E402


def test_wire_span_counts_from_the_steps_request():
    frames = [("recv", 9.0), ("sent", 10.0), ("recv", 10.018), ("recv", 10.4), ("recv", 10.65)]
    line = browser_profile.wire_span(frames)
    assert "3 received" in line  # the frame before the request is not the step's
    assert "the first 18 ms and the last 650 ms after the request" in line


def test_wire_span_says_when_nothing_passed():
    assert "none sent" in browser_profile.wire_span([("recv", 1.0)])
    assert "none received" in browser_profile.wire_span([("sent", 1.0)])


def test_the_rerun_step_is_offered_where_steps_are_chosen():
    import ab_bench

    [(key, action)] = ab_bench.STEPS["rerun"]
    assert ab_bench.FLOOR_STEP[key] == key  # the floor takes the same step
    assert action.__name__ == harness.rerun_key().__name__
    assert browser_profile.STEPS["rerun"][1].__name__ == action.__name__
