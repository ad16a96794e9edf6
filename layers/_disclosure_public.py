"""What of the disclosure control may be published: never why a cell is hidden.

Private helper of :mod:`layers.disclosure`, which re-exports everything here.
Every published surface (map, table, profile, exports and their list of hidden
cells, the upload tab, the about page) uses these functions, so a cell below
the threshold and a cell hidden to protect it look the same.
"""

from __future__ import annotations

import pandas as pd

#: Default minimum count that may be published.
DEFAULT_THRESHOLD = 10

#: Default protection percentage: a hidden cell's attacker range must be at least
#: ``max(threshold, ceil(10% of the cell))`` wide. 10% is the width of a typical
#: tau-ARGUS protection interval; below 100 the threshold is the larger term.
DEFAULT_PROTECTION_PCT = 10.0

#: The one word published for a hidden cell, whatever the reason.
HIDDEN_NL = "verborgen"

#: The one explanation published for every hidden cell.
HIDDEN_EXPLANATION_NL = (
    f"{HIDDEN_NL}: een klein aantal, of nodig zodat kleine aantallen niet terug te rekenen zijn"
)

#: Columns of :func:`public_log`: nothing that tells why a cell is hidden.
PUBLIC_LOG_COLUMNS: tuple[str, ...] = ("code", "level", "column", "explanation_nl")


def public_log(log: pd.DataFrame) -> pd.DataFrame:
    """The view of a suppression log that may be shown or exported.

    Parameters
    ----------
    log
        :attr:`SuppressionResult.log`.

    Returns
    -------
    pandas.DataFrame
        The columns in :data:`PUBLIC_LOG_COLUMNS`, one row per hidden cell;
        the same explanation for every cell, so nothing tells a cell below the
        threshold from one hidden to protect it.
    """
    out = pd.DataFrame({c: log[c].astype(object) for c in PUBLIC_LOG_COLUMNS[:3]})
    out["explanation_nl"] = HIDDEN_EXPLANATION_NL
    return out.reset_index(drop=True)


def describe_nl(
    *,
    threshold: int = DEFAULT_THRESHOLD,
    log: pd.DataFrame | None = None,
    protection_pct: float = DEFAULT_PROTECTION_PCT,
) -> str:
    """A Dutch statement of the disclosure rules, for exports and the about page.

    It states the rules in general and never why a particular cell is hidden.

    Parameters
    ----------
    threshold
        The threshold in force.
    log
        :attr:`SuppressionResult.log` of the data shown; when given, the
        number of hidden cells is added.
    protection_pct
        The protection percentage in force.

    Returns
    -------
    str
        Plain text.
    """
    pct = f"{protection_pct:g}".replace(".", ",")
    text = (
        f"Eigen cijfers van de gemeente: aantallen kleiner dan {threshold} zijn verborgen, en zo "
        "nodig ook andere cellen, zodat een verborgen getal niet terug te rekenen is uit de "
        "totalen van buurt, wijk en gemeente, ook niet bij benadering: wie alle gepubliceerde "
        f"cijfers combineert, houdt voor elk verborgen getal een marge van minstens {threshold} "
        f"(of {pct}% van het getal, als dat meer is). Bij een verborgen cel staat niet waarom "
        "zij verborgen is. Percentages zijn verborgen als hun teller of noemer verborgen is of "
        "te klein is. Cijfers van het CBS volgen de geheimhoudingsregels van het CBS: geheime "
        "of nog niet gepubliceerde waarden ontbreken en afgeronde aantallen blijven afgerond."
    )
    if log is not None and len(log):
        text += f" In deze gegevens zijn {len(log)} cel(len) verborgen."
    return text


def suppression_notes_nl(log: pd.DataFrame, code: str) -> list[str]:
    """Dutch lines naming the hidden cells of one area, without saying why.

    Parameters
    ----------
    log
        :attr:`SuppressionResult.log` or :func:`public_log`.
    code
        Area code.

    Returns
    -------
    list of str
        ``"<column>: verborgen ..."`` per hidden cell, the same text for each,
        plain text (escape before putting it in HTML).
    """
    rows = public_log(log.loc[log["code"] == code])
    return [f"{r.column}: {r.explanation_nl}" for r in rows.itertuples(index=False)]
