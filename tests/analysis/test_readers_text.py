"""Round trips through every text reader: write with plain Python, read back, compare to printed digits."""

from __future__ import annotations

import numpy as np
import pytest

from analysis import axis as ax
from analysis.readers import load_series, read_pattern

X_DEG = np.linspace(10.0, 20.0, 51)
Y = 100.0 + 50.0 * np.exp(-0.5 * ((X_DEG - 15.0) / 0.3) ** 2)
SIGMA = np.sqrt(Y)
# Files are written with 4 decimals for x and 3 for y/sigma: round-trip tolerance is half a unit
# in the last printed digit.
X_TOL, Y_TOL = 0.5e-4, 0.5e-3


def _rows(x, *cols, fmt="{:.4f}", sep=" ", yfmt="{:.3f}"):
    lines = []
    for i in range(len(x)):
        fields = [fmt.format(x[i])] + [yfmt.format(c[i]) for c in cols]
        lines.append(sep.join(fields))
    return "\n".join(lines) + "\n"


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def _check(x, y, sigma, want_sigma=True, x_expected=X_DEG):
    np.testing.assert_allclose(x, x_expected, rtol=0, atol=X_TOL)
    np.testing.assert_allclose(y, Y, rtol=0, atol=Y_TOL)
    if want_sigma:
        np.testing.assert_allclose(sigma, SIGMA, rtol=0, atol=Y_TOL)
    else:
        assert sigma is None


@pytest.mark.parametrize("comment", ["#", "'", "!", ";"])
def test_xye_with_each_comment_char(tmp_path, comment):
    text = f"{comment} written by a test\n{comment} 2theta intensity esd\n" + _rows(X_DEG, Y, SIGMA)
    x, y, sigma, meta = read_pattern(_write(tmp_path / "a.xye", text))
    _check(x, y, sigma)
    assert meta["x_kind"] == ax.TWO_THETA


@pytest.mark.parametrize("name,sep", [("a.xy", " "), ("a.dat", "\t"), ("a.txt", "   "), ("a.csv", ","),
                                      ("b.csv", ", "), ("c.csv", ";")])
def test_two_column_separators(tmp_path, name, sep):
    x, y, sigma, meta = read_pattern(_write(tmp_path / name, _rows(X_DEG, Y, sep=sep)))
    _check(x, y, sigma, want_sigma=False)


def test_csv_with_bare_column_names(tmp_path):
    x, y, sigma, _ = read_pattern(_write(tmp_path / "p.csv", "two_theta,intensity\n" + _rows(X_DEG, Y, sep=",")))
    _check(x, y, sigma, want_sigma=False)


def test_decimal_comma_semicolon(tmp_path):
    text = _rows(X_DEG, Y, SIGMA, sep=";").replace(".", ",")
    assert "15,0000;" in text  # the file really uses decimal commas
    x, y, sigma, meta = read_pattern(_write(tmp_path / "dc.csv", text))
    _check(x, y, sigma)
    assert any("decimal commas" in n for n in meta["notes"])


def test_decimal_comma_whitespace(tmp_path):
    text = "# 2th I\n" + _rows(X_DEG, Y, sep="\t").replace(".", ",")
    x, y, sigma, _ = read_pattern(_write(tmp_path / "dc.txt", text))
    _check(x, y, sigma, want_sigma=False)


def test_example_line_from_issue(tmp_path):
    x, y, _, _ = read_pattern(_write(tmp_path / "e.csv", "15,88;123,4\n15,90;124,5\n"))
    np.testing.assert_allclose(x, [15.88, 15.90])
    np.testing.assert_allclose(y, [123.4, 124.5])


def test_chi_fit2d_header(tmp_path):
    text = f"scan_0001.tif\n2-Theta Angle (Degrees)\nIntensity\n{X_DEG.size:8d}\n" + _rows(X_DEG, Y)
    x, y, sigma, meta = read_pattern(_write(tmp_path / "a.chi", text))
    _check(x, y, sigma, want_sigma=False)
    assert meta["format"] == "chi" and meta["x_kind"] == ax.TWO_THETA


