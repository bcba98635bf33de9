"""The cost guard: MACs from the plan, a threshold, and advice that really helps."""

import re

import pytest

from cnn_core.guard import MACS_PER_SECOND, MAX_MACS, estimate_cost
from cnn_core.shapes import plan_pipeline
from cnn_core.spec import BlockSpec, PipelineSpec

HEAVY = PipelineSpec(
    blocks=(BlockSpec(filters=64), BlockSpec(kernel_size=15, filters=64, padding_mode="same"))
)


def test_defaults_and_the_four_block_budget_case_run():
    for spec in (PipelineSpec(), PipelineSpec.single(filters=8).with_depth(4)):
        estimate = estimate_cost(spec)
        assert not estimate.over
        assert estimate.macs == plan_pipeline(spec).total_macs
        assert estimate.advice == ()


def test_a_deep_expensive_setting_is_stopped_with_advice_that_works():
    estimate = estimate_cost(HEAVY)
    assert estimate.over
    assert estimate.macs == plan_pipeline(HEAVY).total_macs > MAX_MACS
    assert estimate.seconds == pytest.approx(estimate.macs / MACS_PER_SECOND)
    assert estimate.advice, "says what would bring it under"
    changes = {
        "fewer filters in block 2": lambda v: HEAVY.replace_block(1, filters=v),
        "a smaller kernel in block 2": lambda v: HEAVY.replace_block(1, kernel_size=v),
        "a smaller input size": lambda v: HEAVY.replace(input_size=v),
        "a stride in block 2": lambda v: HEAVY.replace_block(1, stride=v),
    }
    for line in estimate.advice:
        what, _, values = line.partition(": ")
        new = int(re.findall(r"\d+", values)[-1])
        spec = changes[what](new)
        assert plan_pipeline(spec).total_macs <= MAX_MACS, line


@pytest.mark.parametrize("limit", [10**6, 10**8])
def test_the_limit_is_a_parameter(limit):
    estimate = estimate_cost(PipelineSpec(), limit=limit)
    assert estimate.over == (plan_pipeline(PipelineSpec()).total_macs > limit)
