"""A deterministic operando-XRD simulator with known ground truth, built on the phase library.

Model
-----
A :class:`Scenario` is a list of half-cycles (:class:`Segment`, charge or discharge, run at one
constant current). Each half-cycle is a list of :class:`Step`s that share its capacity:

- ``"regime"``: the phases and their weight fractions stay fixed; the voltage slopes (solid
  solution) and the cells follow the state of charge.
- ``"two-phase"``: the fractions move linearly with charge passed (lever rule) from the previous
  step's to this step's; the voltage is a plateau (``v_start`` ≈ ``v_end``).
- ``"solid-solution"``: the same interpolation of fractions, but with a sloping voltage, for
  changes that look continuous (e.g. P2 → Z / OP4 intergrowth).

The state of charge ``s`` is the charge passed in units of the scenario's nominal capacity: it
starts at 0, grows on charge and falls on discharge. Cells of cathode phases are piecewise-linear
in ``s`` (``Scenario.cell_paths``), so P2 can expand in c and shrink in a on charge (PHASES.md §3)
while parasitic phases (Be window, BeO, Al) stay fixed.

Scans are back-to-back (durations ``scan_time_s`` × (1 ± ``time_jitter``)); each scan is
evaluated at its mid-time. The experiment's charge/discharge spans exactly the scans' time, so
the series covers the whole scenario. A missing scan is dropped after simulation (its time is a gap).

Intensities follow :mod:`analysis.simulation_pattern` (no Lorentz–polarisation factor; the truth
fractions are the weight fractions used as intensity weights).

Example::

    from analysis.simulation import simulate
    from analysis.simulation_scenarios import get_scenario
    result = simulate(get_scenario("p2o3_op4"), n_scans=100, step_deg=0.02, noise_counts=2500, seed=1)
    result.series          # ScanSeries (counts, σ = √counts, start times, λ)
    result.echem           # EchemData every 30 s (V, mA, mAh) on the same clock
    result.truth.events    # true transitions, scan .. end_scan
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Optional

import numpy as np
from scipy.interpolate import PchipInterpolator

from . import axis as ax
from .crystallography import Cell
from .echem import EchemData
from .events import Event
from .phase_library import load_library
from .series import ScanSeries
from .simulation_pattern import Background, Instrument, PeakList, phase_peaks, render

STEP_KINDS = ("regime", "two-phase", "solid-solution")
MO_KA2_A = 0.71359
"""Mo Kα2 in Å (Kα1 is :data:`analysis.axis.MO_KA1_A`)."""


@dataclass(frozen=True)
class Step:
    """Part of a half-cycle. ``fractions``: phase name → weight fraction at the end of the step
    (summing to 1); ``capacity``: share of the half-cycle's charge (any positive units);
    ``v_start``/``v_end``: voltage in V at the step's ends; ``label``: regime label after it."""

    kind: str
    label: str
    fractions: dict
    capacity: float
    v_start: float
    v_end: float

    def __post_init__(self) -> None:
        if self.kind not in STEP_KINDS:
            raise ValueError(f"step kind must be one of {STEP_KINDS}, not {self.kind!r}")
        if not self.capacity > 0:
            raise ValueError("step capacity must be positive")
        if abs(sum(self.fractions.values()) - 1.0) > 1e-9 or min(self.fractions.values()) < 0:
            raise ValueError(f"fractions of {self.label!r} must be ≥ 0 and sum to 1: {self.fractions}")


def regime(label: str, fractions: dict, capacity: float, v_start: float, v_end: float) -> Step:
    return Step("regime", label, fractions, capacity, v_start, v_end)


def two_phase(label: str, fractions: dict, capacity: float, v_start: float, v_end: float) -> Step:
    return Step("two-phase", label, fractions, capacity, v_start, v_end)


def solid_solution(label: str, fractions: dict, capacity: float, v_start: float, v_end: float) -> Step:
    return Step("solid-solution", label, fractions, capacity, v_start, v_end)


@dataclass(frozen=True)
class Segment:
    """A half-cycle: ``direction`` "charge" or "discharge"; ``capacity`` in units of the nominal
    capacity (state of charge moves by ±capacity); ``steps`` share it by their own capacities."""

    direction: str
    steps: tuple
    capacity: float = 1.0