def test_chi_q_in_inverse_nm(tmp_path):
    q_nm = np.linspace(10.0, 30.0, 51)
    text = f"image.tif\nQ (1/nm)\n\n{q_nm.size}\n" + _rows(q_nm, Y)
    x, y, _, meta = read_pattern(_write(tmp_path / "q.chi", text))
    assert meta["x_kind"] == ax.Q
    # 1/nm -> 1/Å is a factor 0.1 (exact), printed digits 0.5e-4 scale by 0.1 too
    np.testing.assert_allclose(x, q_nm * 0.1, rtol=0, atol=0.1 * X_TOL)


@pytest.mark.parametrize("binning,scale,kind", [("CONS", 100.0, ax.TWO_THETA), ("CONQ", 1.0, ax.Q)])
def test_gsas_fxye(tmp_path, binning, scale, kind):
    raw_x = X_DEG * scale
    text = (f"Sample title\n# comment\nBANK 1 {X_DEG.size} {X_DEG.size} {binning} {raw_x[0]:.4f} "
            f"{raw_x[1] - raw_x[0]:.4f} 0 0 FXYE\n") + _rows(raw_x, Y, SIGMA, fmt="{:.6f}")
    x, y, sigma, meta = read_pattern(_write(tmp_path / "a.fxye", text))
    assert meta["x_kind"] == kind and meta["format"] == "gsas"
    _check(x, y, sigma)


def test_pyfai_json_header_with_broken_column_line(tmp_path):
    header = ("# == pyFAI calibration ==\n# {\n#   \"dist\": 0.1,\n#   \"wavelength\": 1.5406e-10,\n"
              "#   \"detector\": \"Pilatus1M\"\n# }\n# Date: 2026-03-01 12:00:00\n"
              "#{str(dim1_unit):14s} I              sigma\n")
    x, y, sigma, meta = read_pattern(_write(tmp_path / "p.xy", header + _rows(X_DEG, Y, SIGMA)))
    _check(x, y, sigma)
    assert meta["wavelength_A"] == pytest.approx(1.5406, abs=1e-12)
    assert meta["x_kind"] == ax.TWO_THETA
    assert meta["start_epoch_s"] == pytest.approx(1772366400.0)  # 2026-03-01T12:00:00Z, by hand


@pytest.mark.parametrize("line,expected_A", [("# Wavelength: 1.5406e-10 m", 1.5406), ("# Wavelength: 1.5406 A", 1.5406),
                                             ("# wavelength = 0.7093 Å", 0.7093), ("# Wavelength: 0.05 nm", 0.5),
                                             ("# Energy: 30 keV", 12.398419843 / 30)])
def test_wavelength_styles(tmp_path, line, expected_A):
    _, _, _, meta = read_pattern(_write(tmp_path / "w.xy", line + "\n" + _rows(X_DEG, Y)))
    assert meta["wavelength_A"] == pytest.approx(expected_A, rel=1e-12)


@pytest.mark.parametrize("column,kind,scale", [("q_A^-1", ax.Q, 1.0), ("q_nm^-1", ax.Q, 0.1), ("d_A", ax.D, 1.0),
                                               ("2th_deg", ax.TWO_THETA, 1.0)])
def test_dioptas_column_units(tmp_path, column, kind, scale):
    header = "# Wavelength: 1.5406e-10 m\n# Distance Sample-Detector: 0.2 m\n" + f"# {column:<14s}\t I\n"
    values = np.linspace(1.0, 5.0, 51)
    x, y, _, meta = read_pattern(_write(tmp_path / "d.xy", header + _rows(values, Y)))
    assert meta["x_kind"] == kind
    np.testing.assert_allclose(x, values * scale, rtol=0, atol=X_TOL * scale)


