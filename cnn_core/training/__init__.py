"""Training a small CNN on scikit-learn's digits: data, model, loop (no UI).

- :mod:`~cnn_core.training.data`: the digits and the drawing -> 8x8 preprocessing;
- :mod:`~cnn_core.training.model`: the classifier, built from the explorer's blocks;
- :mod:`~cnn_core.training.loop`: ``model.fit`` reporting through a Keras callback,
  and one training at a time;
- :mod:`~cnn_core.training.process`: the page's trainings, each in its own worker
  process at a lower CPU priority, with progress, Stop and the model sent back;
- :mod:`~cnn_core.training.pretrain`: the script that trains the committed model.
"""
