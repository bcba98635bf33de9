"""Training with progress reported through a Keras callback, and one training at a time.

No UI here: :func:`train` calls ``report(progress)`` after every batch and
every epoch with a :class:`Progress` (plain numbers and arrays); the page
decides what to draw. A :class:`TrainingTurns` lets one training run per
process and tells the others their place in the queue. The page's trainings
run :func:`train` in a worker process (:mod:`cnn_core.training.process`).
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from cnn_core.model import load_keras
from cnn_core.training.model import build_classifier, first_layer

__all__ = [
    "HISTORY_KEYS",
    "Progress",
    "TrainResult",
    "TrainingTurns",
    "evaluate",
    "train",
]

#: What the curves show, per epoch.
HISTORY_KEYS = ("loss", "accuracy", "val_loss", "val_accuracy")


@dataclass(frozen=True)
class Progress:
    """Where a training is, after a batch or an epoch.

    Attributes
    ----------
    epoch : int
        Epochs completed (0 until the first ends).
    epochs : int
        Epochs asked for.
    batch : int
        Batches done in the current epoch.
    batches : int
        Batches per epoch.
    history : dict of str to tuple of float
        :data:`HISTORY_KEYS` -> one value per completed epoch.
    kernel : ndarray of float32, shape (k, k, 1, f)
        The first layer's kernel at the end of the last epoch (at the start
        during the first).
    bias : ndarray of float32, shape (f,)
    """

    epoch: int
    epochs: int
    batch: int
    batches: int
    history: dict
    kernel: np.ndarray
    bias: np.ndarray


@dataclass
class TrainResult:
    """A finished (or stopped) training: the model and its curves."""

    model: object
    history: dict
    epochs_done: int
    stopped: bool
    settings: object = None
    test_accuracy: float | None = None


def _callback_class():
    keras = load_keras()

    class ReportProgress(keras.callbacks.Callback):
        """Calls ``report`` after each batch and epoch; stops when ``stop`` is set."""

        def __init__(self, report, stop, epochs, batches):
            super().__init__()
            self.report, self.stop = report, stop
            self.epochs, self.batches = epochs, batches
            self.history = {key: [] for key in HISTORY_KEYS}
            self.epoch = 0
            self.weights = None

        def _send(self, batch, new_weights=False):
            if new_weights or self.weights is None:
                # The filters are drawn once per epoch: copy them then (and at the start).
                self.weights = first_layer(self.model)
            history = {key: tuple(values) for key, values in self.history.items()}
            self.report(
                Progress(self.epoch, self.epochs, batch, self.batches, history, *self.weights)
            )

        def on_train_batch_end(self, batch, logs=None):
            if self.stop.is_set():
                self.model.stop_training = True
            self._send(batch + 1)

        def on_epoch_end(self, epoch, logs=None):
            for key in HISTORY_KEYS:
                self.history[key].append(float(logs[key]))
            self.epoch = epoch + 1
            self._send(self.batches, new_weights=True)
            if self.stop.is_set():
                self.model.stop_training = True

    return ReportProgress


def train(settings, splits, report=None, stop=None):
    """Build the classifier for ``settings`` and fit it on ``splits``.

    Parameters
    ----------
    settings : TrainSettings
    splits : DigitSplits
    report : callable, optional
        Called with a :class:`Progress` after every batch and every epoch.
    stop : threading.Event, optional
        When set, training ends after the current batch (that epoch still
        gets its validation); the model keeps what it learned so far.

    Returns
    -------
    TrainResult
    """
    keras = load_keras()
    keras.utils.set_random_seed(settings.seed)
    stop = stop or threading.Event()
    model = build_classifier(settings)
    batches = -(-len(splits.x_train) // settings.batch_size)
    callback = _callback_class()(report or (lambda progress: None), stop, settings.epochs, batches)
    model.fit(
        splits.x_train,
        splits.y_train,
        batch_size=settings.batch_size,
        epochs=settings.epochs,
        validation_data=(splits.x_val, splits.y_val),
        shuffle=True,
        verbose=0,
        callbacks=[callback],
    )
    history = {key: tuple(values) for key, values in callback.history.items()}
    done = len(history["loss"])
    return TrainResult(model, history, done, stopped=stop.is_set(), settings=settings)


def evaluate(model, x, y):
    """Accuracy of ``model`` on digits ``x`` with labels ``y``, and its predictions.

    Returns
    -------
    accuracy : float
    predicted : ndarray of int64, shape (n,)
    """
    probabilities = np.asarray(model(np.asarray(x, np.float32), training=False))
    predicted = probabilities.argmax(axis=1)
    return float((predicted == np.asarray(y)).mean()), predicted


@dataclass
class TrainingTurns:
    """One training at a time, first come first served, with places in the queue.

    ``with turns.turn(ticket):`` waits until every ticket before ``ticket``
    has finished; meanwhile :meth:`place` says how many are ahead.

    Examples
    --------
    >>> turns = TrainingTurns()
    >>> with turns.turn("a"):
    ...     turns.place("a"), turns.running
    (0, 'a')
    >>> turns.running is None
    True
    """

    _lock: threading.Condition = field(default_factory=threading.Condition)
    _queue: deque = field(default_factory=deque)

    @property
    def running(self):
        """The ticket whose training runs now, or None."""
        with self._lock:
            return self._queue[0] if self._queue else None

    def place(self, ticket):
        """Trainings ahead of ``ticket`` (0: it runs now), or None if not queued."""
        with self._lock:
            return list(self._queue).index(ticket) if ticket in self._queue else None

    def join(self, ticket):
        """Queue ``ticket`` (once) and return its place."""
        with self._lock:
            if ticket not in self._queue:
                self._queue.append(ticket)
            return list(self._queue).index(ticket)

    def leave(self, ticket):
        """Take ``ticket`` out of the queue (finished, or given up while waiting)."""
        with self._lock:
            if ticket in self._queue:
                self._queue.remove(ticket)
            self._lock.notify_all()

    def wait(self, ticket, cancelled=None, poll=0.2):
        """Block until ``ticket`` is first; False if ``cancelled`` was set first."""
        with self._lock:
            while self._queue and self._queue[0] != ticket:
                if ticket not in self._queue or (cancelled is not None and cancelled.is_set()):
                    return False
                self._lock.wait(poll)
            return ticket in self._queue

    def turn(self, ticket, cancelled=None):
        """Context manager: queue, wait for the turn, and always leave."""
        return _Turn(self, ticket, cancelled)


class _Turn:
    def __init__(self, turns, ticket, cancelled):
        self.turns, self.ticket, self.cancelled = turns, ticket, cancelled

    def __enter__(self):
        self.turns.join(self.ticket)
        return self.turns.wait(self.ticket, self.cancelled)

    def __exit__(self, *exc):
        self.turns.leave(self.ticket)
        return False
