"""Ready scenarios for :func:`analysis.simulation.simulate`: the in situ XRD sequences of the
review's Table 1 (Chem. Sci. 2025, 16, 22852), a P2 → Z intergrowth and a plain P2 solid solution.

Voltages are typical values for analogous compositions (PHASES.md §4, [L]), not the table's
measurements; fractions and cell paths are plausible choices, not refinements. The cell paths
follow PHASES.md §3: P-type c grows and a shrinks on charge, O-type stacking collapses the
interlayer, the tunnel and spinel frameworks barely move.
"""

from __future__ import annotations

from typing import Callable

from .simulation import Scenario, Segment, regime, solid_solution, two_phase


def be_window() -> dict:
    """Reflection geometry through a (textured) Be window with a little BeO, on an Al collector."""
    return {"Be": (0.5, True), "BeO": (0.03, False), "Al": (0.25, False)}


def p2_nnm_path() -> dict:
    """P2-Na2/3Ni1/3Mn2/3O2 on charge: a 2.885 → 2.850 Å, c 11.15 → 11.35 Å (PHASES.md §3)."""
    return {"a": ((0.0, 2.885), (1.0, 2.850)), "c": ((0.0, 11.15), (1.0, 11.35))}


def p2o3_op4() -> Scenario:
    """Na0.85Ni0.34Mn0.33Ti0.33O2 (P2/O3, 2.2–4.4 V): P2/O3 → P2/P3 → OP4 → P2/P3 → P2/O3."""
    a, b = {"P2": 0.6, "O3": 0.4}, {"P2": 0.6, "P3": 0.4}
    charge = (regime("P2/O3", a, 0.22, 2.70, 3.30), two_phase("P2/P3", b, 0.12, 3.30, 3.45),
              regime("P2/P3", b, 0.38, 3.45, 4.10), two_phase("OP4", {"OP4": 1.0}, 0.20, 4.10, 4.25),
              regime("OP4", {"OP4": 1.0}, 0.08, 4.25, 4.40))
    discharge = (regime("OP4", {"OP4": 1.0}, 0.06, 4.35, 4.15), two_phase("P2/P3", b, 0.22, 4.05, 3.90),
                 regime("P2/P3", b, 0.36, 3.90, 3.25), two_phase("P2/O3", a, 0.12, 3.20, 3.05),
                 regime("P2/O3", a, 0.24, 3.00, 2.20))
    paths = {"P2": p2_nnm_path(),
             "O3": {"a": ((0.0, 2.960), (0.3, 2.945)), "c": ((0.0, 15.90), (0.3, 16.00))},
             "P3": {"a": ((0.2, 2.890), (0.8, 2.860)), "c": ((0.2, 16.80), (0.8, 17.00))},
             "OP4": {"a": ((0.7, 2.850), (1.0, 2.840)), "c": ((0.7, 20.00), (1.0, 19.80))}}
    return Scenario("p2o3_op4", p2o3_op4.__doc__, (Segment("charge", charge), Segment("discharge", discharge, 0.95)),
                    paths, be_window())


def p2p3_op4() -> Scenario:
    """Na0.44Mn0.7Co0.3O2 (P2/P3, 1.5–4.3 V): P2/P3 → OP4 → P2/P3."""
    b = {"P2": 0.7, "P3": 0.3}
    charge = (regime("P2/P3", b, 0.75, 2.60, 4.05), two_phase("OP4", {"OP4": 1.0}, 0.18, 4.05, 4.20),
              regime("OP4", {"OP4": 1.0}, 0.07, 4.20, 4.30))
    discharge = (regime("OP4", {"OP4": 1.0}, 0.05, 4.25, 4.10), two_phase("P2/P3", b, 0.15, 4.00, 3.85),
                 regime("P2/P3", b, 0.80, 3.85, 1.50))
    paths = {"P2": {"a": ((-0.3, 2.900), (1.0, 2.845)), "c": ((-0.3, 11.05), (1.0, 11.35))},
             "P3": {"a": ((-0.3, 2.900), (1.0, 2.855)), "c": ((-0.3, 16.65), (1.0, 17.00))},
             "OP4": {"c": ((0.75, 20.10), (1.0, 19.80))}}
    return Scenario("p2p3_op4", p2p3_op4.__doc__, (Segment("charge", charge), Segment("discharge", discharge, 1.3)),
                    paths, be_window())


def p2t_op4() -> Scenario:
    """Na0.6MnO2 (P2/T, 2.0–4.0 V): P2/T → OP4/T → P2/T; the tunnel peaks stay (≲0.2° shifts)."""
    a, z = {"P2": 0.75, "tunnel": 0.25}, {"OP4": 0.75, "tunnel": 0.25}
    charge = (regime("P2/T", a, 0.70, 2.70, 3.85), solid_solution("OP4/T", z, 0.22, 3.85, 3.97),
              regime("OP4/T", z, 0.08, 3.97, 4.00))
    discharge = (regime("OP4/T", z, 0.06, 3.95, 3.80), solid_solution("P2/T", a, 0.20, 3.80, 3.60),
                 regime("P2/T", a, 0.74, 3.60, 2.00))
    paths = {"P2": {"a": ((-0.1, 2.880), (1.0, 2.845)), "c": ((-0.1, 11.10), (1.0, 11.30))},
             "tunnel": {"b": ((0.0, 26.289), (1.0, 26.150)), "a": ((0.0, 9.084), (1.0, 9.060))},
             "OP4": {"c": ((0.7, 20.30), (1.0, 19.90))}}
    return Scenario("p2t_op4", p2t_op4.__doc__, (Segment("charge", charge), Segment("discharge", discharge, 1.1)),
                    paths, be_window())


