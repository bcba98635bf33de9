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


def test_ab_bench_prints_work_medians_and_the_change_against_the_first_app(capsys):
    import ab_bench

    floor, one, two = str(ab_bench.FLOOR_APP), "/a/app.py", "/b/app.py"
    work = {
        (floor, "padding_same"): [(0.1, 0.5, 60_000)],
        (one, "padding_same"): [(1.0, 3.0, 1_000_000), (2.0, 4.0, 1_200_000), (1.2, 3.2, 9)],
        (two, "padding_same"): [(0.5, 2.5, 900_000)],
    }
    ab_bench.print_work(work, [one, two])
    [row] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("padding")]
    floor_cell, one_cell, two_cell = row.split(" | ")[1:]
    assert floor_cell == "0.10 / 0.50 s / 60.0 kB"
    assert one_cell == "1.20 / 3.20 s / 1.00 MB"  # medians of each column
    assert two_cell == "0.50 / 2.50 s / 900.0 kB, CPU -32% vs app 1"  # 3.0 against 4.4


def test_replay_alone_sets_each_class_change_beside_the_same_change_alone():
    import replay_alone

    crowd = [
        {"index": 0, "changes": [("Stride 1->2", 0.9), ("Filters 8->64", 2.0)]},
        {"index": 1, "changes": [("Pooling max->none", 0.3)]},
        {"index": 2, "changes": [("Blocks 1->2", 0.5)]},
    ]
    alone = [
        {"index": 0, "changes": [("Stride 1->2", 0.1), ("Filters 8->64", 1.0)]},
        {"index": 1, "changes": [("Pooling max->none", 0.3)]},
        {"index": 2, "changes": [("Blocks 1->3", 0.2)]},  # not the class's walk
    ]
    out = replay_alone.compare(crowd, alone, target_line=0.8)
    assert out["differed"] == [2]
    assert sorted((c, a) for c, a, _, _ in out["pairs"]) == [(0.3, 0.3), (0.9, 0.1), (2.0, 1.0)]
    # Over 0.8 s in the class: Filters 8->64 (1.0 s alone too) and Stride (0.1 s alone).
    assert (out["over_alone"], out["over_by_crowd"]) == (1, 1)
    assert (out["slowdown_p50"], out["slowdown_p95"]) == (2.0, 9.0)
    assert (out["alone_p50"], out["class_p95"]) == (0.3, 2.0)


def test_replay_alone_reads_the_class_runs_scenario_from_its_command():
    import replay_alone

    command = (
        "cd /work/main && .venv/bin/python bench/classroom_load.py --students 40 "
        "--seed 3 --changes 4 --link 'filters=2&stride=2' --json /tmp/x.json"
    )
    assert replay_alone._scenario(command) == (3, "filters=2&stride=2", 4)
