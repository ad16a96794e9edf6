"""Figures for docs/analysis.md: smoothing and rank uncertainty on the real gemeenten.

Run from the repository root: ``python -m tests._reliability_figures``. It reads
``../shared/data`` and prints, for the Rijnmond buurten (11 gemeenten, scope
gemeente) and the national wijken (scope gemeente, all 342 gemeenten):

* per gemeente, the areas with a score, flagged by the current default and by
  the smoothed profile, their overlap, the Spearman rank correlation of the two
  stacking scores, and how many areas change decile of their stacking
  percentile, with the median population of those areas against all areas;
* the stability classes of the areas the default flags;
* the publicly designated areas (Dordt-West, Schiedam-Nieuwland,
  Vlaardingen-Westwijk): their rank, flag and stability under both.

``tests/test_models_reliability_real.py`` runs :func:`figures` and checks them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models import run_analysis  # noqa: E402
from tests._real import attribute_frame  # noqa: E402

#: Areas their gemeente designated for an area approach (public sources):
#: Dordrecht's "Dordt West" (wijken); Schiedam Nieuwland and Vlaardingen
#: Westwijk, both in the national list of 40 "krachtwijken" (2007), by wijkcode.
DESIGNATED = {
    "wijk": {
        "GM0505": {
            "Wijk 07 Wielwijk",
            "Wijk 08 Crabbehof/Zuidhoven",
            "Wijk 04 Nieuw-krispijn",
            "Wijk 03 Oud Krispijn",
        },
    },
    "buurt_wijknaam": {"GM0606": "Nieuwland", "GM0622": "Westwijk"},
}


def _run(frame: pd.DataFrame, profile: str) -> pd.DataFrame:
    return run_analysis(frame, profile=profile, permutations=0, clustering=False).table


def compare(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per gemeente figures (raw default vs smoothed) and the joined area table."""
    raw = _run(frame, "default")
    smooth = _run(frame, "gladgestreken")
    areas = pd.DataFrame(
        {
            "gemeentecode": frame["gemeentecode"],
            "gemeentenaam": frame["gemeentenaam"],
            "name": frame["name"],
            "wijkcode": frame["wijkcode"],
            "population": frame["population"],
            "score_raw": raw["stacking_score"],
            "score_smooth": smooth["stacking_score"],
            "pct_raw": raw["stacking_percentile"],
            "pct_smooth": smooth["stacking_percentile"],
            "flag_raw": raw["stacking_flag"].astype(bool),
            "flag_smooth": smooth["stacking_flag"].astype(bool),
            "reliability": raw["reliability_class"],
            "stability_raw": raw["stacking_stability"],
            "class_raw": raw["stability_class"],
            "stability_smooth": smooth["stacking_stability"],
            "lo": raw["stacking_percentile_lo"],
            "hi": raw["stacking_percentile_hi"],
        }
    )
    scored = areas["score_raw"].notna() & areas["score_smooth"].notna()
    decile = lambda p: np.minimum((p // 10).fillna(-1), 9)  # noqa: E731
    areas["decile_change"] = scored & (decile(areas["pct_raw"]) != decile(areas["pct_smooth"]))
    rows = []
    for code, sub in areas[scored].groupby("gemeentecode", sort=True):
        changed = sub[sub["decile_change"]]
        rows.append(
            {
                "gemeentecode": code,
                "gemeente": sub["gemeentenaam"].iloc[0],
                "scored": len(sub),
                "flag_raw": int(sub["flag_raw"].sum()),
                "flag_smooth": int(sub["flag_smooth"].sum()),
                "flag_both": int((sub["flag_raw"] & sub["flag_smooth"]).sum()),
                "spearman": sub["score_raw"].corr(sub["score_smooth"], method="spearman"),
                "decile_changes": len(changed),
                "pop_changed": changed["population"].median(),
                "pop_all": sub["population"].median(),
                "low_rel_changed": int((changed["reliability"] != "high").sum()),
            }
        )
    return pd.DataFrame(rows), areas


def _summary(label: str, per: pd.DataFrame, areas: pd.DataFrame) -> list[str]:
    scored = areas["score_raw"].notna() & areas["score_smooth"].notna()
    changed = areas[areas["decile_change"]]
    flagged = areas[areas["flag_raw"]]
    union = int((areas["flag_raw"] | areas["flag_smooth"]).sum())
    both = int((areas["flag_raw"] & areas["flag_smooth"]).sum())
    only_raw = areas[areas["flag_raw"] & ~areas["flag_smooth"]]
    only_smooth = areas[~areas["flag_raw"] & areas["flag_smooth"]]
    step = (areas["pct_raw"] // 10 - areas["pct_smooth"] // 10).abs()
    lines = [
        f"## {label}: {int(scored.sum())} areas with a score in {len(per)} gemeenten",
        f"flagged: default {int(areas['flag_raw'].sum())}, smoothed "
        f"{int(areas['flag_smooth'].sum())}, both {both} (overlap {both / max(union, 1):.0%} "
        f"of the {union} flagged by either)",
        f"flagged by the default only: {len(only_raw)} (median population "
        f"{only_raw['population'].median():.0f}, stability "
        f"{only_raw['stability_raw'].median():.2f}); by the smoothed profile only: "
        f"{len(only_smooth)} (median population {only_smooth['population'].median():.0f}, "
        f"stability {only_smooth['stability_raw'].median():.2f})",
        f"Spearman of the scores within gemeenten: median {per['spearman'].median():.3f}, "
        f"lowest {per['spearman'].min():.3f} ({per.loc[per['spearman'].idxmin(), 'gemeente']})",
        f"decile changes: {len(changed)} of {int(scored.sum())} "
        f"({len(changed) / max(int(scored.sum()), 1):.0%}); median population "
        f"{changed['population'].median():.0f} against "
        f"{areas.loc[scored, 'population'].median():.0f} for all; "
        f"{int((changed['reliability'] != 'high').sum())} of them not 'betrouwbaar'; "
        f"{int((step[scored] >= 2).sum())} moved two deciles or more",
        "stability of the default's flagged areas: "
        + ", ".join(f"{k} {v}" for k, v in flagged["class_raw"].value_counts().items())
        + f"; median {flagged['stability_raw'].median():.2f}",
        "all scored areas by stability class: "
        + ", ".join(f"{k} {v}" for k, v in areas.loc[scored, "class_raw"].value_counts().items()),
        "median 5-95 % interval width: "
        f"{(areas['hi'] - areas['lo'])[scored].median():.1f} percentile points",
    ]
    return lines


def _designated(areas: pd.DataFrame, mask: pd.Series, label: str) -> list[str]:
    sub = areas[mask]
    out = [f"### {label}: {len(sub)} areas"]
    for _, row in sub.sort_values("pct_raw", ascending=False).iterrows():
        out.append(
            f"- {row['name']}: percentile {row['pct_raw']:.0f} (smoothed {row['pct_smooth']:.0f}), "
            f"interval {row['lo']:.0f}-{row['hi']:.0f}, flagged {row['flag_raw']}/"
            f"{row['flag_smooth']}, stability {row['stability_raw']:.0%}/"
            f"{row['stability_smooth']:.0%}, reliability {row['reliability']}"
        )
    return out


def decompose(frame: pd.DataFrame) -> list[str]:
    """Interval width and stable flagged areas with only the noise or only the methods varied."""
    from layers.indicators import compute_indicators, get_indicator
    from layers.profiles import get_profile
    from models import count_basis, rank_uncertainty, stacking_scores

    profile = get_profile("default")
    chosen = {t.key: t.candidates[0] for t in profile.themes}
    values = compute_indicators(frame, list(chosen.values()))
    themes = pd.DataFrame({t: values[k] for t, k in chosen.items()}, index=frame.index)
    bases = {t: count_basis(frame, get_indicator(k)) for t, k in chosen.items()}
    rules = {"groups": frame["gemeentecode"], "min_indicators": 3, "flag_min_themes": 3}
    base = stacking_scores(themes, **rules)
    flagged = base.table["stacking_flag"]
    once = base.table["themes_high"] - (base.high["bijstand"] & base.high["armoede"])
    lost = int((flagged & (once < 3)).sum())
    lines = [
        f"income counted once (P80, no noise): {lost} of {int(flagged.sum())} flagged areas "
        "would no longer be stacking areas"
    ]
    for label, noise, methods in (
        ("noise only", True, False),
        ("methods only", False, True),
        ("both", True, True),
    ):
        table = rank_uncertainty(
            themes, bases, noise=noise, methods=methods, order=frame["code"], **rules
        ).table
        width = (table["stacking_percentile_hi"] - table["stacking_percentile_lo"]).median()
        stable = (table.loc[flagged, "stability_class"] == "stable").sum()
        lines.append(
            f"{label}: median interval width {width:.1f} percentile points; "
            f"{stable} of {int(flagged.sum())} flagged areas stable, median stability "
            f"{table.loc[flagged, 'stacking_stability'].median():.2f}"
        )
    return lines


def figures(raw_dir: Path) -> dict[str, object]:
    """Compute every figure; returns the tables and the printable lines."""
    buurt = attribute_frame(raw_dir, "buurt")  # no spatial weights: no geometry needed
    wijk = attribute_frame(raw_dir, "wijk")
    per_b, areas_b = compare(buurt)
    per_w, areas_w = compare(wijk)
    lines = _summary("Rijnmond buurten (scope gemeente)", per_b, areas_b)
    lines += ["", per_b.round(3).to_string(index=False), ""]
    lines += _summary("National wijken (scope gemeente)", per_w, areas_w)
    lines += ["", "### What drives the uncertainty (national wijken, default)"]
    lines += decompose(wijk)
    lines += ["", "### What drives the uncertainty (Rijnmond buurten, default)"]
    lines += decompose(buurt)
    lines += [""]
    wijknaam = dict(zip(wijk["code"], wijk["name"], strict=False))
    for code, name in DESIGNATED["buurt_wijknaam"].items():
        mask = (areas_b["gemeentecode"] == code) & areas_b["wijkcode"].map(wijknaam).str.contains(
            name, case=False, na=False
        )
        lines += _designated(areas_b, mask, f"{name} ({code}, buurten)")
    for code, names in DESIGNATED["wijk"].items():
        mask = (areas_w["gemeentecode"] == code) & areas_w["name"].isin(names)
        lines += _designated(areas_w, mask, f"Dordt-West ({code}, wijken)")
    return {"buurt": (per_b, areas_b), "wijk": (per_w, areas_w), "lines": lines}


if __name__ == "__main__":
    data = ROOT.parent / "shared" / "data" / "raw"
    if not data.is_dir():
        print("skipped: ../shared/data/raw not found")
        sys.exit(0)
    print("\n".join(figures(data)["lines"]))
