import numpy as np
import pytest

from analysis.series import ScanSeries, common_grid, stack_on_common_grid


def _series(**kw):
    base = dict(x=np.linspace(10, 20, 11), intensity=np.ones((3, 11)), time_s=[0.0, 60.0, 120.0])
    base.update(kw)
    return ScanSeries(**base)


def test_series_is_immutable():
    s = _series()
    with pytest.raises(ValueError):
        s.intensity[0, 0] = 5.0
    with pytest.raises(AttributeError):
        s.wavelength_A = 1.0


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="does not match"):
        _series(intensity=np.ones((3, 10)))
    with pytest.raises(ValueError, match="time_s"):
        _series(time_s=[0.0, 1.0])


def test_axis_as_q_uses_wavelength():
    s = _series(wavelength_A=1.5406)
    q = s.axis_as("q_inv_A")
    assert q[0] == pytest.approx(4 * np.pi * np.sin(np.radians(5.0)) / 1.5406)


def test_subset_keeps_rows_and_sources():
    s = _series(intensity=np.arange(33.0).reshape(3, 11), source=("a", "b", "c"))
    sub = s.subset([0, 2])
    assert sub.n_scans == 2 and sub.source == ("a", "c")
    np.testing.assert_array_equal(sub.intensity[1], np.arange(22.0, 33.0))


def test_identical_axes_are_not_interpolated():
    x = np.linspace(10, 20, 101)
    grid, stack, interpolated = stack_on_common_grid([x, x.copy()], [x, 2 * x])
    assert not interpolated and grid is x
    np.testing.assert_array_equal(stack[1], 2 * x)


def test_different_axes_share_the_overlap_at_the_finest_step():
    a = np.linspace(10, 20, 101)       # step 0.1
    b = np.linspace(10.5, 21, 211)     # step 0.05
    grid, differ = common_grid([a, b])
    assert differ
    assert grid[0] == pytest.approx(10.5) and grid[-1] == pytest.approx(20.0)
    assert np.diff(grid) == pytest.approx(np.full(grid.size - 1, 0.05))
    # a linear pattern is interpolated exactly
    _, stack, _ = stack_on_common_grid([a, b], [3 * a + 1, 3 * b + 1])
    np.testing.assert_allclose(stack, np.vstack([3 * grid + 1] * 2), atol=1e-12)


def test_disjoint_axes_raise():
    with pytest.raises(ValueError, match="overlap"):
        common_grid([np.linspace(0, 1, 5), np.linspace(2, 3, 5)])
