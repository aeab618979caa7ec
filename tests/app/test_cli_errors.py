"""Bad command-line input ends in exit status 2 and one line naming the option or file, never a traceback."""

import pytest

from app.cli import main
from tests.app.test_cli import _write_folder


@pytest.fixture
def series_folder(tmp_path):
    _write_folder(tmp_path / "series")
    return str(tmp_path / "series")


def _one_error_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert "Traceback" not in err and len(err.splitlines()) == 1
    return err


@pytest.mark.parametrize("wavelength", ["0", "-1", "nan"])
def test_non_positive_wavelength_names_the_option(series_folder, capsys, wavelength):
    assert main(["info", series_folder, "--wavelength", wavelength]) == 2
    assert _one_error_line(capsys).startswith("operando-xrd: --wavelength:")


@pytest.mark.parametrize("option", [["--start-scan", "4"], ["--start-scan", "-1"],
                                    ["--kalpha2", "--kalpha2-ratio", "-0.5"]])
def test_fit_option_out_of_range_names_it(series_folder, tmp_path, capsys, option):
    # the series has 4 scans (0..3)
    argv = ["fit", series_folder, "--window", "19:21", "--workers", "1", "--out", str(tmp_path / "o"), *option]
    assert main(argv) == 2
    assert _one_error_line(capsys).startswith(f"operando-xrd: {[o for o in option if o != '--kalpha2'][0]}:")


def test_fit_output_folder_that_is_a_file_is_a_clear_error(series_folder, tmp_path, capsys):
    out = tmp_path / "taken"
    out.write_text("")
    argv = ["fit", series_folder, "--window", "19:21", "--workers", "1", "--out", str(out)]
    assert main(argv) == 2
    assert _one_error_line(capsys) == f"operando-xrd: {out}: File exists"


def test_figure_into_a_missing_folder_names_the_file(series_folder, tmp_path, capsys):
    out = tmp_path / "nowhere" / "fig.png"
    assert main(["figure", series_folder, "-o", str(out)]) == 2
    assert _one_error_line(capsys).startswith(f"operando-xrd: {out}:")


@pytest.mark.parametrize("content", ["", "not json", '[{"label": "x"}]'])
def test_figure_with_a_bad_events_file_names_it(series_folder, tmp_path, capsys, content):
    events = tmp_path / "events.json"
    events.write_text(content)
    assert main(["figure", series_folder, "-o", str(tmp_path / "f.png"), "--events", str(events)]) == 2
    assert _one_error_line(capsys).startswith(f"operando-xrd: {events}: not an events JSON file")


def test_figure_from_a_project_rejects_a_negative_wavelength(series_folder, tmp_path, capsys):
    from analysis.project import Project, make_input_ref, save_project

    project_path = tmp_path / "run.oxrd"
    save_project(project_path, Project(inputs=(make_input_ref(series_folder, "patterns", project_path),)))
    argv = ["figure", str(project_path), "-o", str(tmp_path / "f.png"), "--wavelength", "-1.5"]
    assert main(argv) == 2
    assert _one_error_line(capsys).startswith("operando-xrd: --wavelength:")
