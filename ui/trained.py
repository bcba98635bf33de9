"""The session's own trained model: started, collected, kept in session state only.

A training runs in a worker process (:class:`~cnn_core.training.process.TrainingJob`)
held in this session's state; when it ends, :func:`collect` moves its model
here, where the Train page's drawing and the sidebar's "Learned" find it. No
shared cache ever holds it, so its memory goes with the session.
"""

from __future__ import annotations

import streamlit as st

from cnn_core.kernels.learned import learned_values
from cnn_core.training.model import first_layer

#: Session keys: the running (or last) job, and the last finished result.
JOB, TRAINED = "_train_job", "_trained"
#: Session key "Learned" reads: (kernel size, filters, values) of the trained first layer.
SESSION_LEARNED = "_learned_layer"


def current_job():
    """This session's training job, or None."""
    return st.session_state.get(JOB)


def collect():
    """If this session's job has ended with a model, make it the session's model.

    Returns
    -------
    bool
        True when a new model was collected just now.
    """
    job = current_job()
    if job is None or job.active or job.result is None or getattr(job, "collected", False):
        return False
    job.collected = True
    result = job.result
    kernel, bias = first_layer(result.model)
    st.session_state[TRAINED] = result
    st.session_state[SESSION_LEARNED] = (
        kernel.shape[0],
        kernel.shape[3],
        learned_values(kernel, bias),
    )
    st.session_state.pop("_trained_probe", None)
    return True


def trained():
    """The session's last finished :class:`~cnn_core.training.loop.TrainResult`, or None."""
    collect()
    return st.session_state.get(TRAINED)
