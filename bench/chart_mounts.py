"""How many times the page draws each changed chart, and what each draw costs.

Starts ``streamlit run`` on a free port, opens the page in headless Chromium,
then wraps the page's own plotly.js (``window.Plotly.react``, which
Streamlit's chart component calls for every draw) and records, during one
change, every call: which chart, whether it is the chart's first draw, how
long plotly.js worked synchronously, and, for a later draw, whether plotly.js
kept what it had computed (``calcdata``: it only restyled) or computed the
chart again, and then what differs between the figure the chart shows and
the one it is given. It ends with the same for a trivial figure and for one
of ours given back to plotly.js unchanged.

This is the measurement behind "What bounds the ratios" in README: Streamlit
1.67 mounts a new chart for every figure that changed and draws it twice:
once as it mounts, then again when its theme is applied a second time to a
JSON copy of the figure. Before ``cnn_core.screen``, that second draw
computed the whole chart again (a template, typed arrays and data arrays are
compared by identity), as costly as the first; now it restyles.

    .venv/bin/python bench/chart_mounts.py                  # Padding -> same
    .venv/bin/python bench/chart_mounts.py --step stride
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from browser_profile import before_step, step_arguments

#: Wraps Plotly.react: one record per call (chart, first draw?, sync ms, differences).
HOOK = """() => {
    window.__convlabDraws = [];
    const ids = new WeakMap();
    let next = 1;
    const kind = (value) => (value === null || value === undefined)
        ? String(value) : (value.constructor ? value.constructor.name : typeof value);
    const differences = (before, after, path, found) => {
        if (before === after || found.length >= 12) return;
        if (kind(before) !== kind(after)) {
            found.push(`${path}: ${kind(before)} -> ${kind(after)}`);
            return;
        }
        if (ArrayBuffer.isView(before)) return;  // same kind: values are not compared
        if (Array.isArray(before) && before.length > 2 && typeof before[0] === "object") {
            differences(before[0], after[0], `${path}[0 of ${before.length}]`, found);
            return;  // rows of a 2-D array: the first one says what the others do
        }
        if (typeof before === "object" && before !== null) {
            for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
                differences(before[key], after[key], `${path}.${key}`, found);
            }
            return;
        }
        found.push(`${path}: ${String(before).slice(0, 30)} -> ${String(after).slice(0, 30)}`);
    };
    const react = window.Plotly.react;
    window.Plotly.react = function (gd, figure, ...rest) {
        if (!ids.has(gd)) ids.set(gd, next++);
        const first = !gd._fullLayout;
        const found = [];
        if (!first && figure && figure.data) {
            differences(gd.layout, figure.layout, "layout", found);
            gd.data.forEach((trace, i) => differences(trace, figure.data[i], `data[${i}]`, found));
        }
        const calcdata = gd.calcdata;
        const start = performance.now();
        const result = react.call(this, gd, figure, ...rest);
        const draw = {
            chart: ids.get(gd), first, ms: performance.now() - start, differences: found,
        };
        window.__convlabDraws.push(draw);
        // Whether plotly.js kept what it had computed, or started over.
        Promise.resolve(result).then(() => { draw.kept = !first && gd.calcdata === calcdata; });
        return result;
    };
}"""

#: Sync ms of Plotly.react for a trivial chart and for one of ours, each given
#: back exactly as it is (same objects).
UNCHANGED = """async () => {
    const time = async (gd) => {
        const times = [];
        for (let i = 0; i < 5; i++) {
            const start = performance.now();
            window.Plotly.react(gd, {data: gd.data, layout: gd.layout});
            times.push(performance.now() - start);
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        return times.sort((a, b) => a - b)[2];
    };
    const div = document.createElement("div");
    div.style.width = "480px";
    document.body.appendChild(div);
    await window.Plotly.newPlot(div, [{type: "heatmap", z: [[1, 2], [3, 4]]}], {height: 300});
    const trivial = await time(div);
    window.Plotly.purge(div);
    div.remove();
    const ours = document.querySelectorAll(".js-plotly-plot")[1];
    return [trivial, ours ? await time(ours) : null];
}"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    step_arguments(parser)
    args = parser.parse_args(argv)

    with before_step(args.app, args.step, "mounts") as (session, step):
        session.page.evaluate(HOOK)
        result = session.act(step)
        draws = session.page.evaluate("() => window.__convlabDraws")
        trivial, ours = session.page.evaluate(UNCHANGED)

    charts = sorted({draw["chart"] for draw in draws})
    print(
        f"{args.step}: run ended {result.seconds:.2f} s, every chart drawn"
        f" {result.drawn_seconds or 0:.2f} s; {len(charts)} charts drawn"
        f" {len(draws)} times in all"
    )
    for chart in charts:
        mine = [draw for draw in draws if draw["chart"] == chart]
        costs = ", ".join(
            f"{'mount' if draw['first'] else 'again'} {draw['ms']:.0f} ms"
            + ("" if draw["first"] else " (restyled)" if draw.get("kept") else " (computed again)")
            for draw in mine
        )
        print(f"  chart {chart}: {costs}")
        for draw in mine:
            if draw["differences"] and not draw.get("kept"):
                print(f"    drawn again because: {'; '.join(draw['differences'])}")
    mounts = [draw["ms"] for draw in draws if draw["first"]]
    again = [draw["ms"] for draw in draws if not draw["first"]]
    if mounts:
        print(f"median first draw {statistics.median(mounts):.0f} ms", end="")
        print(f", median later draw {statistics.median(again):.0f} ms" if again else "")
    print(
        f"Plotly.react given the same figure back: trivial heatmap {trivial:.1f} ms,"
        f" our conv stage chart {ours:.1f} ms"
        if ours is not None
        else f"Plotly.react given the same figure back: trivial heatmap {trivial:.1f} ms"
    )


if __name__ == "__main__":
    main()
