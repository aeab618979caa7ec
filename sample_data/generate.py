"""Regenerate the bundled sample series (see README.md in this folder).

Run from the repository root:  python sample_data/generate.py [--out FOLDER]

Everything is deterministic (fixed seed, fixed start time): running it twice gives identical arrays.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np

from analysis.crystallography import Cell
from analysis.simulation import SimulatedSeries, simulate
from analysis.simulation_scenarios import get_scenario
from analysis.writers import sigma_decimals, write_nexus, write_xye_folder

STEM = "p2o3_operando"
SETTINGS = dict(wavelength_A=1.5406, two_theta_range=(10.0, 80.0), step_deg=0.02, n_scans=100, kalpha2=True,
                noise_counts=2500.0, background_ratio=0.08, seed=20260302, scan_time_s=900.0, time_jitter=0.02,
                charge_capacity_mAh=1.2, echem_interval_s=30.0, start_iso="2026-03-02T09:00:00+00:00")


def _json_default(obj):
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def write_echem_csv(result: SimulatedSeries, path: Path) -> None:
    e = result.echem
    table = np.column_stack([e.time_s, e.voltage_V, e.current_mA, e.capacity_mAh])
    np.savetxt(path, table, fmt=["%.0f", "%.4f", "%.5f", "%.5f"], delimiter=",",
               header="time_s,voltage_V,current_mA,capacity_mAh", comments="")


def write_truth_csv(result: SimulatedSeries, path: Path) -> None:
    """One row per scan and cathode phase; cell columns are empty where the phase is absent."""
    tr = result.truth
    with open(path, "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["scan", "time_s", "voltage_V", "regime", "phase", "fraction", "a_A", "c_A", "volume_A3"])
        for i in range(tr.fractions.shape[0]):
            for j, phase in enumerate(tr.phases):
                f = tr.fractions[i, j]
                cell = Cell(*tr.cells[i, j])
                geometry = [f"{cell.a:.5f}", f"{cell.c:.5f}", f"{cell.volume_A3:.4f}"] if f > 0 else ["", "", ""]
                out.writerow([i, f"{tr.time_s[i]:.0f}", f"{tr.voltage_V[i]:.4f}", tr.regime[i], phase,
                              f"{f:.6f}", *geometry])


def truth_document(result: SimulatedSeries) -> dict:
    tr = result.truth
    return {"sequence": tr.sequence, "phases": list(tr.phases),
            "events": [e.to_dict() for e in tr.events],
            "regime_per_scan": list(tr.regime),
            "mid_time_s": tr.mid_time_s, "state_of_charge": tr.state_of_charge,
            "parameters": tr.parameters,
            "notes": ["event scans are 0-based and inclusive (scan .. end_scan)",
                      "time_s in the CSV is the scan start; voltage, fractions and cells are at mid-scan",
                      "fractions are weight fractions, used directly as intensity weights (no LP factor)"]}


def generate(out: Path) -> SimulatedSeries:
    result = simulate(get_scenario("p2o3_op4"), **SETTINGS)
    # σ rounded as the .xye files print it, so both forms load to identical arrays (and the HDF5
    # compresses three times better)
    sigma = result.series.sigma
    series = replace(result.series, sigma=np.round(sigma, sigma_decimals(sigma)))
    out.mkdir(parents=True, exist_ok=True)
    folder = out / f"{STEM}_xye"
    if folder.exists():
        shutil.rmtree(folder)
    write_xye_folder(series, folder, stem="scan")
    write_nexus(series, out / f"{STEM}.nxs", dtype="float32",
                extra={"sequence": result.truth.sequence, "simulation": result.truth.parameters["settings"]})
    write_echem_csv(result, out / f"{STEM}_echem.csv")
    write_truth_csv(result, out / f"{STEM}_truth.csv")
    doc = truth_document(result)
    doc["settings"] = SETTINGS
    (out / f"{STEM}_truth.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False, default=_json_default)
                                            + "\n", encoding="utf-8")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    result = generate(args.out)
    s = result.series
    print(f"{s.n_scans} scans x {s.n_points} points written to {args.out}; sequence {result.truth.sequence}")
    for e in result.truth.events:
        print(f"  scans {e.scan:3d}-{e.end_scan:3d}: {e.display_label} ({e.kind})")


if __name__ == "__main__":
    main()
