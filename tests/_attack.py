"""An attacker who combines every published fact by integer linear programming.

Used by ``tests/test_disclosure_attack.py``. The attacker model is the one in
``docs/trust.md``:

* every published cell of every published table (all levels, all roles' views,
  and every version of a replaced dataset) is known exactly;
* each total equals the sum of its children (wijk = its buurten, gemeente =
  its wijken, and so gemeente = all its buurten);
* a missing buurt is known (as 0 in its wijk's sum); a missing total with an
  unknown child is an unknown too;
* every unknown is a non-negative integer, and a multiple of 5 when the input
  was CBS-rounded (all published values are multiples of 5);
* the threshold is known. In the *main* model the attacker does not know why a
  cell is hidden (it is never published), so a hidden cell is any value >= 0. In
  the *labels leaked* model it knows: a primary cell is in ``[0, T-1]``, a
  secondary one is ``>= T``;
* in two versions of a dataset, a cell whose value did not change is one
  unknown shared by both.

For every hidden cell, :func:`attack` finds the smallest and largest value the
attacker cannot rule out (``scipy.optimize.milp`` with HiGHS).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

#: Stands in for "no upper bound" (an unbounded MILP is reported as infeasible-or-unbounded).
BIG = 1e6


def children(frame: pd.DataFrame) -> dict[int, list[int]]:
    """Positions of each row's children (wijk under gemeente, buurt under wijk or gemeente)."""
    codes = dict(zip(frame["code"], range(len(frame)), strict=True))
    out: dict[int, list[int]] = {i: [] for i in range(len(frame))}
    rows = zip(frame["level"], frame["wijkcode"], frame["gemeentecode"], strict=True)
    for pos, (level, wijkcode, gemeentecode) in enumerate(rows):
        if level == "buurt":
            parent = codes.get(wijkcode, codes.get(gemeentecode))
        elif level == "wijk":
            parent = codes.get(gemeentecode)
        else:
            parent = None
        if parent is not None:
            out[parent].append(pos)
    return out


def relations(frame: pd.DataFrame) -> list[tuple[int, list[int]]]:
    """Every relation ``parent = sum(children)`` the attacker assumes, plus gemeente = Σ buurten.

    A total whose children are all missing (and link nothing below) is no
    relation: it stands alone, as the documented model says.
    """
    kids = children(frame)
    present = frame["n"].notna().to_numpy()
    levels = frame["level"].to_numpy()
    linked: set[int] = set()
    for level in ("wijk", "gemeente"):  # bottom-up
        for p in np.flatnonzero(levels == level):
            if any(present[c] or c in linked for c in kids[p]):
                linked.add(int(p))
    out = [(p, c) for p, c in kids.items() if p in linked]
    for pos in np.flatnonzero(levels == "gemeente"):
        expanded = []
        for c in kids[pos]:
            expanded += kids[c] if c in linked else [c]
        if pos in linked and expanded != kids[pos]:
            out.append((int(pos), [int(i) for i in expanded]))
    return out


@dataclass
class Version:
    """One published table: true values, what was hidden, the threshold."""

    frame: pd.DataFrame  # code, level, wijkcode, gemeentecode, true, n (n: NaN = missing)
    hidden: np.ndarray
    threshold: int

    def unknown(self) -> np.ndarray:
        """Hidden cells plus missing totals with an unknown child (bottom-up)."""
        unknown = self.hidden & self.frame["n"].notna().to_numpy()
        missing = self.frame["n"].isna().to_numpy()
        linked = {p: c for p, c in relations(self.frame)}
        for _ in range(3):
            for p, kids in linked.items():
                if missing[p] and any(unknown[k] for k in kids):
                    unknown[p] = True
        return unknown


