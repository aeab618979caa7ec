"""Peak indexing in the GUI: the session's series peak fit → (phase, hkl) of every fitted peak and
the cells refined from them, as a background job; the user's overrides, applied on every re-run.

Data flow: the Indexing dock asks for a run or an override; the controller runs
:func:`analysis.peak_indexing_run.index_and_fit_lattices` on the current ``session.fit_result``
with the phases of ``phase_source()`` and keeps the outcome (:attr:`table`, :attr:`lattice`,
:attr:`summary`) for the views, with :attr:`indexed` the fit result it belongs to. A new peak
fit (or none) clears the outcome; the overrides stay while the peak numbering is unchanged. The
options, overrides and the phases of the shown outcome are plain data for the project
(:meth:`IndexingController.settings`, :meth:`~IndexingController.restore`); a reopened project
that had an outcome is indexed again with those phases once it is restored (:meth:`~IndexingController.resume`).
"""

from __future__ import annotations

from typing import Callable, Optional, Sequence

from PySide6.QtCore import QObject, Signal, Slot

from analysis.errors import InputError
from analysis.indexing import ManualAssignment
from analysis.peak_indexing_run import index_and_fit_lattices, summarize_peaks
from analysis.phase_library import Phase, phase_from_dict, phase_to_dict

from .error_dialog import describe_failure
from .jobs import JobRunner
from .session import Session

INDEX_JOB = "peak_indexing"


