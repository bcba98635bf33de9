"""Each change of a class run, made again by its student alone: what the crowd costs.

``bench/classroom_load.py --json F`` records every student's changes. Its
students choose their changes from a seeded random walk, so a student run
again with the same seed and link makes the same changes. This script starts
a fresh server, lets the teacher open the link (as the class run did), and
replays each student's walk with nobody else on the server, one student after
another, with a short think time. It then sets each change's time in the
class beside the same change's time alone:

* the alone times' p50 and p95 (the settings' own cost, no crowd);
* per change, class time / alone time (the crowd's cost), p50 and p95;
* the changes over the target line (5x the single student's change p50 of
  the class run), split into those already over it alone and those the
  crowd pushed over it.

    .venv/bin/python bench/classroom_load.py --students 40 --seed 1 --json /tmp/class.json
    .venv/bin/python bench/replay_alone.py /tmp/class.json

A replayed student whose changes differ from its class record (a setting
that rendered differently) is reported and left out of the comparison.
Exit status: 0; 1 if a replayed student lost its session or differed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import classroom_load as cl
import harness as h

#: Think time between a replayed student's changes, s: nobody else is waiting.
REPLAY_THINK = (0.05, 0.1)


def class_changes(record):
    """``[(what, seconds), ...]`` of one student's changes in a class record."""
    return [(r["what"], r["seconds"]) for r in record["reruns"] if r["kind"] == "change"]


def compare(class_records, alone_records, target_line):
    """Set each change of the class beside the same change made alone.

    Parameters
    ----------
    class_records, alone_records : list of dict
        ``{"index": i, "changes": [(what, seconds), ...]}`` per student.
    target_line : float
        Seconds; a change over it misses the class target.

    Returns
    -------
    dict
        ``pairs`` ``[(class_s, alone_s, student, what), ...]``, ``differed``
        (students whose replay made other changes), and the figures above.

    Examples
    --------
    >>> crowd = [{"index": 0, "changes": [("a", 0.4), ("b", 1.0)]}]
    >>> alone = [{"index": 0, "changes": [("a", 0.1), ("b", 0.9)]}]
    >>> out = compare(crowd, alone, 0.5)
    >>> out["over_alone"], out["over_by_crowd"], out["slowdown_p95"]
    (1, 0, 4.0)
    """
    by_index = {r["index"]: r["changes"] for r in alone_records}
    pairs, differed = [], []
    for record in class_records:
        replay = by_index.get(record["index"])
        if replay is None or [w for w, _ in replay] != [w for w, _ in record["changes"]]:
            differed.append(record["index"])
            continue
        for (what, crowd), (_, alone) in zip(record["changes"], replay, strict=True):
            pairs.append((crowd, alone, record["index"], what))
    alone_times = [a for _, a, _, _ in pairs]
    slowdowns = [c / a for c, a, _, _ in pairs if a > 0]
    over = [(c, a) for c, a, _, _ in pairs if c > target_line]
    return {
        "pairs": pairs,
        "differed": differed,
        "alone_p50": cl.percentile(alone_times, 50),
        "alone_p95": cl.percentile(alone_times, 95),
        "class_p95": cl.percentile([c for c, _, _, _ in pairs], 95),
        "slowdown_p50": cl.percentile(slowdowns, 50),
        "slowdown_p95": cl.percentile(slowdowns, 95),
        "target_line": target_line,
        "over_alone": sum(a > target_line for _, a in over),
        "over_by_crowd": sum(a <= target_line for _, a in over),
    }


async def replay(url, link, seed, students, changes, step_timeout):
    """Each student's walk, alone, one after another; records as in :func:`compare`."""
    opts = types.SimpleNamespace(url=url, step_timeout=step_timeout, seed=seed)
    await cl.run_scenario(opts, 1, link, 0, 0, REPLAY_THINK)  # the teacher's cold open
    records, lost = [], []
    for index in students:
        results = []
        await cl.run_student(index, opts, link, time.perf_counter(), changes, REPLAY_THINK, results)
        [record] = results
        if record["lost"]:
            lost.append(f"student-{index}: {record['lost']}")
        records.append(
            {"index": index, "changes": [(r.what, r.seconds) for r in record["reruns"][1:]]}
        )
    return records, lost


def report(result, lost):
    fmt = h.fmt_seconds
    line = result["target_line"]
    print(f"changes compared: {len(result['pairs'])}")
    print(f"alone: p50 {fmt(result['alone_p50'])}, p95 {fmt(result['alone_p95'])}")
    print(f"class: p95 {fmt(result['class_p95'])}")
    print(
        f"class / alone, per change: p50 {result['slowdown_p50']:.1f}x, "
        f"p95 {result['slowdown_p95']:.1f}x"
    )
    print(
        f"over the target line ({fmt(line)}): {result['over_alone']} already alone, "
        f"{result['over_by_crowd']} pushed over by the crowd"
    )
    print("slowest in the class (class, alone, student, change):")
    for crowd, alone, index, what in sorted(result["pairs"], reverse=True)[:20]:
        print(f"  {fmt(crowd):>8} {fmt(alone):>8}  student-{index:<3} {what}")
    for index in result["differed"]:
        print(f"student-{index}: the replay made other changes than in the class; left out")
    for message in lost:
        print(f"lost: {message}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("class_json", help="a classroom_load.py --json file")
    parser.add_argument("--port", type=int, default=8611)
    parser.add_argument("--app", default=str(h.ROOT / "app.py"))
    parser.add_argument("--step-timeout", type=float, default=120.0)
    parser.add_argument("--json", metavar="PATH", help="write the comparison as JSON")
    opts = parser.parse_args(argv)
    run = json.loads(Path(opts.class_json).read_text())
    seed, link, changes = _scenario(run["command"])
    crowd = [{"index": r["index"], "changes": class_changes(r)} for r in run["class"]["records"]]
    line = cl.TARGET_RATIO * run["single"]["change_p50_s"]
    server = h.Server(opts.app, opts.port, cwd=Path(opts.app).resolve().parent, name="alone")
    server.start()
    print(f"app: {opts.app} at {h.git_state(opts.app)}; replaying {len(crowd)} students alone")
    try:
        alone, lost = asyncio.run(
            replay(server.url, link, seed, [r["index"] for r in crowd], changes, opts.step_timeout)
        )
    finally:
        server.stop()
    result = compare(crowd, alone, line)
    report(result, lost)
    if opts.json:
        Path(opts.json).write_text(json.dumps({**result, "lost": lost}, indent=1))
    return 1 if lost or result["differed"] else 0


def _scenario(command):
    """Seed, link and changes per student of the class run, from its reproduce command."""
    args = cl.parse_args(shlex.split(command.split("bench/classroom_load.py", 1)[1]))
    return args.seed, args.link, args.changes


if __name__ == "__main__":
    sys.exit(main())
