"""Which map the overview row shows for each stage (cnn_core.display.overview_channels)."""

import numpy as np

from cnn_core.display import DisplayBudget, overview_channels, thumbnail
from cnn_core.forward import compute_stages
from cnn_core.images import load_sample, prepare_input
from cnn_core.model import build_chunked_models
from cnn_core.shapes import plan_pipeline
from cnn_core.spec import BlockSpec, PipelineSpec


def _levels_std(display, channel):
    return float(display[:, :, channel].astype(np.float32).std())


def test_each_block_shows_its_clearest_filter_at_every_stage():
    spec = PipelineSpec(
        input_size=64,
        blocks=(
            BlockSpec(kernel_size=5, filters=6, seed=3),
            BlockSpec(kernel_size=3, filters=5, padding_mode="explicit", padding=2, seed=4),
        ),
    )
    image = load_sample("Cat (chelsea)")
    stages = compute_stages(
        build_chunked_models(spec), prepare_input(image, spec).batch, DisplayBudget()
    )
    plan = plan_pipeline(spec)
    displays = {key: maps.display for key, maps in stages.items()}
    chosen = overview_channels(plan.stages, displays)

    assert set(chosen) == set(stages)
    assert chosen["input"] == 0
    for block in (1, 2):
        own = [s for s in plan.stages if s.block == block and s.kind != "padding"]
        picks = {chosen[s.key] for s in own}
        assert len(picks) == 1  # one filter followed through the block
        [pick] = picks
        output = displays[own[-1].key]
        stds = [_levels_std(output, c) for c in range(output.shape[2])]
        assert stds[pick] == max(stds)
    # Block 2's padding holds block 1's maps: it shows block 1's filter.
    [padding] = [s for s in plan.stages if s.kind == "padding"]
    assert padding.block == 2
    assert chosen[padding.key] == chosen["activation"]


def test_a_filter_that_relu_blacks_out_is_not_the_one_shown():
    from types import SimpleNamespace as Stage

    stages = [
        Stage(key="input", block=0, kind="input"),
        Stage(key="conv", block=1, kind="conv"),
        Stage(key="activation", block=1, kind="activation"),
        Stage(key="pool", block=1, kind="pool"),
    ]
    rng = np.random.default_rng(0)
    conv = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    act = conv.copy()
    act[:, :, 0] = 0  # filter 1: negative everywhere, so black after ReLU
    act[:, :, 1] = np.where(act[:, :, 1] > 128, act[:, :, 1], 0)
    pool = act[::2, ::2]
    displays = {"input": conv[:, :, :1], "conv": conv, "activation": act, "pool": pool}
    chosen = overview_channels(stages, displays)
    stds = [_levels_std(pool, c) for c in range(3)]
    assert chosen["conv"] == chosen["activation"] == chosen["pool"] == int(np.argmax(stds))
    assert chosen["pool"] != 0
    # The thumbnail is then that filter's map, not filter 1's black one.
    assert thumbnail(act, 8, chosen["activation"]).max() > 0
    assert thumbnail(act, 8).max() == 0


def test_stages_without_maps_are_left_out_and_a_single_map_is_map_0():
    from types import SimpleNamespace as Stage

    stages = [Stage(key="input", block=0, kind="input"), Stage(key="conv", block=1, kind="conv")]
    displays = {"input": np.zeros((4, 4, 1), np.uint8)}
    assert overview_channels(stages, displays) == {"input": 0}