@dataclass(frozen=True)
class Scenario:
    """A named operando experiment (see module docstring).

    cell_paths: phase → {cell parameter → ((s, value), ...)} piecewise-linear in state of charge
    parasitic:  phase → (weight relative to the cathode, textured?) for fixed cell-part peaks
    """

    name: str
    description: str
    segments: tuple
    cell_paths: dict = field(default_factory=dict)
    parasitic: dict = field(default_factory=dict)

    @property
    def steps(self) -> list[tuple[int, Step]]:
        return [(i, st) for i, seg in enumerate(self.segments) for st in seg.steps]

    @property
    def phases(self) -> tuple[str, ...]:
        """Cathode phases in order of first appearance."""
        names: list[str] = []
        for _, st in self.steps:
            names += [n for n in st.fractions if n not in names]
        return tuple(names)

    @property
    def sequence(self) -> str:
        """Regime labels in order, e.g. ``"P2/O3 → P2/P3 → OP4 → P2/P3 → P2/O3"``."""
        labels: list[str] = []
        for _, st in self.steps:
            if not labels or labels[-1] != st.label:
                labels.append(st.label)
        return " → ".join(labels)


@dataclass(frozen=True)
class SimulationSettings:
    """Everything besides the scenario that decides the numbers (all recorded in the truth)."""

    wavelength_A: float = ax.CU_KA1_A
    two_theta_range: tuple = (10.0, 80.0)
    step_deg: float = 0.02
    n_scans: int = 100
    kalpha2: Optional[bool] = None          # None: on for Cu Kα1, off otherwise
    noise_counts: Optional[float] = 2000.0  # height of the strongest cathode peak of scan 0; None = no noise
    background_ratio: float = 0.08          # flat background level / noise_counts
    seed: int = 0
    scan_time_s: float = 900.0
    time_jitter: float = 0.0                # relative spread of scan durations (uneven scan times)
    missing_scan: Optional[int] = None      # nominal index of a scan to drop
    charge_capacity_mAh: float = 1.0        # nominal capacity (state of charge 1)
    echem_interval_s: float = 30.0
    start_iso: str = "2026-03-02T09:00:00+00:00"
    instrument: Optional[Instrument] = None  # None: lab Cu (λ > 1.2 Å) or synchrotron preset
    background: Background = Background()

    def resolved_instrument(self) -> Instrument:
        """``instrument`` if given (then ``kalpha2`` is ignored), else a preset for the wavelength:
        lab Cu above 1.2 Å (Kα2 on for Cu Kα1 unless ``kalpha2=False``), otherwise a synchrotron
        beam (no Kα2 unless asked; asked at Mo Kα1 it uses the Mo Kα2/Kα1 ratio)."""
        if self.instrument is not None:
            return self.instrument
        if self.wavelength_A > 1.2:
            kalpha2 = self.kalpha2 if self.kalpha2 is not None else abs(self.wavelength_A - ax.CU_KA1_A) < 1e-3
            return Instrument(wavelength_A=self.wavelength_A, kalpha2=kalpha2)
        inst = Instrument.synchrotron(self.wavelength_A)
        if not self.kalpha2:
            return inst
        ratio = MO_KA2_A / ax.MO_KA1_A if abs(self.wavelength_A - ax.MO_KA1_A) < 1e-3 else inst.kalpha2_ratio_lambda
        return replace(inst, kalpha2=True, kalpha2_ratio_lambda=ratio)


@dataclass(frozen=True, eq=False)
class SimulationTruth:
    """Ground truth per (kept) scan; arrays have n_scans rows.

    phases:           (n_phases,) cathode phase names
    fractions:        (n_scans, n_phases) weight fractions, summing to 1
    cells:            (n_scans, n_phases, 6) a, b, c (Å), α, β, γ (°); NaN for d-list phases
    regime:           (n_scans,) label, ``"A → B"`` inside a transition
    voltage_V, state_of_charge, time_s (scan start, s), mid_time_s: (n_scans,)
    nominal_index:    (n_scans,) index before a missing scan was dropped
    events:           the true transitions (scan .. end_scan, inclusive)
    parameters:       settings, instrument, scenario, texture factors
    """

    phases: tuple
    fractions: np.ndarray
    cells: np.ndarray
    regime: tuple
    voltage_V: np.ndarray
    state_of_charge: np.ndarray
    time_s: np.ndarray
    mid_time_s: np.ndarray
    nominal_index: np.ndarray
    events: tuple
    sequence: str
    parameters: dict


@dataclass(frozen=True, eq=False)
class SimulatedSeries:
    """What :func:`simulate` returns: the series, its electrochemistry and the ground truth."""

    series: ScanSeries
    echem: EchemData
    truth: SimulationTruth


