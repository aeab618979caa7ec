"""Unit cells, d-spacings and the reflection conditions of the space groups the phase library uses.

All lengths in Å, angles in degrees. Hexagonal and rhombohedral phases use hexagonal axes
(a = b, γ = 120°, three-index hkl; the four-index (h k i l) drops i = −h−k). d-spacings come from
the full reciprocal metric tensor, so every crystal system down to triclinic is handled alike.
"""

from __future__ import annotations

from dataclasses import astuple, dataclass
from typing import Callable

import numpy as np

from . import axis as ax

CELL_PARAMETERS = ("a", "b", "c", "alpha", "beta", "gamma")


@dataclass(frozen=True)
class Cell:
    """A unit cell: lengths a, b, c in Å and angles alpha, beta, gamma in degrees."""

    a: float
    b: float
    c: float
    alpha: float = 90.0
    beta: float = 90.0
    gamma: float = 90.0

    @classmethod
    def cubic(cls, a: float) -> "Cell":
        return cls(a, a, a)

    @classmethod
    def hexagonal(cls, a: float, c: float) -> "Cell":
        """Hexagonal axes (also for rhombohedral R-3m / R3m phases, obverse setting)."""
        return cls(a, a, c, 90.0, 90.0, 120.0)

    def as_tuple(self) -> tuple[float, float, float, float, float, float]:
        return tuple(float(v) for v in astuple(self))

    def metric(self) -> np.ndarray:
        """(3, 3) direct metric tensor G in Å² (G_ij = a_i · a_j)."""
        a, b, c = self.a, self.b, self.c
        ca, cb, cg = (np.cos(np.radians(v)) for v in (self.alpha, self.beta, self.gamma))
        return np.array([[a * a, a * b * cg, a * c * cb],
                         [a * b * cg, b * b, b * c * ca],
                         [a * c * cb, b * c * ca, c * c]])

    @property
    def volume_A3(self) -> float:
        """Cell volume in Å³ (sqrt of det G)."""
        det = float(np.linalg.det(self.metric()))
        if not det > 0:
            raise ValueError(f"cell {self} is not a valid parallelepiped")
        return float(np.sqrt(det))


def d_spacing(cell: Cell, hkl) -> np.ndarray:
    """d in Å for Miller indices ``hkl`` of shape (3,) or (n, 3): 1/d² = hᵀ G* h with G* = G⁻¹.

    (000) gives ``inf``.
    """
    h = np.asarray(hkl, dtype=float)
    g_star = np.linalg.inv(cell.metric())
    inv_d2 = np.einsum("...i,ij,...j->...", h, g_star, h)
    with np.errstate(divide="ignore"):
        return 1.0 / np.sqrt(inv_d2)


def two_theta_deg(d_A, wavelength_A: float) -> np.ndarray:
    """Bragg angle 2θ in degrees for d in Å (NaN where λ/2d > 1); see :mod:`analysis.axis`."""
    return ax.d_to_two_theta(d_A, wavelength_A)


def _even(n):
    return n % 2 == 0


def _hexagonal_hhl_even_l(h, k, l):
    # Class hh(−2h)l, in three-index form (h,h,l), (h,−2h,l), (−2h,h,l), which includes 00l: l = 2n.
    special = (h == k) | (k == -2 * h) | (h == -2 * k)
    return ~special | _even(l)


def _rhombohedral_obverse(h, k, l):
    return (-h + k + l) % 3 == 0


def _c_centred(h, k, l):
    return _even(h + k)


def _cmcm(h, k, l):
    # hkl: h+k = 2n; h0l: h, l = 2n (h even already follows from h+k with k = 0).
    return _even(h + k) & ((k != 0) | _even(l))


def _pbam(h, k, l):
    # 0kl: k = 2n; h0l: h = 2n (so h00: h = 2n and 0k0: k = 2n).
    return ((h != 0) | _even(k)) & ((k != 0) | _even(h))


def _face_centred(h, k, l):
    return _even(h + k) & _even(h + l) & _even(k + l)


def _body_centred(h, k, l):
    return _even(h + k + l)


def _fd3m(h, k, l):
    # F-centring, and 0kl (any index zero): the other two sum to 4n (covers h00: h = 4n).
    zero_rule = np.ones(np.shape(h), dtype=bool)
    for p, q, r in ((h, k, l), (k, h, l), (l, h, k)):
        zero_rule &= (p != 0) | ((q + r) % 4 == 0)
    return _face_centred(h, k, l) & zero_rule


def _primitive(h, k, l):
    return np.ones(np.shape(h), dtype=bool)


@dataclass(frozen=True)
class SpaceGroup:
    """What the library needs of a space group: number, symbol, crystal system, extinction rule."""

    number: int
    symbol: str
    system: str
    rule: Callable

    def allowed(self, hkl) -> np.ndarray:
        """Boolean mask over (n, 3) integer ``hkl`` (or one (3,) triple) of the general conditions."""
        h = np.asarray(hkl, dtype=int)
        return np.asarray(self.rule(h[..., 0], h[..., 1], h[..., 2]), dtype=bool)


