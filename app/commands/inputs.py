"""Loading what a subcommand was given: a series (file, folder, files) and optional echem."""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from analysis.errors import InputError
from analysis.series import ScanSeries


def load_input_series(paths: Sequence[str], wavelength_A: Optional[float] = None) -> ScanSeries:
    """The series at ``paths`` (one path or several files), with the wavelength overridden if given.

    Raises InputError for a wavelength that is not a positive finite number of Å."""
    from analysis.readers import load_series

    check_wavelength(wavelength_A)
    series = load_series(paths[0] if len(paths) == 1 else list(paths))
    return series.with_wavelength(wavelength_A) if wavelength_A else series


def check_wavelength(wavelength_A: Optional[float]) -> None:
    """Raise InputError unless ``wavelength_A`` is None or a positive finite number of Å."""
    if wavelength_A is not None and not (np.isfinite(wavelength_A) and wavelength_A > 0):
        raise InputError("--wavelength", f"{wavelength_A} is not a positive wavelength in Å")


def load_voltage(echem_path: Optional[str], series: ScanSeries, clock_offset_s: float = 0.0
                 ) -> Optional[np.ndarray]:
    """Per-scan voltage (n_scans,) aligned at mid-scan, or None when no echem file is given."""
    if not echem_path:
        return None
    from analysis.echem import load_echem, voltage_at_scans

    return voltage_at_scans(load_echem(echem_path), series, clock_offset_s=clock_offset_s)
