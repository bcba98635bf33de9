"""The Train page: train the small CNN live, watch its filters, draw a digit for it."""

from __future__ import annotations

import uuid

import streamlit as st

from cnn_core.figures import kernel_figure
from cnn_core.kernels.learned import PRETRAINED_PATH
from cnn_core.training.data import BITMAP, DIGIT, digit_splits, drawing_to_digit
from cnn_core.training.figures import (
    curves_figure,
    digit_figure,
    maps_figure,
    probabilities_figure,
)
from cnn_core.training.loop import TrainingTurns, evaluate
from cnn_core.training.model import (
    SETTING_LIMITS,
    TrainSettings,
    build_classifier,
    first_layer,
    summary_rows,
)
from cnn_core.training.predict import layer_probe, load_classifier, predict_digit
from cnn_core.training.process import TrainingJob
from ui import trained
from ui.charts import plotly_chart
from ui.i18n import labels, lang, say, t
from ui.page import start_page
from ui.stages import markdown_table, shape_text

#: Widget keys of the settings -> TrainSettings field.
SETTINGS = {
    "train_filters": "filters",
    "train_kernel_size": "kernel_size",
    "train_epochs": "epochs",
    "train_learning_rate": "learning_rate",
    "train_seed": "seed",
}
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
#: Seconds between redraws while a training runs or waits.
POLL = 0.5
CANVAS = 280


@st.cache_resource(show_spinner=False)
def training_turns():
    """The server's one queue: one training at a time, first come first served."""
    return TrainingTurns()


@st.cache_resource(show_spinner=False)
def committed_model():
    """The committed model, its layer probe and held-out accuracy (shared, never mutated)."""
    model = load_classifier(PRETRAINED_PATH)
    splits = digit_splits()
    accuracy, _ = evaluate(model, splits.x_test, splits.y_test)
    return model, layer_probe(model), accuracy


@st.cache_data(max_entries=16, show_spinner=False)
def model_summary(settings):
    """The classifier's rows (name, class, output shape, parameters) for ``settings``."""
    return summary_rows(build_classifier(settings))


def _keep_settings():
    defaults = TrainSettings()
    for key, field in SETTINGS.items():
        st.session_state[key] = st.session_state.get(key, getattr(defaults, field))


def _settings_widgets(disabled):
    """The settings; returns the :class:`TrainSettings` they make."""
    _keep_settings()
    cols = st.columns(5)
    names = ("filters", "kernel_size", "epochs")
    for col, (key, field) in zip(cols, SETTINGS.items(), strict=False):
        if field not in names:
            continue
        low, high = SETTING_LIMITS[field]
        col.slider(
            t(f"train.settings.{field}"),
            low,
            high,
            key=key,
            help=t(f"train.settings.{field}_help"),
            disabled=disabled,
        )
    cols[3].select_slider(
        t("train.settings.learning_rate"),
        LEARNING_RATES,
        key="train_learning_rate",
        format_func=labels(lambda rate: f"{rate:g}"),
        help=t("train.settings.learning_rate_help"),
        disabled=disabled,
    )
    cols[4].number_input(
        t("train.settings.seed"),
        *SETTING_LIMITS["seed"],
        key="train_seed",
        help=t("train.settings.seed_help"),
        disabled=disabled,
    )
    return TrainSettings(**{field: st.session_state[key] for key, field in SETTINGS.items()})


def _summary(settings):
    rows = model_summary(settings)
    total = sum(row[3] for row in rows)
    line = " → ".join(f"{row[1]} {shape_text(row[2][1:])}" for row in rows)
    with st.expander(t("train.summary.label", layers=line, params=f"{total:,}")):
        st.markdown(
            markdown_table(
                (
                    t("train.summary.layer"),
                    t("train.summary.type"),
                    t("train.summary.shape"),
                    t("train.summary.params"),
                ),
                [(name, kind, f"`{shape}`", f"{params:,}") for name, kind, shape, params in rows]
                + [("", "", t("train.summary.total"), f"{total:,}")],
            )
        )
        st.caption(t("train.summary.caption"))


def _start(settings):
    job = TrainingJob(settings, training_turns(), uuid.uuid4().hex)
    st.session_state[trained.JOB] = job.start()


def _stop():
    job = trained.current_job()
    if job is not None:
        job.stop()


def _words():
    return {
        name: t(f"train.curves.{name}")
        for name in ("loss", "accuracy", "train", "validation", "epoch")
    }


def _filters(kernel, caption):
    """The first layer's filters: a kernel (k, k, 1, f) or its ready figure."""
    if not hasattr(kernel, "to_plotly_json"):
        names = [t("train.filter", number=i + 1) for i in range(kernel.shape[3])]
        kernel = kernel_figure(kernel, filter_names=names, lang=lang())
    st.markdown(f"**{t('train.filters.header')}**")
    plotly_chart(kernel, key="train_filters_chart")
    st.caption(caption)


def _progress(job):
    progress = job.progress
    if job.state == "queued":
        st.info(t("train.queue", place=job.place() or 1), icon=":material/hourglass_top:")
        return
    if progress is None:
        st.info(t("train.starting"), icon=":material/hourglass_top:")
        return
    st.progress(
        progress.epoch / progress.epochs,
        text=t("train.progress.epoch", epoch=progress.epoch, epochs=progress.epochs),
    )
    st.progress(
        min(1.0, progress.batch / progress.batches),
        text=t("train.progress.batch", batch=progress.batch, batches=progress.batches),
    )
    # Curves and filters change once per epoch: build their figures once per epoch.
    epoch_key = (job.ticket, progress.epoch, st.session_state.get("lang"))
    cached_figures = st.session_state.get("_live_figures")
    if cached_figures is None or cached_figures[0] != epoch_key:
        names = [t("train.filter", number=i + 1) for i in range(progress.kernel.shape[3])]
        cached_figures = (
            epoch_key,
            curves_figure(progress.history, _words()),
            kernel_figure(progress.kernel, filter_names=names, lang=lang()),
        )
        st.session_state["_live_figures"] = cached_figures
    _, curves, kernels = cached_figures
    plotly_chart(curves, key="train_curves")
    _filters(kernels, t("train.filters.live"))