@dataclass(frozen=True)
class _Timeline:
    """Steps laid out on the time axis. Arrays (n_steps,) unless said."""

    t0: np.ndarray
    t1: np.ndarray
    frac0: np.ndarray      # (n_steps, n_phases)
    frac1: np.ndarray
    s0: np.ndarray
    s1: np.ndarray
    steps: tuple
    labels: tuple
    current_sign: np.ndarray
    segment: np.ndarray    # index of the half-cycle each step belongs to


def _timeline(scenario: Scenario, total_s: float) -> _Timeline:
    phases = scenario.phases
    seg_caps = np.array([seg.capacity for seg in scenario.segments])
    seg_t = np.concatenate([[0.0], np.cumsum(seg_caps)]) / seg_caps.sum() * total_s
    t0, t1, f0, f1, s0, s1, steps, labels, sign, segment = [], [], [], [], [], [], [], [], [], []
    s, prev_frac, prev_label = 0.0, None, None
    for k, seg in enumerate(scenario.segments):
        direction = 1.0 if seg.direction == "charge" else -1.0
        caps = np.array([st.capacity for st in seg.steps])
        edges = np.concatenate([[0.0], np.cumsum(caps)]) / caps.sum()
        for j, st in enumerate(seg.steps):
            end = np.array([st.fractions.get(p, 0.0) for p in phases])
            start = end if (st.kind == "regime" or prev_frac is None) else prev_frac
            t0.append(seg_t[k] + edges[j] * (seg_t[k + 1] - seg_t[k]))
            t1.append(seg_t[k] + edges[j + 1] * (seg_t[k + 1] - seg_t[k]))
            s0.append(s + direction * seg.capacity * edges[j])
            s1.append(s + direction * seg.capacity * edges[j + 1])
            f0.append(start)
            f1.append(end)
            steps.append(st)
            labels.append(st.label if st.kind == "regime" or prev_label is None else f"{prev_label} → {st.label}")
            sign.append(direction)
            segment.append(k)
            prev_frac, prev_label = end, st.label
        s += direction * seg.capacity
    return _Timeline(np.array(t0), np.array(t1), np.array(f0), np.array(f1), np.array(s0), np.array(s1),
                     tuple(steps), tuple(labels), np.array(sign), np.array(segment))


