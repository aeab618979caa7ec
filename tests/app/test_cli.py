"""The headless command line: ``operando-xrd info`` and its error contract."""

import numpy as np
import pytest

from app.cli import main


def _write_folder(folder, n_scans=4, n_points=301):
    folder.mkdir()
    x = np.linspace(10.0, 40.0, n_points)
    for i in range(n_scans):
        y = 50 + 500 * np.exp(-0.5 * ((x - 20 - 0.1 * i) / 0.1) ** 2)
        np.savetxt(folder / f"scan_{i}.xy", np.c_[x, y], header="Wavelength: 0.7093 A\n2th_deg I")
    return x


def test_info_prints_what_it_found(tmp_path, capsys):
    _write_folder(tmp_path / "series")
    assert main(["info", str(tmp_path / "series")]) == 0
    out = capsys.readouterr().out
    assert "scans:       4" in out
    assert "points:      301" in out
    assert "10.0000 … 40.0000" in out
    assert "0.70930 Å" in out


def test_info_wavelength_option_overrides_file(tmp_path, capsys):
    _write_folder(tmp_path / "series")
    assert main(["info", str(tmp_path / "series"), "--wavelength", "1.5406"]) == 0
    assert "1.54060 Å" in capsys.readouterr().out


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02binary\xff" * 50, b"a b c\nd e f\n"])
def test_info_on_bad_input_exits_nonzero_naming_the_file(tmp_path, capsys, content):
    bad = tmp_path / "broken.xy"
    bad.write_bytes(content)
    assert main(["info", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "broken.xy" in err and "Traceback" not in err


def test_info_on_missing_path(tmp_path, capsys):
    assert main(["info", str(tmp_path / "nope")]) == 2
    assert "nope" in capsys.readouterr().err


def test_figure_writes_png_of_the_preset_size(tmp_path, capsys):
    from PIL import Image

    _write_folder(tmp_path / "series")
    out = tmp_path / "fig.png"
    assert main(["figure", str(tmp_path / "series"), "-o", str(out), "--preset", "rsc-single",
                 "--window", "15:25", "--dpi", "100"]) == 0
    with Image.open(out) as im:
        width_px = im.size[0]
    assert width_px == pytest.approx(8.3 / 2.54 * 100, abs=1)  # RSC single column, 8.3 cm at 100 dpi


def test_figure_with_echem_and_svg_keeps_text(tmp_path):
    _write_folder(tmp_path / "series")
    echem = tmp_path / "echem.csv"
    echem.write_text("time_s,voltage_V\n0,2.5\n100,3.0\n200,3.5\n")
    out = tmp_path / "fig.svg"
    assert main(["figure", str(tmp_path / "series"), "-o", str(out), "--echem", str(echem)]) == 0
    assert "Voltage (V)" in out.read_text()


def test_figure_unknown_format_is_a_clear_error(tmp_path, capsys):
    _write_folder(tmp_path / "series")
    assert main(["figure", str(tmp_path / "series"), "-o", str(tmp_path / "fig.docx")]) == 2
    err = capsys.readouterr().err
    assert "fig.docx" in err and "format" in err and err.count("fig.docx") == 1


def test_fit_writes_peaks_csv_and_h5_that_track_a_known_drift(tmp_path, capsys, drifting_series):
    from analysis.fit_results_io import load_csv, load_hdf5
    from analysis.writers import write_xye_folder

    series, centers = drifting_series  # one Gaussian drifting 14.0 → 14.95° over 20 scans
    write_xye_folder(series, tmp_path / "series")
    out = tmp_path / "out"
    assert main(["fit", str(tmp_path / "series"), "--window", "13:16.5:1", "--model", "gauss",
                 "--workers", "1", "--out", str(out)]) == 0
    csv = load_csv(out / "peaks.csv")
    h5 = load_hdf5(out / "peaks.h5")
    assert csv.equals(h5)
    fitted = csv.center[:, 0]
    err = csv.center_err[:, 0]
    # Poisson noise on ~50 counts of area: each center within 5 standard errors of the truth
    assert np.all(np.abs(fitted - centers) < 5 * err)
    assert np.all(err < 0.01)


@pytest.mark.parametrize("window", ["16:13", "a:b", "13:16:0", "1:2:3:4"])
def test_fit_bad_window_names_the_option(tmp_path, capsys, window):
    _write_folder(tmp_path / "series")
    assert main(["fit", str(tmp_path / "series"), "--window", window, "--out", str(tmp_path / "o")]) == 2
    assert "--window" in capsys.readouterr().err


def test_figure_from_a_project_draws_its_events(tmp_path):
    from analysis.events import Event
    from analysis.project import Project, make_input_ref, save_project

    _write_folder(tmp_path / "series")
    project_path = tmp_path / "run.oxrd"
    events = (Event(1, 2, label="P2 → O2", source="manual"),)
    save_project(project_path, Project(inputs=(make_input_ref(tmp_path / "series", "patterns", project_path),),
                                       settings={"clock_offset_s": 0.0}, events=events))
    out = tmp_path / "fig.svg"
    assert main(["figure", str(project_path), "-o", str(out), "--window", "15:25"]) == 0
    assert "P2 → O2" in out.read_text(encoding="utf-8")


def test_figure_from_a_project_with_a_missing_input_names_it(tmp_path, capsys):
    import shutil

    from analysis.project import Project, make_input_ref, save_project

    _write_folder(tmp_path / "series")
    project_path = tmp_path / "run.oxrd"
    save_project(project_path, Project(inputs=(make_input_ref(tmp_path / "series", "patterns", project_path),)))
    shutil.rmtree(tmp_path / "series")
    assert main(["figure", str(project_path), "-o", str(tmp_path / "f.png")]) == 2
    err = capsys.readouterr().err
    assert "run.oxrd" in err and "series" in err and "not found" in err
