"""Train the committed model: ``python -m cnn_core.training.pretrain [--output PATH]``.

Seeded and deterministic (``keras.utils.set_random_seed`` and
``tf.config.experimental.enable_op_determinism()``), at the Train page's
default settings: two runs on one machine give the same weights to the bit,
and on the CPU it was trained on those are the committed weights. Another
CPU rounds float32 sums in another order, and over the epochs the weights
drift from the committed ones while each tensor still correlates above 0.98
with its committed one (``tests/test_training.py`` checks both).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from cnn_core.training.model import TrainSettings

#: The committed model, trained by this script at the default settings.
PRETRAINED_PATH = Path(__file__).with_name("pretrained_digits.keras")


def pretrain(output=PRETRAINED_PATH, settings=None):
    """Train at ``settings`` (the defaults) deterministically and save to ``output``.

    Returns
    -------
    TrainResult
    """
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("TF_DETERMINISTIC_OPS", "1")
    from cnn_core.model import load_keras
    from cnn_core.training.data import digit_splits
    from cnn_core.training.loop import train

    load_keras()
    import tensorflow as tf

    tf.config.experimental.enable_op_determinism()
    settings = settings or TrainSettings()
    result = train(settings, digit_splits())
    result.model.save(output)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=PRETRAINED_PATH)
    args = parser.parse_args(argv)
    from cnn_core.training.data import digit_splits
    from cnn_core.training.loop import evaluate

    result = pretrain(args.output)
    splits = digit_splits()
    accuracy, _ = evaluate(result.model, splits.x_test, splits.y_test)
    print(
        f"{args.output}: {result.epochs_done} epochs, validation accuracy "
        f"{result.history['val_accuracy'][-1]:.4f}, held-out accuracy {accuracy:.4f}, "
        f"{args.output.stat().st_size} bytes"
    )


if __name__ == "__main__":
    main()