def _locate(tl: _Timeline, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Step index and position u ∈ [0, 1] within it for times t (s)."""
    idx = np.clip(np.searchsorted(tl.t0, t, side="right") - 1, 0, tl.t0.size - 1)
    u = np.clip((t - tl.t0[idx]) / (tl.t1[idx] - tl.t0[idx]), 0.0, 1.0)
    return idx, u


def _voltage(tl: _Timeline, idx: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Cell voltage (V) at times ``t`` (s) lying in steps ``idx``: within each half-cycle a monotone
    cubic (PCHIP) through the steps' voltages at their edges, so the curve bends smoothly from step
    to step as a measured one does, flat plateaus stay flat and no value overshoots its step."""
    out = np.empty(t.shape)
    seg = tl.segment[idx]
    for k in np.unique(seg):
        steps = np.flatnonzero(tl.segment == k)
        v_start = np.array([tl.steps[i].v_start for i in steps])
        v_end = np.array([tl.steps[i].v_end for i in steps])
        knots_t = np.append(tl.t0[steps], tl.t1[steps[-1]])
        knots_v = np.concatenate([v_start[:1], 0.5 * (v_end[:-1] + v_start[1:]), v_end[-1:]])
        out[seg == k] = PchipInterpolator(knots_t, knots_v)(np.clip(t[seg == k], knots_t[0], knots_t[-1]))
    return out


def _cells(scenario: Scenario, library: dict, soc: np.ndarray) -> np.ndarray:
    """(n, n_phases, 6) cells along the state of charge (NaN for fixed d-list phases)."""
    out = np.empty((soc.size, len(scenario.phases), 6))
    for j, name in enumerate(scenario.phases):
        base = library[name]
        paths = scenario.cell_paths.get(name, {})
        for i, s in enumerate(soc):
            params = {k: float(np.interp(s, [p[0] for p in path], [p[1] for p in path]))
                      for k, path in paths.items()}
            cell = (base.with_cell(**params) if params else base).cell
            out[i, j] = np.nan if cell is None else cell.as_tuple()  # d-list phases have no cell
    return out


def _scan_times(settings: SimulationSettings, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n = settings.n_scans
    # whole seconds (ms for sub-10 s exposures), as instrument logs give them, so text headers are exact
    durations = np.round(settings.scan_time_s * (1.0 + settings.time_jitter * rng.uniform(-1.0, 1.0, n)),
                         0 if settings.scan_time_s >= 10 else 3)
    starts = np.concatenate([[0.0], np.cumsum(durations)[:-1]])
    return starts, durations


def _events(tl: _Timeline, mid_s: np.ndarray) -> tuple[Event, ...]:
    events = []
    for k, st in enumerate(tl.steps):
        if st.kind == "regime" or k == 0:
            continue
        inside = np.flatnonzero((mid_s >= tl.t0[k]) & (mid_s <= tl.t1[k]))
        if inside.size:
            first, last = int(inside[0]), int(inside[-1])
        else:  # shorter than a scan: the scan nearest its middle
            first = last = int(np.argmin(np.abs(mid_s - 0.5 * (tl.t0[k] + tl.t1[k]))))
        events.append(Event(scan=first, end_scan=last, label=tl.labels[k], from_phases=tl.steps[k - 1].label,
                            to_phases=st.label, kind=st.kind, source="manual", note="simulation ground truth"))
    return tuple(events)


def _check(scenario: Scenario, cfg: SimulationSettings, library: dict) -> None:
    missing = [n for n in (*scenario.phases, *scenario.parasitic) if n not in library]
    if missing:
        raise ValueError(f"scenario {scenario.name!r} uses phases not in the library: {missing}")
    for seg in scenario.segments:
        if seg.direction not in ("charge", "discharge") or not seg.steps or not seg.capacity > 0:
            raise ValueError(f"scenario {scenario.name!r}: bad segment {seg.direction!r}")
    for name, paths in scenario.cell_paths.items():
        bad = set(paths) - set(library[name].free_parameters) if name in library else {"phase"}
        if bad:
            raise ValueError(f"scenario {scenario.name!r}: cell path of {name} names {sorted(bad)}")
    if cfg.n_scans < 2 or not cfg.step_deg > 0 or not cfg.two_theta_range[1] > cfg.two_theta_range[0]:
        raise ValueError("need n_scans ≥ 2, step_deg > 0 and an increasing two_theta_range")
    if cfg.missing_scan is not None and not 0 < cfg.missing_scan < cfg.n_scans - 1:
        raise ValueError("missing_scan must be an inner scan (not the first or last)")
    if not 0 <= cfg.time_jitter < 1:
        raise ValueError("time_jitter must be in [0, 1)")


def two_theta_grid(two_theta_range: tuple, step_deg: float) -> np.ndarray:
    """lo, lo + step, ... ≤ hi, rounded to 1e-9° so the text files print clean numbers."""
    lo, hi = float(two_theta_range[0]), float(two_theta_range[1])
    n = int(np.floor((hi - lo) / step_deg + 1e-9)) + 1
    return np.round(lo + step_deg * np.arange(n), 9)


def _parasitic_pattern(scenario: Scenario, library: dict, inst: Instrument, x: np.ndarray,
                       rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """The fixed cell-part pattern (per unit cathode scale) and the texture factors drawn."""
    peaks, factors = [], {}
    rng_range = (float(x[0]), float(x[-1]))
    for name, (weight, textured) in scenario.parasitic.items():
        phase = library[name]
        f = rng.lognormal(0.0, 0.5, phase.rel_intensity.size) if textured else None
        factors[name] = None if f is None else [float(v) for v in f]
        peaks.append(phase_peaks(phase, inst, rng_range, float(weight), f))
    return render(x, PeakList.concat(peaks), inst.eta), factors


def _at_cell(phase, cell: np.ndarray):
    return phase if phase.cell is None else replace(phase, cell=Cell(*cell))


def _cathode_patterns(scenario: Scenario, library: dict, inst: Instrument, x: np.ndarray,
                      fractions: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """(n_scans, n_points) cathode patterns with unit scale."""
    out = np.empty((fractions.shape[0], x.size))
    rng_range = (float(x[0]), float(x[-1]))
    for i in range(fractions.shape[0]):
        peaks = [phase_peaks(_at_cell(library[name], cells[i, j]), inst, rng_range, fractions[i, j])
                 for j, name in enumerate(scenario.phases) if fractions[i, j] > 0]
        out[i] = render(x, PeakList.concat(peaks), inst.eta)
    return out


def _echem(tl: _Timeline, cfg: SimulationSettings, scenario: Scenario, total_s: float,
           epoch: float) -> EchemData:
    t = np.arange(0.0, total_s, cfg.echem_interval_s)
    t = np.append(t, total_s)
    idx, u = _locate(tl, t)
    total_capacity = sum(seg.capacity for seg in scenario.segments) * cfg.charge_capacity_mAh
    current_mA = total_capacity / (total_s / 3600.0)
    soc = tl.s0[idx] + (tl.s1[idx] - tl.s0[idx]) * u
    return EchemData(time_s=t, voltage_V=_voltage(tl, idx, t), current_mA=tl.current_sign[idx] * current_mA,
                     capacity_mAh=soc * cfg.charge_capacity_mAh, start_epoch_s=epoch,
                     source=f"simulated:{scenario.name}")


def _counts(scenario: Scenario, library: dict, cfg: SimulationSettings, inst: Instrument, x: np.ndarray,
            fractions: np.ndarray, cells: np.ndarray, rng_texture, rng_noise) -> tuple[np.ndarray, float, dict]:
    """(n_scans, n_points) counts (Poisson unless ``noise_counts`` is None), the scale, the texture."""
    cathode = _cathode_patterns(scenario, library, inst, x, fractions, cells)
    parasitic, texture = _parasitic_pattern(scenario, library, inst, x, rng_texture)
    level = cfg.noise_counts if cfg.noise_counts else 1000.0
    scale = level / float(cathode[0].max())
    background = cfg.background_ratio * level * cfg.background.shape(x, inst.wavelength_A)
    clean = scale * (cathode + parasitic[None, :]) + background
    counts = rng_noise.poisson(clean).astype(float) if cfg.noise_counts else clean
    return counts, scale, texture


def _parameters(scenario: Scenario, cfg: SimulationSettings, inst: Instrument, scale: float, texture: dict) -> dict:
    return {"scenario": scenario.name, "description": scenario.description, "settings": asdict(cfg),
            "instrument": asdict(inst), "intensity_scale": scale,
            "parasitic": {k: {"weight": float(w), "textured": bool(t), "texture_factors": texture[k]}
                          for k, (w, t) in scenario.parasitic.items()},
            "cell_paths": {k: {p: [list(v) for v in path] for p, path in paths.items()}
                           for k, paths in scenario.cell_paths.items()}}


def simulate(scenario: Scenario, *, library: Optional[dict] = None, **settings) -> SimulatedSeries:
    """Simulate an operando series of ``scenario``; keyword ``settings`` are :class:`SimulationSettings`.

    ``library``: phase name → :class:`~analysis.phase_library.Phase` (default: the bundled library).
    Deterministic: the same scenario, settings and seed give identical arrays. Independent random
    streams (from ``seed``) drive scan timing, foil texture and counting noise.
    """
    cfg = SimulationSettings(**settings)
    library = load_library() if library is None else library
    _check(scenario, cfg, library)
    rng_time, rng_texture, rng_noise = (np.random.default_rng(s) for s in np.random.SeedSequence(cfg.seed).spawn(3))
    inst = cfg.resolved_instrument()
    starts, durations = _scan_times(cfg, rng_time)
    total_s = float(starts[-1] + durations[-1])
    tl = _timeline(scenario, total_s)
    mid = starts + durations / 2.0
    idx, u = _locate(tl, mid)
    fractions = tl.frac0[idx] + (tl.frac1[idx] - tl.frac0[idx]) * u[:, None]
    soc = tl.s0[idx] + (tl.s1[idx] - tl.s0[idx]) * u
    cells = _cells(scenario, library, soc)
    x = two_theta_grid(cfg.two_theta_range, cfg.step_deg)
    counts, scale, texture = _counts(scenario, library, cfg, inst, x, fractions, cells, rng_texture, rng_noise)

    keep = np.array([i for i in range(cfg.n_scans) if i != cfg.missing_scan])
    epoch = datetime.fromisoformat(cfg.start_iso).timestamp()
    series = ScanSeries(x=x, intensity=counts[keep], time_s=starts[keep], sigma=np.sqrt(np.maximum(counts[keep], 1.0)),
                        start_epoch_s=epoch, time_source="header", wavelength_A=inst.wavelength_A,
                        source=tuple(f"simulated:{scenario.name}[{i}]" for i in keep), layout="simulated",
                        notes=(f"simulated series: {scenario.sequence}",))
    truth = SimulationTruth(phases=scenario.phases, fractions=fractions[keep], cells=cells[keep],
                            regime=tuple(tl.labels[i] for i in idx[keep]), voltage_V=_voltage(tl, idx, mid)[keep],
                            state_of_charge=soc[keep], time_s=starts[keep], mid_time_s=mid[keep],
                            nominal_index=keep, events=_events(tl, mid[keep]), sequence=scenario.sequence,
                            parameters=_parameters(scenario, cfg, inst, scale, texture))
    return SimulatedSeries(series=series, echem=_echem(tl, cfg, scenario, total_s, epoch), truth=truth)