def test_decreasing_d_axis_is_reversed_with_note(tmp_path):
    d = np.linspace(5.0, 1.0, 51)
    x, y, _, meta = read_pattern(_write(tmp_path / "d.xy", "# d_A I\n" + _rows(d, Y)))
    np.testing.assert_allclose(x, d[::-1], rtol=0, atol=X_TOL)
    np.testing.assert_allclose(y, Y[::-1], rtol=0, atol=Y_TOL)
    assert any("reversed" in n for n in meta["notes"])


@pytest.mark.parametrize("line,epoch", [("# start_time: 2026-03-01T12:00:00+00:00", 1772366400.0),
                                        ("# epoch: 1.7e9", 1.7e9), ("# time: 2026-03-01 13:00:00", 1772370000.0)])
def test_header_timestamps(tmp_path, line, epoch):
    _, _, _, meta = read_pattern(_write(tmp_path / "t.xy", line + "\n" + _rows(X_DEG, Y)))
    assert meta["start_epoch_s"] == pytest.approx(epoch)


def test_single_file_series(tmp_path):
    path = _write(tmp_path / "one.xye", "# Wavelength: 0.5 A\n" + _rows(X_DEG, Y, SIGMA))
    series = load_series(path)
    assert series.n_scans == 1 and series.wavelength_A == 0.5
    np.testing.assert_allclose(series.intensity[0], Y, rtol=0, atol=Y_TOL)
    np.testing.assert_allclose(series.sigma[0], SIGMA, rtol=0, atol=Y_TOL)


def test_full_pyfai_default_writer_header_is_not_mistaken_for_echem(tmp_path):
    header = ("# == pyFAI calibration ==\n# Distance Sample to Detector: 0.1 m\n# PONI: 1.000e-01, 1.000e-01 m\n"
              "# Rotations: 0.000000 0.000000 0.000000 rad\n#\n# == Fit2d calibration ==\n"
              "# Tilt: 0.000 deg  TiltPlanRot: 0.000 deg\n#\n# Wavelength: 7.293e-11 m\n# Mask applied: False\n"
              "# Dark current applied: False\n# Flat field applied: False\n# Polarization factor: None\n"
              "# Normalization factor: 1.0\n#\n# 2th_deg             I\n")
    x, y, sigma, meta = read_pattern(_write(tmp_path / "dioptas.xy", header + _rows(X_DEG, Y)))
    _check(x, y, sigma, want_sigma=False)
    assert meta["wavelength_A"] == pytest.approx(0.7293, rel=1e-12)


def test_utf16_text_export(tmp_path):
    path = tmp_path / "windows.txt"
    path.write_bytes(("# 2theta I\r\n" + _rows(X_DEG, Y).replace("\n", "\r\n")).encode("utf-16"))
    x, y, sigma, _ = read_pattern(path)
    _check(x, y, sigma, want_sigma=False)


def test_latin1_header(tmp_path):
    path = tmp_path / "latin.xy"
    path.write_bytes(("# 2θ (°) Intensität, λ = 1.5406 Å\n".encode("latin-1", "replace") + _rows(X_DEG, Y).encode()))
    x, y, sigma, _ = read_pattern(path)
    _check(x, y, sigma, want_sigma=False)


def test_line_endings(tmp_path):
    for name, newline in (("crlf.xy", "\r\n"), ("cr.xy", "\r")):
        path = tmp_path / name
        path.write_bytes(("# 2th I" + newline + _rows(X_DEG, Y).replace("\n", newline)).encode())
        x, y, sigma, _ = read_pattern(path)
        _check(x, y, sigma, want_sigma=False)


def test_trailing_text_footer_is_ignored_with_note(tmp_path):
    x, y, sigma, meta = read_pattern(_write(tmp_path / "footer.xy", _rows(X_DEG, Y) + "END\n\n"))
    _check(x, y, sigma, want_sigma=False)
    assert "ignored 1 text line(s) after the data" in meta["notes"]
