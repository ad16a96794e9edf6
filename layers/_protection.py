"""Protection intervals for a hierarchy of totals: what an attacker can bound, and repair.

Private helper of :mod:`layers.disclosure`. The published table is a tree of
equations ``parent = sum(children)`` (buurten under their wijk, wijken under
their gemeente). For a given set of hidden cells, :func:`ranges` computes the
exact interval an attacker can derive for every cell from all published values
and a box (domain) per unknown cell. On a tree of equations (each cell in at
most two of them, two equations sharing at most one cell) bounds propagation
in two passes is exact, for real numbers and for integers on a lattice (all
known values multiples of ``step``): the projection of a sum of independent
intervals is again an interval.

Two attacker models are checked (see ``docs/trust.md``):

* *main*: the attacker does not know why a cell is hidden, so every hidden
  cell lies in ``[0, inf)``;
* *labels leaked*: the attacker knows which hidden cells are below the
  threshold (``[0, top]`` with ``top`` the largest lattice value below it) and
  which are not (``[threshold, inf)``).

:func:`complete` adds hidden cells until every hidden cell keeps a range of at
least its protection level in the main model, a secondary cell also in the
leaked model, and a primary cell's leaked range still covers all of
``[0, top]``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

_INF = np.inf


@dataclass(frozen=True)
class Tree:
    """The equation structure of one column.

    Attributes
    ----------
    parent
        Position of each cell's parent in an equation, or -1 for a root.
    depth
        Distance from the root.
    equation
        True for a cell that is the total of an equation.
    known
        Value of every known cell (NaN for an unknown one).
    unknown
        Cells the attacker does not know: hidden cells, and missing totals with
        an unknown child.
    """

    parent: np.ndarray
    depth: np.ndarray
    equation: np.ndarray
    known: np.ndarray
    unknown: np.ndarray


def structure(values: np.ndarray, parent: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Effective parent (-1 when the parent gives no equation) and depth of each cell.

    A parent gives an equation when one of its children is present or itself
    gives one; a total whose children are all missing stands alone as a leaf.
    """
    n = len(values)
    missing = np.isnan(values)
    child = np.flatnonzero(parent >= 0)
    par = parent[child]
    equation = np.zeros(n, dtype=bool)
    while True:
        linked = np.bincount(par, weights=~missing[child] | equation[child], minlength=n) > 0
        if (linked == equation).all():
            break
        equation = linked
    eff = np.full(n, -1, dtype=np.int64)
    keep = equation[par]
    eff[child[keep]] = par[keep]
    depth = np.zeros(n, dtype=np.int64)
    for _ in range(n):
        new = np.where(eff >= 0, depth[np.maximum(eff, 0)] + 1, 0)
        if (new == depth).all():
            break
        depth = new
    return eff, depth


def tree(values: np.ndarray, hidden: np.ndarray, eff: np.ndarray, depth: np.ndarray) -> Tree:
    """Which cells the attacker knows, and their values, for one pattern of hidden cells.

    A missing cell without an unknown child is known: a missing leaf as 0 (the
    documented worst case), a missing total as the sum of its children.
    """
    n = len(values)
    missing = np.isnan(values)
    equation = np.bincount(eff[eff >= 0], minlength=n) > 0
    unknown = hidden & ~missing
    known = np.where(missing, 0.0, values)
    child = np.flatnonzero(eff >= 0)
    for level in range(int(depth.max(initial=0)), 0, -1):  # bottom-up
        at = child[depth[child] == level]
        up = eff[at]
        has_unknown = np.bincount(up, weights=unknown[at], minlength=n) > 0
        unknown |= missing & has_unknown
        sums = np.bincount(up, weights=known[at], minlength=n)
        fill = missing & equation & ~has_unknown & (np.bincount(up, minlength=n) > 0)
        known = np.where(fill, sums, known)
    return Tree(eff, depth, equation, np.where(unknown, np.nan, known), unknown)