class IndexingController(QObject):
    """Owns the ``peak_indexing`` job, its options and the user's overrides.

    Signals: ``results_changed()`` (table, lattice and summary replaced or cleared),
    ``overrides_changed()``, ``settings_changed()`` (overrides or options), ``busy_changed(bool)``,
    ``progressed(done, total)``, ``message(text, ms)``, ``failed(text)``.
    """

    results_changed = Signal()
    overrides_changed = Signal()
    settings_changed = Signal()
    busy_changed = Signal(bool)
    progressed = Signal(int, int)
    message = Signal(str, int)
    failed = Signal(str)

    def __init__(self, session: Session, runner: JobRunner, phase_source: Callable[[], Sequence[Phase]],
                 parent: Optional[QObject] = None) -> None:
        super().__init__(parent)
        self._session, self._runner, self._phase_source = session, runner, phase_source
        self.zero_shift = False
        self.displacement = False
        self.manual: dict[int, ManualAssignment] = {}   # global peak index → the user's entry
        self.manual_n_peaks: Optional[int] = None        # peaks of the fit the entries number
        self.indexed = None                              # the fit result the outcome belongs to
        self.table = None
        self.lattice: dict = {}
        self.summary: list = []
        self.phase_names: tuple[str, ...] = ()
        self.indexed_phases: tuple[Phase, ...] = ()      # the phases (working cells) of the outcome
        self._to_resume: Optional[dict] = None           # a restored project's last run, until it is open
        self._resuming: tuple[Phase, ...] = ()           # the phases of that run while it runs again
        runner.busy_changed.connect(self._on_busy_changed)
        session.fit_result_changed.connect(self._on_fit_result_changed)

    def can_run(self) -> bool:
        result = self._session.fit_result
        return result is not None and bool(self._wavelength_A(result))

    def _wavelength_A(self, result) -> Optional[float]:
        series = self._session.series
        return result.wavelength_A or (series.wavelength_A if series is not None else None)

    # -- running ------------------------------------------------------------------------------
    @Slot()
    def run(self) -> None:
        """Index the session's peak fit in the background (nothing happens without one)."""
        result = self._session.fit_result
        if result is None:
            self.message.emit("Fit peaks over the series first (Fitting dock)", 5000)
            return
        wavelength_A = self._wavelength_A(result)
        if not wavelength_A:
            self.message.emit("Indexing needs the wavelength of the series", 5000)
            return
        phases = tuple(self._phase_source())
        if not phases:
            self.message.emit("No phases to index with: tick phases in the Phases dock (or run Analyze)", 5000)
            return
        self._start(result, phases, wavelength_A)

    def _start(self, result, phases: tuple[Phase, ...], wavelength_A: float) -> None:
        manual, zero, disp = tuple(self.manual.values()), self.zero_shift, self.displacement

        def work(progress, cancel):
            table, lattice = index_and_fit_lattices(result, list(phases), wavelength_A, manual=manual,
                                                    zero_shift=zero, displacement=disp, progress=progress,
                                                    cancel=cancel)
            return result, phases, table, lattice

        self._runner.start(INDEX_JOB, work, connect=self._connect_job)

    @Slot()
    def resume(self, *_args) -> None:
        """Index again as the restored project last did (its phases, cells and overrides), when it
        had an outcome and its peak fit is the session's: the table comes back without Index."""
        last, self._to_resume = self._to_resume, None
        result = self._session.fit_result
        if last is None or result is None or int(result.center.shape[1]) != last["n_peaks"]:
            return
        wavelength_A = self._wavelength_A(result)
        if wavelength_A:
            self._resuming = last["phases"]
            self._start(result, last["phases"], wavelength_A)

    def _connect_job(self, signals) -> None:
        signals.succeeded.connect(self._on_succeeded)
        signals.failed.connect(self._on_failed)
        signals.progressed.connect(self.progressed)

    @Slot()
    def cancel(self) -> None:
        self._runner.cancel(INDEX_JOB)

    # -- overrides ----------------------------------------------------------------------------
    def set_override(self, peak: int, phase: Optional[str], hkl: Optional[tuple] = None) -> None:
        """Peak ``peak`` (global index) is (phase, hkl) in every scan; ``phase=None`` excludes it.
        Re-runs the indexing."""
        self.manual[int(peak)] = ManualAssignment(int(peak), phase, None if hkl is None else tuple(hkl))
        result = self.indexed if self.indexed is not None else self._session.fit_result
        self.manual_n_peaks = None if result is None else int(result.center.shape[1])
        self._emit_overrides_changed()
        self.run()

    def clear_override(self, peak: int) -> None:
        """Back to the automatic assignment of ``peak``; re-runs the indexing."""
        if self.manual.pop(int(peak), None) is not None:
            self._emit_overrides_changed()
            self.run()

    def _emit_overrides_changed(self) -> None:
        self.overrides_changed.emit()
        self.settings_changed.emit()

    def set_options(self, zero_shift: bool, displacement: bool) -> None:
        """Refine a zero shift and/or a sample displacement too; re-runs an indexing already shown."""
        if (zero_shift, displacement) == (self.zero_shift, self.displacement):
            return
        self.zero_shift, self.displacement = bool(zero_shift), bool(displacement)
        self.settings_changed.emit()
        if self.indexed is not None:
            self.run()

    # -- project ------------------------------------------------------------------------------
    def settings(self) -> dict:
        """Options, overrides and the last run as JSON-compatible data (the project setting
        ``indexing``). ``indexed`` is None, or the peak count and the phases (phase JSON, with
        the cells they were indexed with) of the outcome shown or being computed again."""
        return {"zero_shift": self.zero_shift, "displacement": self.displacement, "n_peaks": self.manual_n_peaks,
                "overrides": [{"peak": m.peak, "phase": m.phase, "hkl": None if m.hkl is None else list(m.hkl)}
                              for m in self.manual.values()],
                "indexed": self._last_run()}

    def _last_run(self) -> Optional[dict]:
        result = self._session.fit_result
        phases = self.indexed_phases if self.indexed is not None else self._resuming
        if result is None or not phases or (self.indexed is not None and self.indexed is not result):
            return None
        return {"n_peaks": int(result.center.shape[1]), "phases": [phase_to_dict(p) for p in phases]}

    def restore(self, value: dict) -> None:
        """Bring back what :meth:`settings` saved; the overrides apply to a peak fit of ``n_peaks``
        peaks (the project's, restored after this); the last run waits for :meth:`resume`."""
        self.zero_shift = bool(value.get("zero_shift", False))
        self.displacement = bool(value.get("displacement", False))
        self.manual = {int(d["peak"]): ManualAssignment(int(d["peak"]), d.get("phase"),
                                                        None if d.get("hkl") is None else tuple(map(int, d["hkl"])))
                       for d in value.get("overrides", [])}
        n_peaks = value.get("n_peaks")
        self.manual_n_peaks = None if n_peaks is None else int(n_peaks)
        self._to_resume = self._saved_run(value.get("indexed"))
        self._emit_overrides_changed()

    def _saved_run(self, last) -> Optional[dict]:
        """The ``indexed`` entry as {"n_peaks": int, "phases": tuple of Phase}; None when absent (an
        older project, or never indexed) or unreadable (said in a message)."""
        if last is None:
            return None
        try:
            return {"n_peaks": int(last["n_peaks"]),
                    "phases": tuple(phase_from_dict(d, "project (indexing setting)") for d in last["phases"])}
        except (InputError, KeyError, TypeError, ValueError) as exc:
            self.message.emit(f"The project's indexing is not run again: {exc}", 10000)
            return None

    # -- reactions ----------------------------------------------------------------------------
    @Slot(object)
    def _on_succeeded(self, outcome) -> None:
        result, phases, table, lattice = outcome
        if result is not self._session.fit_result:   # the peak fit changed meanwhile
            return
        self.indexed, self.table, self.lattice = result, table, lattice
        self.indexed_phases, self.phase_names, self._resuming = phases, tuple(p.name for p in phases), ()
        self.summary = summarize_peaks(table, result.center)
        fitted = [n for n, s in lattice.items() if (s.n_reflections > 0).any()]
        self.message.emit(f"Indexed {len(self.summary)} peaks; " + (
            f"cells refined for {', '.join(fitted)}" if fitted else
            "no phase has enough indexed reflections to refine its cell (free parameters, plus one per "
            "correction, plus one)"), 8000)
        self.results_changed.emit()

    @Slot(object)
    def _on_failed(self, exc: BaseException) -> None:
        self._resuming = ()
        self.failed.emit(describe_failure(exc, "the peak fit").replace("Could not open", "Could not index", 1))

    @Slot(str, bool)
    def _on_busy_changed(self, kind: str, busy: bool) -> None:
        if kind == INDEX_JOB:
            self.busy_changed.emit(busy)

    @Slot(object)
    def _on_fit_result_changed(self, result) -> None:
        if result is self.indexed:
            return
        if result is None or result.center.shape[1] != self.manual_n_peaks:
            if self.manual:
                self.manual, self.manual_n_peaks = {}, None
                self._emit_overrides_changed()
        self._runner.cancel(INDEX_JOB)
        self.indexed, self.table, self.lattice, self.summary = None, None, {}, []
        self.indexed_phases, self._resuming = (), ()
        self.results_changed.emit()