def attack(
    versions: list[Version], *, leaked: bool, step: int = 1
) -> list[dict[int, tuple[float, float]]]:
    """Per version, ``{position: (lo, hi)}`` of every hidden cell.

    Parameters
    ----------
    versions
        Every published version of the dataset; cells with the same code and
        the same true value in two versions are one unknown.
    leaked
        Use the labels-leaked model.
    step
        5 when the input was CBS-rounded (every unknown a multiple of 5).
    """
    keys: dict[tuple, int] = {}
    var_of: list[dict[int, int]] = []
    lo_b: list[float] = []
    hi_b: list[float] = []
    for v in versions:
        mapping = {}
        true = v.frame["true"].to_numpy()
        top = ((v.threshold - 1) // step) * step
        for pos in np.flatnonzero(v.unknown()):
            key = (v.frame["code"].iat[pos], float(true[pos]))
            if key not in keys:
                keys[key] = len(lo_b)
                lo_b.append(0.0)
                hi_b.append(BIG)
            j = keys[key]
            mapping[int(pos)] = j
            if leaked and v.hidden[pos]:
                if true[pos] < v.threshold:
                    hi_b[j] = min(hi_b[j], float(top))
                else:
                    lo_b[j] = max(lo_b[j], float(v.threshold))
        var_of.append(mapping)
    # Cells published in one version and unchanged in another are known there too. (A
    # missing cell counts as 0 in its own version's sums only.)
    known_value: dict[tuple, float] = {}
    for v, mapping in zip(versions, var_of, strict=True):
        present = v.frame["n"].notna().to_numpy()
        for pos in range(len(v.frame)):
            if pos not in mapping and present[pos]:
                key = (v.frame["code"].iat[pos], float(v.frame["true"].iat[pos]))
                known_value[key] = key[1]
    n_var = len(lo_b)
    rows, rhs = [], []
    for v, mapping in zip(versions, var_of, strict=True):
        true = v.frame["true"].to_numpy()
        codes = v.frame["code"].to_numpy()
        for parent, kids in relations(v.frame):
            row = np.zeros(n_var)
            const = 0.0
            for cell, sign in [(parent, 1.0)] + [(k, -1.0) for k in kids]:
                key = (codes[cell], float(true[cell]))
                if cell in mapping and key not in known_value:
                    row[mapping[cell]] += sign
                else:
                    const += sign * true[cell]
            if row.any():
                rows.append(row)
                rhs.append(-const)
    out: list[dict[int, tuple[float, float]]] = []
    if n_var == 0:
        return [{} for _ in versions]
    # Integer unknowns on the lattice: x = step * k.
    a = np.array(rows) * step if rows else np.zeros((0, n_var))
    constraints = [LinearConstraint(a, np.array(rhs), np.array(rhs))] if rows else []
    bounds = Bounds(np.ceil(np.array(lo_b) / step), np.floor(np.array(hi_b) / step))
    cache: dict[int, tuple[float, float]] = {}

    def end(j: int, sign: float) -> float:
        """Optimum of ``sign * x_j``: the LP first; the MILP only when its optimum is fractional."""
        cost = np.zeros(n_var)
        cost[j] = sign
        res = linprog(
            cost,
            A_eq=a if rows else None,
            b_eq=np.array(rhs) if rows else None,
            bounds=list(zip(bounds.lb, bounds.ub, strict=True)),
            method="highs",
        )
        assert res.status == 0, res.message  # the true values are a solution
        if not np.allclose(res.x, np.round(res.x), atol=1e-7):
            res = milp(cost, constraints=constraints, integrality=np.ones(n_var), bounds=bounds)
            assert res.status == 0, res.message
        return sign * res.fun * step

    def solve(j: int) -> tuple[float, float]:
        if j not in cache:
            cache[j] = (end(j, 1.0), end(j, -1.0))
        return cache[j]

    for v, mapping in zip(versions, var_of, strict=True):
        found = {}
        for pos in np.flatnonzero(v.hidden & v.frame["n"].notna().to_numpy()):
            key = (v.frame["code"].iat[pos], float(v.frame["true"].iat[pos]))
            if key in known_value:
                found[int(pos)] = (key[1], key[1])
            else:
                found[int(pos)] = solve(mapping[int(pos)])
        out.append(found)
    return out


def protection(values: np.ndarray, *, threshold: int, pct: float) -> np.ndarray:
    """The protection level the issue asks for: ``max(T, ceil(pct% of the value))``."""
    return np.maximum(threshold, np.ceil(values * pct / 100 - 1e-9))


def failures(
    versions: list[Version], *, pct: float, step: int = 1
) -> list[tuple[str, str, float, float]]:
    """Every hidden cell the attacker narrows too far, as ``(model, code, lo, hi)``.

    Main model: every range at least the protection level wide. Labels-leaked
    model: a primary cell's range covers all of ``[0, top]`` (the attacker
    learns nothing beyond "below T"), a secondary cell's is at least the
    protection level wide.
    """
    bad = []
    for leaked in (False, True):
        model = "leaked" if leaked else "main"
        bests = _best(versions, step=step) if leaked else [{} for _ in versions]
        found_all = attack(versions, leaked=leaked, step=step)
        for v, found, best in zip(versions, found_all, bests, strict=True):
            true = v.frame["true"].to_numpy()
            need = protection(true, threshold=v.threshold, pct=pct)
            top = ((v.threshold - 1) // step) * step
            for pos, (lo, hi) in found.items():
                code = v.frame["code"].iat[pos]
                if leaked:
                    best_lo, best_hi = best[pos]
                    if true[pos] < v.threshold:
                        ok = lo <= best_lo and hi >= min(top, best_hi)
                    else:
                        ok = hi - lo >= min(need[pos], best_hi - best_lo)
                else:
                    ok = hi - lo >= need[pos]
                if not ok:
                    bad.append((model, code, lo, hi))
    return bad


def _best(versions: list[Version], *, step: int) -> list[dict[int, tuple[float, float]]]:
    """Leaked-model ranges if every present cell of the latest version were hidden.

    The earlier versions are published already. Hiding more only relaxes the
    attacker's constraints, so no pattern gives a cell a wider range than
    this. Where the labels alone narrow a cell (two small cells that are the
    only children of a total of 10 are each at least 1), or an earlier version
    already did, the leaked-model requirement is capped by it.
    """
    *earlier, last = versions
    everything = Version(last.frame, last.frame["n"].notna().to_numpy(), last.threshold)
    found = attack([*earlier, everything], leaked=True, step=step)
    return found
