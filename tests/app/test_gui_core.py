"""GUI building blocks without a window: intensity scaling, the session, jobs, drop classification."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from analysis.cancel import Cancelled
from analysis.errors import InputError
from app.gui.intensity_scale import robust_levels, scale_intensity
from app.gui.jobs import JobRunner
from app.gui.load_controller import classify_paths
from app.gui.session import Session
from tests.conftest import drifting_peak_series

# float32 display arrays: relative agreement to a few float32 epsilons (1.2e-7) is all one can ask
F32_RTOL = 1e-6


def test_scalings_on_known_values():
    intensity = np.array([[1.0, 4.0, 100.0], [-9.0, 0.0, 10.0]])
    np.testing.assert_array_equal(scale_intensity(intensity, "linear"), intensity.astype(np.float32))
    np.testing.assert_allclose(scale_intensity(intensity, "sqrt"), [[1, 2, 10], [0, 0, np.sqrt(10)]], rtol=F32_RTOL)
    # log: non-positive values clip to the smallest positive intensity (1.0 → log 0)
    np.testing.assert_allclose(scale_intensity(intensity, "log"), [[0, np.log10(4), 2], [0, 0, 1]],
                               rtol=F32_RTOL, atol=1e-7)
    assert scale_intensity(intensity, "log").dtype == np.float32
    with pytest.raises(ValueError):
        scale_intensity(intensity, "cube")


def test_robust_levels_ignore_hot_pixels():
    image = np.tile(np.linspace(0.0, 1.0, 1001, dtype=np.float32), (100, 1))
    image[0, 0] = 1e9   # one hot pixel must not set the top level
    lo, hi = robust_levels(image, 0.0, 99.0)
    assert lo == pytest.approx(0.0, abs=1e-6)
    # 99th percentile of an even ramp 0..1 is 0.99 (one ramp step, 1e-3, of slack for interpolation)
    assert hi == pytest.approx(0.99, abs=1e-3)
    assert robust_levels(np.full((3, 3), 5.0, dtype=np.float32))[1] > 5.0


def test_session_clamps_and_signals(qtbot):
    series, _ = drifting_peak_series(n_scans=6)
    session = Session()
    with qtbot.waitSignal(session.series_changed):
        session.set_series(series, "demo")
    with qtbot.waitSignal(session.scan_changed) as blocker:
        session.set_current_scan(99)
    assert blocker.args == [5]
    session.step_scan(-2)
    assert session.current_scan == 3
    with qtbot.waitSignal(session.display_changed):
        session.set_y_axis("time_h")
    # scans start every 60 s; a scan stands at mid-exposure, 30 s after its start
    np.testing.assert_allclose(session.scan_y(), (series.time_s + 30.0) / 3600.0)
    assert session.scan_at_y((series.time_s[4] + 30.0 + 25.0) / 3600.0) == 4   # 25 s < half a spacing
    with pytest.raises(ValueError):
        session.set_scaling("cube")


def test_classify_dropped_paths(tmp_path):
    folder, csv, mpt, xy = (str(tmp_path / n) for n in ("scans", "cell.csv", "cell.mpt", "a.xy"))
    assert classify_paths([folder], has_series=False).pattern_paths == (folder,)
    # a lone CSV on an empty window is a pattern; with a series open it is tried as echem first
    lone = classify_paths([csv], has_series=False)
    assert lone.pattern_paths == (csv,) and lone.echem_path is None
    with_series = classify_paths([csv], has_series=True)
    assert with_series.echem_path == csv and with_series.echem_fallback and not with_series.pattern_paths
    both = classify_paths([folder, csv], has_series=False)
    assert both.pattern_paths == (folder,) and both.echem_path == csv and not both.echem_fallback
    assert classify_paths([mpt], has_series=False).echem_path == mpt
    assert classify_paths([xy, csv, csv + "2.csv"], has_series=True).echem_path is None
    with pytest.raises(InputError, match="one electrochemistry file"):
        classify_paths([mpt, mpt + "2.mpt"], has_series=True)


def _slow_work(release: threading.Event, value):
    def work(progress, cancel):
        for i in range(1000):
            if release.wait(0.01):
                return value
            cancel.raise_if_cancelled()
            progress(i, 1000)
        raise AssertionError("never released")
    return work


def test_runner_cancels_previous_job_of_same_kind(qtbot):
    runner = JobRunner()
    first = runner.start("load", _slow_work(threading.Event(), "first"))
    release = threading.Event()
    with qtbot.waitSignal(first.signals.cancelled, timeout=5000):
        second = runner.start("load", _slow_work(release, "second"))
    assert runner.current("load") is second
    with qtbot.waitSignal(second.signals.succeeded, timeout=5000) as blocker:
        release.set()
    assert blocker.args == ["second"]
    qtbot.waitUntil(lambda: not runner.is_busy("load"), timeout=5000)


class _Recorder:
    """Collects what a job reports, connected before the job starts."""

    def __init__(self):
        self.events = []

    def connect(self, signals):
        signals.failed.connect(self.on_failed)
        signals.cancelled.connect(self.on_cancelled)
        signals.succeeded.connect(self.on_succeeded)

    def on_failed(self, exc):
        self.events.append(("failed", exc))

    def on_cancelled(self):
        self.events.append(("cancelled", None))

    def on_succeeded(self, value):
        self.events.append(("succeeded", value))


@pytest.mark.parametrize("error, expected", [(InputError("bad.xy", "no numeric columns"), "failed"),
                                             (Cancelled(), "cancelled")])
def test_job_reports_errors_as_signals(qtbot, error, expected):
    """Even a job that ends at once reports: connections are made before it starts."""
    def work(progress, cancel):
        raise error

    runner, recorder = JobRunner(), _Recorder()
    runner.start("load", work, connect=recorder.connect)
    qtbot.waitUntil(lambda: not runner.is_busy("load"), timeout=5000)
    assert [kind for kind, _ in recorder.events] == [expected]
    if expected == "failed":
        assert recorder.events[0][1] is error