def _outcome(result):
    history = result.history
    key = "train.result.stopped" if result.stopped else "train.result.done"
    st.success(
        t(
            key,
            epochs=result.epochs_done,
            val=f"{history['val_accuracy'][-1]:.1%}",
            test=f"{result.test_accuracy:.1%}",
        ),
        icon=":material/check_circle:",
    )
    plotly_chart(curves_figure(history, _words()), key="train_curves")
    kernel, _ = first_layer(result.model)
    _filters(kernel, t("train.filters.trained"))


def _just_ended(job):
    """True once, the first time the panel sees ``job`` ended (also without a model)."""
    if job is None or job.active or getattr(job, "end_seen", False):
        return False
    job.end_seen = True
    return True


def _panel():
    """Status, progress, curves and filters; redrawn every :data:`POLL` s while training."""
    job = trained.current_job()
    if trained.collect() | _just_ended(job):
        # The whole page: Train and the settings come back, the drawing and the
        # sidebar's "Learned" follow the new model.
        st.rerun()
    if job is not None and job.active:
        _progress(job)
        return
    if job is not None and job.state == "failed":
        st.error(say(job.error), icon=":material/error:")
    result = trained.trained()
    if result is not None:
        _outcome(result)
        return
    model, _, accuracy = committed_model()
    st.info(t("train.none_yet", accuracy=f"{accuracy:.1%}"), icon=":material/info:")
    kernel, _ = first_layer(model)
    _filters(kernel, t("train.filters.committed"))


def _training():
    job = trained.current_job()
    active = job is not None and job.active
    settings = _settings_widgets(disabled=active)
    _summary(settings)
    left, right, _ = st.columns([1, 1, 4])
    left.button(
        t("train.train"),
        key="train_start",
        type="primary",
        on_click=_start,
        args=(settings,),
        disabled=active,
        icon=":material/play_arrow:",
    )
    right.button(
        t("train.stop"),
        key="train_stop",
        on_click=_stop,
        disabled=not active,
        icon=":material/stop:",
        help=t("train.stop_help"),
    )
    st.fragment(_panel, run_every=POLL if active else None)()


def _classifier():
    """The model the drawing goes through: the session's, else the committed one."""
    result = trained.trained()
    if result is None:
        return committed_model()[1], False
    probe = st.session_state.get("_trained_probe")
    if probe is None:
        probe = st.session_state["_trained_probe"] = layer_probe(result.model)
    return probe, True


def _axes():
    return t("train.hover.row"), t("train.hover.column")


def _clear():
    st.session_state["_canvas_version"] = st.session_state.get("_canvas_version", 0) + 1


def _drawing():
    from streamlit_drawable_canvas import st_canvas

    st.header(t("train.draw.header"), divider="gray")
    probe, own = _classifier()
    left, right = st.columns([1, 2])
    with left:
        canvas = st_canvas(
            stroke_width=22,
            stroke_color="#000000",
            background_color="#ffffff",
            height=CANVAS,
            width=CANVAS,
            drawing_mode="freedraw",
            return_image_data=True,
            key=f"digit_canvas_{st.session_state.get('_canvas_version', 0)}",
        )
        st.button(t("train.draw.clear"), key="canvas_clear", on_click=_clear)
    image = canvas.image_data if canvas is not None else None
    bitmap, counts = drawing_to_digit(image) if image is not None else (None, None)
    with right:
        st.caption(t("train.draw.model_own" if own else "train.draw.model_committed"))
        if counts is None:
            st.info(t("train.draw.hint"), icon=":material/draw:")
            st.caption(t("train.draw.how", bitmap=BITMAP, digit=DIGIT))
            return
        st.caption(t("train.draw.how", bitmap=BITMAP, digit=DIGIT))
        a, b = st.columns(2)
        plotly_chart(
            digit_figure(
                bitmap, t("train.draw.bitmap"), max_value=1, show_numbers=False, axes=_axes()
            ),
            key="drawn_bitmap",
            container=a,
        )
        plotly_chart(
            digit_figure(counts, t("train.draw.counts"), axes=_axes()),
            key="drawn_counts",
            container=b,
        )
    prediction = predict_digit(probe, counts)
    words = {
        "title": t(
            "train.draw.top",
            digit=prediction.digit,
            percent=f"{prediction.probabilities[prediction.digit]:.1%}",
        ),
        "digit": t("train.draw.digit"),
        "probability": t("train.draw.probability"),
    }
    plotly_chart(probabilities_figure(prediction.probabilities, words), key="drawn_softmax")
    st.markdown(f"**{t('train.draw.maps')}**")
    tabs = st.tabs([f"{name} ({shape_text(maps.shape)})" for name, _, maps in prediction.maps])
    for tab, (name, kind, maps) in zip(tabs, prediction.maps, strict=True):
        with tab:
            names = [t("train.map", number=i + 1) for i in range(maps.shape[2])]
            plotly_chart(
                maps_figure(
                    maps, t("train.draw.maps_title", layer=name, kind=kind), names, _axes()
                ),
                key=f"drawn_maps_{name}",
            )


def render():
    """Draw the Train page."""
    start_page("train.nav")
    st.title(t("train.title"))
    st.markdown(t("train.intro"))
    _training()
    _drawing()