def o3p2_oprime3() -> Scenario:
    """NaNi0.5Mn0.5O2 @ Na2/3MnO2 (O3/P2, 2.0–4.0 V): O3/P2 → O'3/P2 → P3/P2 → O'3/P2 → O3/P2."""
    o3, om, p3 = {"O3": 0.9, "P2": 0.1}, {"O'3": 0.9, "P2": 0.1}, {"P3": 0.9, "P2": 0.1}
    charge = (regime("O3/P2", o3, 0.10, 2.60, 2.90), two_phase("O'3/P2", om, 0.15, 2.90, 3.00),
              regime("O'3/P2", om, 0.10, 3.00, 3.10), two_phase("P3/P2", p3, 0.25, 3.10, 3.20),
              regime("P3/P2", p3, 0.40, 3.20, 4.00))
    discharge = (regime("P3/P2", p3, 0.35, 3.90, 3.10), two_phase("O'3/P2", om, 0.20, 3.05, 2.95),
                 regime("O'3/P2", om, 0.10, 2.95, 2.85), two_phase("O3/P2", o3, 0.15, 2.80, 2.70),
                 regime("O3/P2", o3, 0.20, 2.70, 2.00))
    paths = {"P2": {"a": ((0.0, 2.870), (1.0, 2.845)), "c": ((0.0, 11.17), (1.0, 11.30))},
             "O3": {"a": ((0.0, 2.960), (0.3, 2.950)), "c": ((0.0, 15.90), (0.3, 15.98))},
             "O'3": {"a": ((0.1, 5.16), (0.4, 5.14)), "b": ((0.1, 2.925), (0.4, 2.915)),
                     "c": ((0.1, 5.58), (0.4, 5.62)), "beta": ((0.1, 108.3), (0.4, 108.6))},
             "P3": {"a": ((0.3, 2.900), (1.0, 2.860)), "c": ((0.3, 16.85), (1.0, 17.15))}}
    return Scenario("o3p2_oprime3", o3p2_oprime3.__doc__,
                    (Segment("charge", charge), Segment("discharge", discharge, 0.95)), paths, be_window())


def p2s_pprime2() -> Scenario:
    """Na0.44Mn0.8Mg0.2O2 (P2/S, 2.0–4.0 V): P2/S → P'2/S → P2/S (discharge to 2.0 V first, then charge)."""
    p2, pp = {"P2": 0.8, "spinel": 0.2}, {"P'2": 0.8, "spinel": 0.2}
    discharge = (regime("P2/S", p2, 0.45, 2.90, 2.25), two_phase("P'2/S", pp, 0.35, 2.25, 2.15),
                 regime("P'2/S", pp, 0.20, 2.15, 2.00))
    charge = (regime("P'2/S", pp, 0.15, 2.05, 2.30), two_phase("P2/S", p2, 0.30, 2.30, 2.45),
              regime("P2/S", p2, 0.55, 2.45, 4.00))
    paths = {"P2": {"a": ((-0.6, 2.890), (0.6, 2.850)), "c": ((-0.6, 11.10), (0.6, 11.30))},
             "P'2": {"b": ((-0.6, 5.216), (-0.3, 5.180)), "c": ((-0.6, 11.28), (-0.3, 11.22))},
             "spinel": {"a": ((-0.6, 8.26), (0.6, 8.22))}}
    return Scenario("p2s_pprime2", p2s_pprime2.__doc__,
                    (Segment("discharge", discharge, 0.6), Segment("charge", charge, 1.2)), paths, be_window())


def p2p3s_p3dprime() -> Scenario:
    """Na0.5Ni0.05Co0.15Mn0.65Mg0.15O2 (P2/P3/S, first charge to 4.3 V): P2/P3/S → P2/P3''/S."""
    a, b = {"P2": 0.5, "P3": 0.35, "spinel": 0.15}, {"P2": 0.5, "P3''": 0.35, "spinel": 0.15}
    charge = (regime("P2/P3/S", a, 0.70, 2.80, 4.10), two_phase("P2/P3''/S", b, 0.20, 4.10, 4.20),
              regime("P2/P3''/S", b, 0.10, 4.20, 4.30))
    paths = {"P2": p2_nnm_path(), "P3": {"a": ((0.0, 2.890), (0.9, 2.860)), "c": ((0.0, 16.80), (0.9, 17.05))},
             "P3''": {"c": ((0.7, 17.35), (1.0, 17.45))}, "spinel": {"a": ((0.0, 8.24), (1.0, 8.20))}}
    return Scenario("p2p3s_p3dprime", p2p3s_p3dprime.__doc__, (Segment("charge", charge),), paths, be_window())