def space_groups() -> dict[int, SpaceGroup]:
    """The space groups with known reflection conditions (general positions, standard settings)."""
    table = [
        SpaceGroup(1, "P1", "triclinic", _primitive),
        SpaceGroup(8, "Cm", "monoclinic", _c_centred),
        SpaceGroup(12, "C2/m", "monoclinic", _c_centred),
        SpaceGroup(55, "Pbam", "orthorhombic", _pbam),
        SpaceGroup(63, "Cmcm", "orthorhombic", _cmcm),
        SpaceGroup(160, "R3m", "hexagonal", _rhombohedral_obverse),
        SpaceGroup(164, "P-3m1", "hexagonal", _primitive),
        SpaceGroup(166, "R-3m", "hexagonal", _rhombohedral_obverse),
        SpaceGroup(186, "P6_3mc", "hexagonal", _hexagonal_hhl_even_l),
        SpaceGroup(187, "P-6m2", "hexagonal", _primitive),
        SpaceGroup(191, "P6/mmm", "hexagonal", _primitive),
        SpaceGroup(194, "P6_3/mmc", "hexagonal", _hexagonal_hhl_even_l),
        SpaceGroup(221, "Pm-3m", "cubic", _primitive),
        SpaceGroup(225, "Fm-3m", "cubic", _face_centred),
        SpaceGroup(227, "Fd-3m", "cubic", _fd3m),
        SpaceGroup(229, "Im-3m", "cubic", _body_centred),
    ]
    return {sg.number: sg for sg in table}


def space_group(number: int) -> SpaceGroup:
    """The :class:`SpaceGroup` for an International Tables number; ValueError if not tabulated."""
    groups = space_groups()
    if int(number) not in groups:
        raise ValueError(f"space group {number} has no reflection conditions here; "
                         f"known: {sorted(groups)}")
    return groups[int(number)]


def is_allowed(space_group_number: int, hkl) -> np.ndarray:
    """Whether each of ``hkl`` ((n, 3) or (3,)) satisfies the general reflection conditions."""
    return space_group(space_group_number).allowed(hkl)


def _index_box(cell: Cell, d_min_A: float) -> np.ndarray:
    """Every non-zero (h, k, l) that can have d ≥ d_min_A: h_i = a_i · d*, so |h_i| ≤ |a_i| / d_min."""
    limits = np.ceil(np.sqrt(np.diag(cell.metric())) / d_min_A).astype(int)
    ranges = [np.arange(-n, n + 1) for n in limits]
    grid = np.stack(np.meshgrid(*ranges, indexing="ij"), axis=-1).reshape(-1, 3)
    return grid[np.any(grid != 0, axis=1)]


def _representative(group: np.ndarray) -> np.ndarray:
    """One readable hkl among symmetry-equivalent rows: most non-negative indices, then largest."""
    nonneg = (group >= 0).sum(axis=1)
    best = group[nonneg == nonneg.max()]
    order = np.lexsort((best[:, 2], best[:, 1], best[:, 0]))
    return best[order[-1]]


def allowed_reflections(cell: Cell, space_group_number: int, d_min_A: float,
                        d_max_A: float = np.inf) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Powder reflections of a cell and space group with d_min_A ≤ d ≤ d_max_A.

    Reflections with the same d (to 1e-6 relative) are merged, which groups the symmetry-equivalent
    ones and also accidental overlaps such as cubic (333)/(511).

    Returns (hkl (n, 3) int, d_A (n,), multiplicity (n,) int), sorted by decreasing d.
    """
    if not d_min_A > 0:
        raise ValueError("d_min_A must be positive")
    hkl = _index_box(cell, d_min_A)
    hkl = hkl[is_allowed(space_group_number, hkl)]
    d = d_spacing(cell, hkl)
    keep = (d >= d_min_A * (1 - 1e-9)) & (d <= d_max_A)
    hkl, d = hkl[keep], d[keep]
    key = np.round(np.log(d) * 1e6).astype(np.int64)
    uniq, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    reps = np.array([_representative(hkl[inverse == i]) for i in range(uniq.size)]).reshape(-1, 3)
    d_uniq = d_spacing(cell, reps)
    order = np.argsort(-d_uniq, kind="stable")
    return reps[order], d_uniq[order], counts[order]


def four_to_three_index(hkil) -> np.ndarray:
    """(h k i l) Miller–Bravais indices → (h k l); rows must satisfy i = −h−k."""
    h = np.asarray(hkil, dtype=int)
    if np.any(h[..., 2] != -(h[..., 0] + h[..., 1])):
        raise ValueError("Miller–Bravais indices need i = -(h + k)")
    return h[..., [0, 1, 3]]
