"""What the browser pays to draw one stage chart, outside Streamlit.

Builds the Feature-maps page's stage figures with ``cnn_core`` (a one-tile
stage as at the seed's defaults, and a page of 16 tiles with their kernels as
after Filters -> 64), each with its histogram, and times plotly.js drawing
each one in headless Chromium: ``Plotly.newPlot`` (what Streamlit does when a
chart's content changes: it mounts a new chart) until two animation frames
have passed, plus the number of elements the chart puts in the page. The
plotly.js is the one plotly.py ships (``plotly/package_data``), so nothing is
downloaded; Streamlit bundles a plotly.js of the same major version.

This is the floor under a rerun that changes N stage charts: N times the
one-chart figure here, before any Streamlit work. Machines differ, so compare
the figures with each other, not across machines.

    .venv/bin/python bench/chart_draw.py            # 9 draws each, median of the last 7
    .venv/bin/python bench/chart_draw.py --draws 15
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import plotly  # noqa: E402
import plotly.io as pio  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from cnn_core.color_scale import colorscale  # noqa: E402
from cnn_core.display import DisplayBudget  # noqa: E402
from cnn_core.figures import freeze, stage_figure  # noqa: E402
from cnn_core.forward import quantized, summarize_stage  # noqa: E402
from cnn_core.histogram import with_histogram  # noqa: E402

CHROMIUM = "/usr/bin/chromium"

DRAW = """async ([figure, draws]) => {
    const chart = document.getElementById("chart");
    const times = [];
    for (let i = 0; i < draws; i++) {
        Plotly.purge(chart);
        const start = performance.now();
        await Plotly.newPlot(chart, figure.data, figure.layout);
        document.body.getBoundingClientRect();
        await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
        times.push(performance.now() - start);
    }
    return [times, chart.querySelectorAll("*").length];
}"""


def stage_chart(channels, kernels=True):
    """A conv stage chart of 498x498 maps, as the page sends it (JSON-ready dict)."""
    rng = np.random.default_rng(0)
    full = rng.normal(size=(498, 498, channels)).astype(np.float32)
    budget = DisplayBudget()
    maps = quantized(summarize_stage("conv", full, budget), budget)
    shown = range(min(channels, budget.max_tiles))
    figure = stage_figure(
        maps.display,
        maps.samples,
        maps.step,
        maps.full_shape[:2],
        (maps.channel_min, maps.channel_max),
        [f"filter {i + 1}" for i in range(channels)],
        tiles=shown,
        display_ranges=(maps.channel_min, maps.channel_max),
        signed=True,
        kernels=rng.normal(size=(15, 15, channels)) if kernels else None,
        title=f"498x498x{channels}",
    )
    figure = with_histogram(figure, maps.histogram, (maps.minimum, maps.maximum), colorscale(True))
    # Frozen, as the app shows it: the dict the browser gets (cnn_core.screen).
    return json.loads(pio.to_json(freeze(figure), validate=False))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, default=9, help="draws per chart (9)")
    args = parser.parse_args(argv)
    charts = {
        "1 tile + kernel + histogram (the defaults)": stage_chart(1),
        "16 tiles + kernels + histogram (Filters -> 64)": stage_chart(64),
        "16 tiles + histogram, no kernels (activation, pooling)": stage_chart(64, kernels=False),
    }
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        # About the width of a stage chart's column on a 1400-pixel-wide page.
        page.set_content("<div id='chart' style='width:500px'></div>")
        page.add_script_tag(path=str(plotly_js))
        print(f"plotly.js {page.evaluate('Plotly.version')} in {browser.version}")
        for name, figure in charts.items():
            times, elements = page.evaluate(DRAW, [figure, args.draws])
            kept = times[2:] or times  # the first draws warm up the JIT
            print(f"{name:56s} {statistics.median(kept):7.1f} ms  {elements:5d} elements")
        browser.close()


if __name__ == "__main__":
    main()