def p2_solid_solution() -> Scenario:
    """P2-Na2/3Ni1/3Mn2/3O2 kept below 4.1 V: one solid solution, no transition (c grows, a shrinks)."""
    charge = (regime("P2", {"P2": 1.0}, 1.0, 2.50, 4.10),)
    discharge = (regime("P2", {"P2": 1.0}, 1.0, 4.05, 2.00),)
    return Scenario("p2_solid_solution", p2_solid_solution.__doc__,
                    (Segment("charge", charge), Segment("discharge", discharge, 0.97)), {"P2": p2_nnm_path()},
                    be_window())


def p2_z() -> Scenario:
    """Fe/Mg/Ti-substituted P2 above 4.1 V (Somerville 2019 [V2]): P2 → Z → P2. The Z intergrowth is one
    broad basal peak that moves continuously from d_P ≈ 5.6 Å toward d_O ≈ 4.6 Å as O-type faults form."""
    charge = (regime("P2", {"P2": 1.0}, 0.72, 2.60, 4.10), solid_solution("Z", {"Z": 1.0}, 0.16, 4.10, 4.25),
              regime("Z", {"Z": 1.0}, 0.12, 4.25, 4.50))
    discharge = (regime("Z", {"Z": 1.0}, 0.10, 4.45, 4.15), solid_solution("P2", {"P2": 1.0}, 0.16, 4.15, 3.95),
                 regime("P2", {"P2": 1.0}, 0.74, 3.95, 2.00))
    paths = {"P2": {"a": ((0.0, 2.900), (1.0, 2.865)), "c": ((0.0, 11.20), (1.0, 11.40))},
             "Z": {"c": ((0.72, 5.65), (1.0, 4.65)), "a": ((0.72, 2.87), (1.0, 2.86))}}
    return Scenario("p2_z", p2_z.__doc__, (Segment("charge", charge), Segment("discharge", discharge, 0.95)),
                    paths, be_window())


OLIVINE_REFLECTIONS = (((2, 0, 0), 40.0), ((1, 0, 1), 50.0), ((2, 1, 0), 80.0), ((0, 1, 1), 70.0), ((1, 1, 1), 45.0),
                       ((2, 1, 1), 100.0), ((0, 2, 0), 40.0), ((3, 0, 1), 85.0), ((3, 1, 1), 60.0), ((1, 2, 1), 30.0),
                       ((4, 1, 0), 25.0), ((2, 2, 1), 20.0))
"""Reflections allowed in Pnma with made-up, olivine-like intensities: a stand-in for any material the
library does not hold (not a description of LiFePO4)."""


def foreign_phases() -> dict:
    """Two orthorhombic phases outside the bundled library, "X1" (cell of LiFePO4) and "X2" (of FePO4)."""
    from .phase_library import phase_from_dict

    def olivine(name: str, a: float, b: float, c: float):
        return phase_from_dict({
            "name": name, "kind": "cathode", "system": "orthorhombic", "cell": {"a": a, "b": b, "c": c},
            "reflections": [{"hkl": list(h), "rel_intensity": r} for h, r in OLIVINE_REFLECTIONS],
            "broadening": {"rel_d": 0.002}})
    return {"X1": olivine("X1", 10.33, 6.01, 4.69), "X2": olivine("X2", 9.82, 5.79, 4.79)}


def foreign_two_phase() -> Scenario:
    """A two-phase cathode outside the library (simulate with ``library`` = bundled + :func:`foreign_phases`):
    X1 → X2 on charge by a flat two-phase plateau, X2 → X1 on discharge; no cell drift."""
    x1, x2 = {"X1": 1.0}, {"X2": 1.0}
    charge = (regime("X1", x1, 0.15, 3.30, 3.40), two_phase("X2", x2, 0.70, 3.45, 3.45),
              regime("X2", x2, 0.15, 3.50, 4.20))
    discharge = (regime("X2", x2, 0.15, 4.10, 3.45), two_phase("X1", x1, 0.70, 3.40, 3.40),
                 regime("X1", x1, 0.15, 3.30, 2.50))
    return Scenario("foreign_two_phase", foreign_two_phase.__doc__,
                    (Segment("charge", charge), Segment("discharge", discharge)), {},
                    {"Be": (0.5, True), "Al": (0.25, False)})


def scenarios() -> dict[str, Callable[[], Scenario]]:
    """Name → factory of every ready scenario."""
    return {f.__name__: f for f in (p2o3_op4, p2p3_op4, p2t_op4, o3p2_oprime3, p2s_pprime2, p2p3s_p3dprime,
                                    p2_z, p2_solid_solution)}


def get_scenario(name: str) -> Scenario:
    """A ready scenario by name (see :func:`scenarios`); ValueError listing the names if unknown."""
    table = scenarios()
    if name not in table:
        raise ValueError(f"unknown scenario {name!r}; known: {', '.join(table)}")
    return table[name]()
