"""Echem alignment to the scans and Na content by Faraday's law, against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from analysis.echem import (EchemData, alignment_note, charge_passed_mAh, load_echem, mid_scan_times_s, sodium_at_scans,
                            sodium_content, voltage_at_scans)
from analysis.errors import InputError
from analysis.series import ScanSeries

# All expected values below are exact sums/products of short decimals; 1e-12 absolute
# covers the float rounding of a handful of operations on numbers of order 1..1e6.
ATOL = 1e-12


def _echem(time_s, voltage_V, current_mA=None, capacity_mAh=None, start_epoch_s=None):
    return EchemData(time_s=np.asarray(time_s, float), voltage_V=np.asarray(voltage_V, float),
                     current_mA=None if current_mA is None else np.asarray(current_mA, float),
                     capacity_mAh=None if capacity_mAh is None else np.asarray(capacity_mAh, float),
                     start_epoch_s=start_epoch_s, source="synthetic.csv")


def _series(time_s, start_epoch_s=None):
    time_s = np.asarray(time_s, float)
    return ScanSeries(x=np.arange(3.0), intensity=np.zeros((time_s.size, 3)), time_s=time_s,
                      start_epoch_s=start_epoch_s)


# V rises 5 mV/s to 200 s, then 2 mV/s to 300 s
RAMP = _echem([0.0, 100.0, 200.0, 300.0], [3.0, 3.5, 4.0, 4.2])
SCANS = [0.0, 50.0, 100.0, 150.0]          # median spacing 50 s -> mid-scan at +25 s


# ----------------------------------------------------------------------------- alignment

def test_mid_scan_times():
    np.testing.assert_allclose(mid_scan_times_s(_series(SCANS)), [25, 75, 125, 175], atol=ATOL)
    np.testing.assert_allclose(mid_scan_times_s(_series(SCANS), scan_duration_s=10), [5, 55, 105, 155],
                               atol=ATOL)
    np.testing.assert_allclose(mid_scan_times_s(_series([42.0])), [42.0], atol=ATOL)  # single scan: start


def test_voltage_without_absolute_times_starts_together():
    # mid-scan 25, 75, 125, 175 s on both clocks
    np.testing.assert_allclose(voltage_at_scans(RAMP, _series(SCANS)), [3.125, 3.375, 3.625, 3.875], atol=ATOL)


@pytest.mark.parametrize("offset_s, expected", [
    (20.0, [3.025, 3.275, 3.525, 3.775]),   # echem times 5, 55, 105, 155 s
    (-30.0, [3.275, 3.525, 3.775, 4.01]),   # echem times 55, 105, 155, 205 s
])
def test_voltage_with_clock_offset(offset_s, expected):
    np.testing.assert_allclose(voltage_at_scans(RAMP, _series(SCANS), clock_offset_s=offset_s), expected,
                               atol=ATOL)


def test_voltage_with_absolute_times():
    # the diffraction started 60 s after the potentiostat: echem times 85, 135, 185, 235 s
    echem = _echem(RAMP.time_s, RAMP.voltage_V, start_epoch_s=1_773_568_800.0)
    series = _series(SCANS, start_epoch_s=1_773_568_860.0)
    np.testing.assert_allclose(voltage_at_scans(echem, series), [3.425, 3.675, 3.925, 4.07], atol=ATOL)


def test_absolute_times_with_one_hour_clock_offset():
    # the potentiostat clock runs an hour ahead: without the offset every scan precedes the record
    echem = _echem(RAMP.time_s, RAMP.voltage_V, start_epoch_s=1_773_568_800.0 + 3600.0)
    series = _series(SCANS, start_epoch_s=1_773_568_860.0)
    assert np.all(np.isnan(voltage_at_scans(echem, series)))
    np.testing.assert_allclose(voltage_at_scans(echem, series, clock_offset_s=-3600.0),
                               [3.425, 3.675, 3.925, 4.07], atol=ATOL)


def test_one_absolute_time_is_not_enough():
    echem = _echem(RAMP.time_s, RAMP.voltage_V, start_epoch_s=1_773_568_800.0)
    np.testing.assert_allclose(voltage_at_scans(echem, _series(SCANS)), [3.125, 3.375, 3.625, 3.875], atol=ATOL)


def test_outside_the_record_is_nan_not_extrapolated():
    series = _series([-20.0, 0.0, 290.0, 300.0])
    v = voltage_at_scans(RAMP, series, scan_duration_s=10.0)   # mid -15, 5, 295, 305 s
    assert np.isnan(v[0]) and np.isnan(v[3])
    np.testing.assert_allclose(v[1:3], [3.025, 4.19], atol=ATOL)
    np.testing.assert_allclose(voltage_at_scans(RAMP, _series([300.0])), [4.2], atol=ATOL)  # end included


def test_alignment_from_files(tmp_path):
    path = tmp_path / "log.csv"
    path.write_text("time_s,voltage_V\n" + "".join(f"{t},{v}\n" for t, v in zip(RAMP.time_s, RAMP.voltage_V)))
    np.testing.assert_allclose(voltage_at_scans(load_echem(path), _series(SCANS), clock_offset_s=20.0),
                               [3.025, 3.275, 3.525, 3.775], atol=ATOL)


# ----------------------------------------------------------------------------- sodium content

F = 96485.33212
# 1 mA for 1 h = 1 mAh = 3.6 C through 10 mg of M = 100 g/mol (1e-4 mol): 3.6/(F*1e-4)
DX_1MAH = 3.6 * 1.0 * 100.0 / (F * 0.010)
HOUR = np.linspace(0.0, 3600.0, 61)


def test_faraday_known_answer_from_current():
    assert DX_1MAH == pytest.approx(0.3731137076, abs=1e-10)  # the number, written out once
    echem = _echem(HOUR, np.full(61, 3.5), current_mA=np.ones(61))
    x = sodium_content(echem, active_mass_g=0.010, molar_mass_g_mol=100.0, x0=0.67)
    # constant current: the trapezoid rule is exact, so x falls linearly by DX_1MAH over the hour
    np.testing.assert_allclose(x, 0.67 - DX_1MAH * HOUR / 3600.0, atol=ATOL)


def test_faraday_from_capacity_when_no_current():
    echem = _echem(HOUR, np.full(61, 3.5), capacity_mAh=5.0 + HOUR / 3600.0)   # offset removed
    x = sodium_content(echem, active_mass_g=0.010, molar_mass_g_mol=100.0, x0=0.67)
    np.testing.assert_allclose(x, 0.67 - DX_1MAH * HOUR / 3600.0, atol=ATOL)


def test_current_preferred_over_a_capacity_that_resets():
    capacity = np.where(HOUR < 1800.0, HOUR, HOUR - 1800.0) / 3600.0          # resets at the step
    echem = _echem(HOUR, np.full(61, 3.5), current_mA=np.ones(61), capacity_mAh=capacity)
    np.testing.assert_allclose(charge_passed_mAh(echem)[-1], 1.0, atol=ATOL)


def test_linear_current_and_discharge_sign():
    # I = -t/3600 mA (discharge): Q(1 h) = -0.5 mAh exactly by the trapezoid rule; Na comes back
    echem = _echem(HOUR, np.full(61, 3.0), current_mA=-HOUR / 3600.0)
    x = sodium_content(echem, active_mass_g=0.010, molar_mass_g_mol=100.0, x0=0.3)
    np.testing.assert_allclose(x[-1], 0.3 + 0.5 * DX_1MAH, atol=ATOL)


def test_electrons_per_na_divides():
    echem = _echem(HOUR, np.full(61, 3.5), current_mA=np.ones(61))
    x = sodium_content(echem, active_mass_g=0.010, molar_mass_g_mol=100.0, x0=0.67, electrons_per_na=2.0)
    np.testing.assert_allclose(x[-1], 0.67 - DX_1MAH / 2.0, atol=ATOL)


def test_sodium_at_scans_uses_voltage_alignment():
    echem = _echem(HOUR, np.full(61, 3.5), current_mA=np.ones(61))
    series = _series([0.0, 1200.0, 2400.0, 3600.0])   # mid-scan 600, 1800, 3000, 4200 s
    x = sodium_at_scans(echem, series, active_mass_g=0.010, molar_mass_g_mol=100.0, x0=0.67)
    np.testing.assert_allclose(x[:3], 0.67 - DX_1MAH * np.array([600, 1800, 3000]) / 3600.0, atol=ATOL)
    assert np.isnan(x[3])
    shifted = sodium_at_scans(echem, series, active_mass_g=0.010, molar_mass_g_mol=100.0, x0=0.67,
                              clock_offset_s=600.0, scan_duration_s=0.0)   # echem times -600, 600, ...
    assert np.isnan(shifted[0])
    np.testing.assert_allclose(shifted[1:], 0.67 - DX_1MAH * np.array([600, 1800, 3000]) / 3600.0, atol=ATOL)


def test_no_current_or_capacity_is_an_input_error():
    with pytest.raises(InputError, match="synthetic.csv: no complete current or capacity"):
        sodium_content(RAMP, active_mass_g=0.01, molar_mass_g_mol=100.0, x0=0.67)


@pytest.mark.parametrize("kwargs", [dict(active_mass_g=0.0), dict(molar_mass_g_mol=-1.0),
                                    dict(electrons_per_na=float("nan"))])
def test_bad_parameters(kwargs):
    echem = _echem(HOUR, np.full(61, 3.5), current_mA=np.ones(61))
    args = {**dict(active_mass_g=0.01, molar_mass_g_mol=100.0, x0=0.67), **kwargs}
    with pytest.raises(InputError, match="must be a positive number"):
        sodium_content(echem, **args)


def test_alignment_note_says_which_basis():
    with_start = _echem(RAMP.time_s, RAMP.voltage_V, start_epoch_s=1_773_568_800.0)
    assert "no absolute time in the scans" in alignment_note(with_start, _series(SCANS))
    assert alignment_note(with_start, _series(SCANS, start_epoch_s=1.0)).startswith("aligned on absolute")
    assert "the scans and the echem file" in alignment_note(RAMP, _series(SCANS))