def ranges(
    t: Tree, dom_lo: np.ndarray, dom_hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact attacker ranges of every cell: ``(lo, hi, in_lo, in_hi, out_lo, out_hi)``.

    ``dom_lo``/``dom_hi`` are the boxes of the unknown cells (ignored for known
    cells). ``in`` is the range from the cell's own equation and everything
    below it; ``out`` the range from everything else (infinite for a root).
    """
    n = len(t.parent)
    d_lo = np.where(t.unknown, dom_lo, t.known)
    d_hi = np.where(t.unknown, dom_hi, t.known)
    u_lo, u_hi = d_lo.copy(), d_hi.copy()
    child = np.flatnonzero(t.parent >= 0)
    levels = int(t.depth.max(initial=0))
    for level in range(levels, 0, -1):  # upward: each total from its children's subtrees
        at = child[t.depth[child] == level]
        up = t.parent[at]
        s_lo = np.bincount(up, weights=u_lo[at], minlength=n)
        s_hi = np.bincount(up, weights=np.where(np.isinf(u_hi[at]), 0.0, u_hi[at]), minlength=n)
        n_inf = np.bincount(up, weights=np.isinf(u_hi[at]), minlength=n)
        s_hi = np.where(n_inf > 0, _INF, s_hi)
        rows = np.unique(up)
        u_lo[rows] = np.maximum(u_lo[rows], s_lo[rows])
        u_hi[rows] = np.minimum(u_hi[rows], s_hi[rows])
    o_lo = np.full(n, -_INF)
    o_hi = np.full(n, _INF)
    a_lo, a_hi = d_lo.copy(), d_hi.copy()  # domain and everything outside the subtree
    for level in range(1, levels + 1):  # downward
        at = child[t.depth[child] == level]
        up = t.parent[at]
        fin = np.where(np.isinf(u_hi[at]), 0.0, u_hi[at])
        s_lo = np.bincount(up, weights=u_lo[at], minlength=n)
        s_hi = np.bincount(up, weights=fin, minlength=n)
        n_inf = np.bincount(up, weights=np.isinf(u_hi[at]), minlength=n)
        others_lo = s_lo[up] - u_lo[at]
        others_inf = n_inf[up] - np.isinf(u_hi[at])
        others_hi = np.where(others_inf > 0, _INF, s_hi[up] - fin)
        with np.errstate(invalid="ignore"):
            o_lo[at] = a_lo[up] - others_hi
            o_hi[at] = a_hi[up] - others_lo
        a_lo[at] = np.maximum(d_lo[at], o_lo[at])
        a_hi[at] = np.minimum(d_hi[at], o_hi[at])
    lo = np.maximum(u_lo, o_lo)
    hi = np.minimum(u_hi, o_hi)
    return lo, hi, u_lo, u_hi, o_lo, o_hi


def protection_levels(values: np.ndarray, *, threshold: int, pct: float) -> np.ndarray:
    """``max(threshold, ceil(pct / 100 * value))`` per cell."""
    return np.maximum(threshold, np.ceil(np.nan_to_num(values) * pct / 100.0 - 1e-9))


def lattice_step(values: np.ndarray) -> int:
    """5 when every present value is a multiple of 5 (CBS-rounded input), else 1."""
    present = values[~np.isnan(values)]
    return 5 if len(present) and np.all(np.mod(present, 5) == 0) else 1


@dataclass(frozen=True)
class Prior:
    """What an earlier published version already tells an attacker about some cells."""

    forced: np.ndarray  # cells that must stay hidden (hidden before, changed or not)
    shared: np.ndarray  # hidden before and unchanged: one unknown in both versions
    blocked: np.ndarray  # cells the attacker knows already (unchanged and visible before)
    #: Hidden before, earlier value unknown (only the published version is kept): each may
    #: be unchanged (one unknown in both versions) or changed; :func:`complete` covers both.
    unsure: np.ndarray | None = None


def _variants(prior: Prior | None) -> list[tuple[Prior | None, int | None]]:
    """The priors to check, each with the one cell it checks (``None``: every cell).

    Without unsure cells that is ``prior`` itself. Otherwise every unsure cell is
    taken as unchanged (known, the safe side for the others), and then each in
    turn as changed while all the others are still taken as known (assuming
    more knowledge only narrows a range, so this is its worst case).
    """
    if prior is None or prior.unsure is None or not prior.unsure.any():
        return [(prior, None)]
    everything = prior.shared | prior.unsure
    out: list[tuple[Prior | None, int | None]] = [(replace(prior, shared=everything), None)]
    for cell in np.flatnonzero(prior.unsure):
        alone = everything.copy()
        alone[cell] = False
        out.append((replace(prior, shared=alone), int(cell)))
    return out


def domains(
    values: np.ndarray, hidden: np.ndarray, t: Tree, *, threshold: int, step: int, leaked: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Boxes of the unknown cells in the main or the labels-leaked model."""
    lo = np.zeros(len(values))
    hi = np.full(len(values), _INF)
    if leaked:
        top = ((threshold - 1) // step) * step
        low = -(-threshold // step) * step
        primary = hidden & (np.nan_to_num(values, nan=_INF) < threshold)
        hi = np.where(primary, float(top), hi)
        lo = np.where(hidden & ~primary, float(low), lo)
    return lo, hi


def check(
    values: np.ndarray,
    hidden: np.ndarray,
    eff: np.ndarray,
    depth: np.ndarray,
    *,
    threshold: int,
    pct: float,
    prior: Prior | None = None,
    best: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
    """Ranges in both models and per hidden cell how far it falls short.

    ``best`` is :func:`best_leaked` for these values (computed when not given).

    Returns a dict with ``lo``/``hi`` (main), ``leak_lo``/``leak_hi``, and
    ``short_in``/``short_out``: how much wider the cell's range must become
    from below (its own equation) and from above, 0 where it is protected.
    """
    step = lattice_step(values)
    # Cells kept hidden from an earlier version count as known: the earlier version's
    # equations may tell their sum, and assuming more knowledge is the safe side.
    shared = prior.shared if prior is not None else np.zeros(len(values), dtype=bool)
    t = tree(values, hidden & ~shared, eff, depth)
    need = protection_levels(values, threshold=threshold, pct=pct)
    top = ((threshold - 1) // step) * step
    primary = hidden & (np.nan_to_num(values, nan=_INF) < threshold)
    out: dict[str, np.ndarray] = {}
    if best is None:
        best = best_leaked(values, eff, depth, threshold=threshold, prior=prior)
    best_lo, best_hi = best
    short_in = np.zeros(len(values))
    short_out = np.zeros(len(values))
    for leaked in (False, True):
        dom_lo, dom_hi = domains(values, hidden, t, threshold=threshold, step=step, leaked=leaked)
        lo, hi, u_lo, u_hi, o_lo, o_hi = ranges(t, dom_lo, dom_hi)
        key = "leak_" if leaked else ""
        out[key + "lo"], out[key + "hi"] = lo, hi
        # Extra room needs T more per added secondary in the leaked model.
        extra = threshold if leaked else 0
        width_short = np.where(hidden, need - (hi - lo), 0.0)
        if leaked:
            # A primary cell must still range over all of [0, top], a secondary one by
            # need; both as far as any pattern can give (see best_leaked).
            width_short = np.where(hidden, np.minimum(need, best_hi - best_lo) - (hi - lo), 0.0)
            cover = np.maximum(lo - best_lo, np.minimum(top, best_hi) - hi)
            width_short = np.where(primary, np.maximum(cover, 0.0), width_short)
        bad = hidden & ~shared & (width_short > 0)
        in_short = bad & (u_hi - u_lo < np.where(primary & leaked, top, need))
        out_short = bad & ~in_short
        short_in = np.maximum(short_in, np.where(in_short, width_short + extra, 0.0))
        short_out = np.maximum(short_out, np.where(out_short, width_short + extra, 0.0))
    out["short_in"], out["short_out"] = short_in, short_out
    return out


def best_leaked(
    values: np.ndarray,
    eff: np.ndarray,
    depth: np.ndarray,
    *,
    threshold: int,
    prior: Prior | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Leaked-model range of each cell if every present cell were hidden.

    Hiding a cell only relaxes what the attacker knows, so no pattern gives a
    wider range. Where the labels alone narrow a cell, the leaked-model check
    asks no more than this: e.g. two cells below the threshold that are the
    only children of a total of at least the threshold are each at least
    ``threshold - top``, and that total is at most ``2 * top``.
    """
    step = lattice_step(values)
    shared = prior.shared if prior is not None else np.zeros(len(values), dtype=bool)
    everything = ~np.isnan(values) & ~shared
    t = tree(values, everything, eff, depth)
    lo, hi = domains(values, everything, t, threshold=threshold, step=step, leaked=True)
    best_lo, best_hi = ranges(t, lo, hi)[:2]
    return np.maximum(best_lo, 0.0), best_hi


def complete(
    values: np.ndarray,
    primary: np.ndarray,
    parent: np.ndarray,
    *,
    threshold: int,
    pct: float,
    prior: Prior | None = None,
) -> np.ndarray:
    """Add secondary suppressions until every hidden cell keeps its protection interval.

    Partners are chosen at the least loss of information, measured as the
    total hidden value (tau-ARGUS's default cost): in the equation that needs
    room, the smallest visible cell that gives the room needed on its own,
    else the largest (and the check runs again). When an equation has no
    visible candidate, its total is hidden (or, if it is unknown already, the
    search moves one level up).
    """
    n = len(values)
    missing = np.isnan(values)
    eff, depth = structure(values, parent)
    hidden = primary & ~missing
    blocked = np.zeros(n, dtype=bool)
    if prior is not None:
        hidden |= prior.forced & ~missing
        blocked = prior.blocked
    value = np.nan_to_num(values)
    child = np.flatnonzero(eff >= 0)
    variants = [
        (p, only, best_leaked(values, eff, depth, threshold=threshold, prior=p))
        for p, only in _variants(prior)
    ]
    for _ in range(n + 1):
        found = {"short_in": np.zeros(n), "short_out": np.zeros(n)}
        for p, only, best in variants:
            one = check(
                values, hidden, eff, depth, threshold=threshold, pct=pct, prior=p, best=best
            )
            for side in found:
                short = one[side] if only is None else np.where(np.arange(n) == only, one[side], 0)
                found[side] = np.maximum(found[side], short)
        candidate = ~hidden & ~missing & ~blocked
        needs: dict[int, float] = {}

        def ask(eq: int, amount: float, needs: dict[int, float] = needs) -> None:
            needs[eq] = max(needs.get(eq, 0.0), amount)

        for cell in np.flatnonzero(found["short_in"] > 0):
            ask(int(cell), float(found["short_in"][cell]))
        for cell in np.flatnonzero(found["short_out"] > 0):
            ask(-int(cell) - 1, float(found["short_out"][cell]))  # resolved below
        if not needs:
            return hidden
        has_candidate = np.bincount(eff[child], weights=candidate[child], minlength=n) > 0
        targets: dict[int, float] = {}
        to_hide: list[int] = []
        for key, amount in needs.items():
            if key >= 0:  # room needed inside the cell's own equation
                inside = _room_below(key, eff, has_candidate, hidden | missing)
                if inside is not None:
                    targets[inside] = max(targets.get(inside, 0.0), amount)
                continue
            eq = int(eff[-key - 1])  # the equation above the cell
            while eq >= 0 and not has_candidate[eq]:
                if candidate[eq]:
                    to_hide.append(eq)
                    break
                eq = int(eff[eq])
            else:
                if eq >= 0:
                    targets[eq] = max(targets.get(eq, 0.0), amount)
        # Repair the deepest equations first: room found lower down often widens the
        # ranges higher up as well, so the upper levels are checked again afterwards.
        depths = [int(depth[e]) for e in targets] + [int(depth[c]) for c in to_hide]
        if not depths:  # nothing left to hide: as protected as this table allows
            return hidden
        deepest = max(depths)
        targets = {e: a for e, a in targets.items() if depth[e] == deepest}
        to_hide = [c for c in to_hide if depth[c] == deepest]
        before = int(hidden.sum())
        hidden[to_hide] = True
        if targets:
            pick = _pick(child, eff, value, candidate, targets)
            hidden[pick] = True
        if int(hidden.sum()) == before:  # nothing left to hide: as protected as it gets
            return hidden
    return hidden


def _room_below(
    eq: int, eff: np.ndarray, has_candidate: np.ndarray, closed: np.ndarray
) -> int | None:
    """The nearest equation at or below ``eq`` with a visible candidate, else ``None``.

    A total whose children are all hidden or missing totals gets its room from the
    equations of those children: more hidden under an unknown child widens the child,
    and so the total (e.g. a gemeente whose only open wijk total is missing).
    """
    queue = [eq]
    while queue:
        here = queue.pop(0)
        if has_candidate[here]:
            return here
        queue.extend(int(c) for c in np.flatnonzero(eff == here) if closed[c])
    return None


def _pick(
    child: np.ndarray,
    eff: np.ndarray,
    value: np.ndarray,
    candidate: np.ndarray,
    targets: dict[int, float],
) -> np.ndarray:
    """Per target equation: the smallest candidate of at least the room needed, else the largest."""
    keep = candidate[child]
    frame = pd.DataFrame({"cell": child[keep], "eq": eff[child[keep]], "value": value[child[keep]]})
    need = pd.Series(targets, dtype="float64")
    frame = frame[frame["eq"].isin(need.index)]
    frame = frame.assign(enough=frame["value"].to_numpy() >= need.reindex(frame["eq"]).to_numpy())
    frame = frame.sort_values(["eq", "value", "cell"])
    enough = frame[frame["enough"]].groupby("eq")["cell"].first()
    largest = frame.groupby("eq")["cell"].last()
    chosen = enough.reindex(largest.index).fillna(largest).astype(np.int64)
    return chosen.to_numpy()
