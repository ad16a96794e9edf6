"""Texts of the app in Dutch (default) and English.

One table, key → ``{"nl": ..., "en": ...}``. A missing English text falls back
to the Dutch one, and a missing key shows the key itself, so a forgotten text
is visible but never crashes the app.
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "INDICATOR_LABELS_EN",
    "LANGUAGES",
    "SHORT_LABELS_EN",
    "TEXTS",
    "THEME_LABELS_EN",
    "EMPTY",
    "HOTSPOT_LABELS",
    "CLUSTER_WORDS_EN",
    "hotspot_label",
    "theme_label",
    "t",
]

#: What a missing value looks like, in every language (tables, side panel, profile).
EMPTY = "–"

#: Language code → its name as shown in the language switch.
LANGUAGES: dict[str, str] = {"nl": "Nederlands", "en": "English"}

#: English labels of the built-in indicators (``layers.INDICATORS``; Dutch is ``label_nl``).
INDICATOR_LABELS_EN: dict[str, str] = {
    "pct_corporation_owned": "Dwellings owned by a housing corporation (%)",
    "pct_rental": "Rented dwellings (%)",
    "bijstand_per_1000_15_65": "Social assistance (bijstand) per 1,000 inhabitants aged 15-65",
    "other_benefits_per_1000_15_65": "Disability and unemployment benefits per 1,000 aged 15-65",
    "benefits_per_1000_15_65": "All benefits (bijstand, AO, WW) per 1,000 inhabitants aged 15-65",
    "wmo_per_1000": "Wmo clients per 1,000 inhabitants",
    "wmo_age_index": "Wmo use against expected for age (index, 100 = expected)",
    "youth_care_pct": "Young people in youth care (%)",
    "youth_care_age_index": "Youth care against expected for age (index, 100 = expected)",
    "pct_persons_poverty": "Persons in poverty (%)",
    "pct_households_social_minimum": "Households at or below the social minimum (%)",
    "pct_households_low_income": "Households with a low income (%)",
    "pct_households_lowest_income_40": "Households in the national lowest 40% of incomes (%)",
    "avg_income_per_inhabitant": "Average income per inhabitant (x 1,000 euro)",
}

#: English names of the themes of the built-in profiles (``layers.PROFILES``), by theme
#: key; ``"<profile>/<theme>"`` where a profile's theme of that key is another one.
THEME_LABELS_EN: dict[str, str] = {
    "wonen": "Corporation housing",
    "bijstand": "Social assistance",
    "wmo": "Wmo (age-adjusted)",
    "jeugd": "Youth care (age-adjusted)",
    "armoede": "Poverty and low income",
    "ao_ww": "Disability and unemployment benefits",
    "inkomen": "Low incomes",
    "uitkeringen": "Benefits",
    "ongecorrigeerd/wmo": "Wmo (crude)",
    "ongecorrigeerd/jeugd": "Youth care (crude)",
    "dordrecht/wmo": "Wmo",
    "dordrecht/jeugd": "Youth care",
}


def theme_label(profile: str, theme: str, label_nl: str, lang: str = "nl") -> str:
    """The name of ``theme`` of ``profile`` in ``lang`` (``label_nl`` is the Dutch one).

    A theme of a custom profile (own data) keeps its own name in every language.
    """
    if lang == "nl":
        return label_nl
    return THEME_LABELS_EN.get(f"{profile}/{theme}") or THEME_LABELS_EN.get(theme, label_nl)


#: Hotspot classes of the analysis (``hotspot`` column, Local Moran's I) in legend order,
#: then the outcomes that are no class: the one table of their labels (legend, side
#: panel, profile, exports).
HOTSPOT_LABELS: dict[str, dict[str, str]] = {
    "High-High": {
        "nl": "Hotspot: hoog, omringd door hoog",
        "en": "Hotspot: high, surrounded by high",
    },
    "High-Low": {
        "nl": "Uitschieter: hoog, omringd door laag",
        "en": "Outlier: high, surrounded by low",
    },
    "Low-High": {
        "nl": "Uitschieter: laag, omringd door hoog",
        "en": "Outlier: low, surrounded by high",
    },
    "Low-Low": {
        "nl": "Coldspot: laag, omringd door laag",
        "en": "Coldspot: low, surrounded by low",
    },
    "not significant": {"nl": "Niet significant", "en": "Not significant"},
    "no neighbours": {"nl": "Geen buren", "en": "No neighbours"},
    "no data": {"nl": "Geen gegevens", "en": "No data"},
    "not computed": {"nl": "Niet berekend", "en": "Not computed"},
}


def _missing(value: object) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and value != value)


def hotspot_label(value: object, lang: str = "nl") -> str:
    """The label of a hotspot class in ``lang``; an unknown value is shown as it is."""
    if _missing(value):
        return EMPTY
    labels = HOTSPOT_LABELS.get(str(value))
    if labels is None:
        return str(value)
    return labels.get(lang, labels["nl"])


TEXTS: dict[str, dict[str, str]] = {
    # Page chrome
    "app_title": {"nl": "Stapelkaart", "en": "Stapelkaart"},
    "app_subtitle": {
        "nl": "Waar stapelen sociale opgaven zich op, per buurt en wijk?",
        "en": "Where do social problems stack up, per buurt and wijk?",
    },
    "tab_map": {"nl": "Kaart", "en": "Map"},
    "tab_profile": {"nl": "Gebiedsprofiel", "en": "Area profile"},
    "tab_compare": {"nl": "Vergelijken", "en": "Compare"},
    "tab_table": {"nl": "Tabel", "en": "Table"},
    "tab_upload": {"nl": "Eigen data", "en": "Own data"},
    "tab_about": {"nl": "Over", "en": "About"},
    # Sidebar: data
    "sb_data": {"nl": "Gegevens", "en": "Data"},
    "language": {"nl": "Taal / language", "en": "Language / taal"},
    "gemeente": {"nl": "Gemeente", "en": "Municipality"},
    "year": {"nl": "Jaar", "en": "Year"},
    "level": {"nl": "Niveau", "en": "Level"},
    "level_buurt": {"nl": "Buurten", "en": "Buurten (neighbourhoods)"},
    "level_wijk": {"nl": "Wijken", "en": "Wijken (districts)"},
    "fetch_header": {"nl": "Gegevens ophalen bij CBS", "en": "Fetch data from CBS"},
    "fetch_code": {"nl": "Gemeentecode (bijv. GM0505)", "en": "Municipality code (e.g. GM0505)"},
    "fetch_button": {"nl": "Ophalen", "en": "Fetch"},
    "fetch_bad_code": {
        "nl": "Geef een gemeentecode als GM0505 (GM en vier cijfers).",
        "en": "Enter a municipality code like GM0505 (GM and four digits).",
    },
    "auto": {"nl": "automatisch", "en": "automatic"},
    "fetch_running": {"nl": "Gegevens ophalen…", "en": "Fetching data…"},
    "fetch_done": {"nl": "Gegevens opgehaald.", "en": "Data fetched."},
    "fetch_failed": {"nl": "Ophalen mislukt.", "en": "Fetching failed."},
    "demo_notice": {
        "nl": "Fictieve voorbeelddata: Stapeldam bestaat niet. Alle cijfers zijn door "
        "Stapelkaart gegenereerd om de werking te tonen.",
        "en": "Fictitious example data: Stapeldam does not exist. All figures were generated "
        "by Stapelkaart to show how it works.",
    },
    "stale_notice": {
        "nl": "CBS is nu niet bereikbaar. U ziet gegevens uit de lokale opslag van {age} geleden.",
        "en": "CBS cannot be reached now. You are seeing cached data from {age} ago.",
    },
    "params_notice": {
        "nl": "Niet alle instellingen uit de link waren geldig; standaardwaarden gebruikt "
        "voor: {names}.",
        "en": "Not all settings in the link were valid; defaults used for: {names}.",
    },
    "analysis_completing": {
        "nl": "Clusters en hotspots berekenen…",
        "en": "Computing clusters and hotspots…",
    },
    "unexpected_error": {
        "nl": "Er ging iets onverwachts mis. Probeer het opnieuw of kies andere instellingen.",
        "en": "Something unexpected went wrong. Try again or choose other settings.",
    },
    # Sidebar: analysis settings
    "sb_analysis": {"nl": "Analyse-instellingen", "en": "Analysis settings"},
    "profile": {"nl": "Indicatorprofiel", "en": "Indicator profile"},
    "threshold": {"nl": "Drempel 'hoog' (percentiel)", "en": "Threshold 'high' (percentile)"},
    "threshold_help": {
        "nl": "Een thema telt als hoog als het gebied op of boven dit percentiel ligt.",
        "en": "A theme counts as high when the area is at or above this percentile.",
    },
    "scope": {"nl": "Vergelijken met", "en": "Compare with"},
    "scope_gemeente": {"nl": "Gebieden in de gemeente", "en": "Areas in the municipality"},
    "scope_national": {"nl": "Heel Nederland", "en": "All of the Netherlands"},
    "scope_selection": {
        "nl": "Gebieden in een set gemeenten",
        "en": "Areas in a set of municipalities",
    },
    "scope_members": {
        "nl": "Vergelijken met de gebieden van (naast de eigen gemeente)",
        "en": "Compare with the areas of (besides this municipality)",
    },
    "scope_note_demo": {
        "nl": "Stapeldam is fictief: vergelijken met andere gemeenten of met heel Nederland "
        "kan alleen met echte CBS-gegevens.",
        "en": "Stapeldam is fictitious: comparing with other municipalities or the whole "
        "country needs real CBS data.",
    },
    "scope_note_upload": {
        "nl": "Met eigen gegevens wordt alleen binnen de gemeente vergeleken: andere gemeenten "
        "hebben die gegevens niet.",
        "en": "With own data, areas are compared within the municipality only: other "
        "municipalities do not have that data.",
    },
    "scope_note_selection": {
        "nl": "Vergelijken met andere gemeenten kan zodra hun gegevens van {year} zijn "
        "opgehaald (Gegevens ophalen bij CBS).",
        "en": "Comparing with other municipalities becomes possible once their {year} data "
        "has been fetched (Fetch data from CBS).",
    },
    "scope_note_national": {
        "nl": "Vergelijken met heel Nederland kan nadat de gegevens van alle gemeenten van "
        "{year} zijn opgehaald (stapelkaart ingest --year {year} --whole-country).",
        "en": "Comparing with the whole country becomes possible once the {year} data of all "
        "municipalities has been fetched (stapelkaart ingest --year {year} --whole-country).",
    },
    "cluster_method": {"nl": "Clustermethode", "en": "Clustering method"},
    "n_clusters": {"nl": "Aantal clusters (k)", "en": "Number of clusters (k)"},
    "alpha": {"nl": "Significantieniveau hotspots", "en": "Hotspot significance level"},
    "sb_map": {"nl": "Kaartweergave", "en": "Map display"},
    "layer": {"nl": "Kaartlaag", "en": "Map layer"},
    "scheme": {"nl": "Klassenindeling", "en": "Classification"},
    "scheme_quantiles": {"nl": "Kwantielen", "en": "Quantiles"},
    "scheme_natural_breaks": {"nl": "Natuurlijke grenzen", "en": "Natural breaks"},
    "scheme_equal_interval": {"nl": "Gelijke intervallen", "en": "Equal intervals"},
    "n_classes": {"nl": "Aantal klassen", "en": "Number of classes"},
    "show_wijken": {"nl": "Wijkgrenzen tonen", "en": "Show wijk boundaries"},
    "basemap": {"nl": "Achtergrondkaart", "en": "Basemap"},
    "basemap_pdok_grijs": {"nl": "PDOK grijs", "en": "PDOK grey"},
    "basemap_osm": {"nl": "OpenStreetMap", "en": "OpenStreetMap"},
    "basemap_none": {"nl": "Geen", "en": "None"},
    "share_link": {
        "nl": "De link in de adresbalk bevat alle instellingen: kopieer hem om deze weergave "
        "te delen.",
        "en": "The link in the address bar holds every setting: copy it to share this view.",
    },
    # Layers
    "layer_stacking_score": {"nl": "Stapelingsscore", "en": "Stacking score"},
    "layer_themes_high": {"nl": "Aantal hoge thema's", "en": "Number of high themes"},
    "layer_cluster_label": {"nl": "Clustertypologie", "en": "Cluster typology"},
    "layer_hotspot": {"nl": "Hotspots", "en": "Hotspots"},
    # Map page
    "stacking_area": {"nl": "Stapelgebied", "en": "Stacking area"},
    "map_selected": {"nl": "Geselecteerd gebied", "en": "Selected area"},
    "map_attribution": {"nl": "Bron: CBS, Kadaster", "en": "Source: CBS, Kadaster"},
    "map_attribution_demo": {
        "nl": "Fictieve voorbeelddata (Stapelkaart)",
        "en": "Fictitious example data (Stapelkaart)",
    },
    "map_click_hint": {
        "nl": "Klik op een gebied op de kaart of kies het in de lijst om het profiel te zien.",
        "en": "Click an area on the map or pick it from the list to see its profile.",
    },
    "map_unavailable": {
        "nl": "De kaart is nog niet beschikbaar in deze versie.",
        "en": "The map is not available in this version yet.",
    },
    # The map layer "Verandering sinds <jaar>" (views.change_map)
    "layer_verandering": {
        "nl": "Verandering over de jaren (reeksen CBS)",
        "en": "Change over the years (CBS series)",
    },
    "change_title": {"nl": "Verandering sinds {since}", "en": "Change since {since}"},
    "change_theme": {"nl": "Thema", "en": "Theme"},
    "change_period": {"nl": "Periode (van – tot)", "en": "Period (from – to)"},
    "change_signal": {
        "nl": "Omlijn gebieden met het signaal 'oplopend' (staat standaard uit)",
        "en": "Outline areas with the 'oplopend' (rising) signal (off by default)",
    },
    "change_buurt_only": {
        "nl": "Per buurt heeft CBS alleen de bijstand als reeks over de jaren; kies niveau "
        "Wijk voor Wmo, jeugdzorg en voorzieningen.",
        "en": "Per buurt CBS has series over the years for bijstand only; choose level wijk "
        "for Wmo, youth care and provisions.",
    },
    "change_theme_missing": {
        "nl": "{theme}: geen reeks in {first}–{last} voor deze gemeente en dit niveau.",
        "en": "{theme}: no series in {first}–{last} for this gemeente and level.",
    },
    "change_too_short": {
        "nl": "{theme}: te weinig jaren om een verandering te tonen (de reeks eindigt in "
        "{last}). Kies een ruimere periode.",
        "en": "{theme}: too few years to show a change (the series ends in {last}). Choose "
        "a longer period.",
    },
    "change_starts_later": {
        "nl": "{theme}: de reeks begint in {since}; de kaart toont de verandering sinds {since}.",
        "en": "{theme}: the series starts in {since}; the map shows the change since {since}.",
    },
    "change_same_year": {
        "nl": "Kies twee verschillende jaren; de kaart blijft {first}–{last} tonen.",
        "en": "Choose two different years; the map keeps showing {first}–{last}.",
    },
    "change_missing": {"nl": "geen vergelijking", "en": "no comparison"},
    "change_why_not": {"nl": "geen vergelijking: {reason}", "en": "no comparison: {reason}"},
    "change_no_series": {
        "nl": "geen vergelijking: geen reeks voor dit gebied",
        "en": "no comparison: no series for this area",
    },
    "change_no_year": {"nl": "gebied had in {year} geen cijfers", "en": "no figures in {year}"},
    "change_no_value": {
        "nl": "geen cijfer voor {year} (geheim of ontbrekend)",
        "en": "no figure for {year} (secret or missing)",
    },
    "change_values": {
        "nl": "{first} in {since}, {last_value} in {last}",
        "en": "{first} in {since}, {last_value} in {last}",
    },
    "change_harmonised": {
        "nl": "geharmoniseerd op de grenzen van {last}",
        "en": "harmonised onto the boundaries of {last}",
    },
    "change_rising": {"nl": "Oplopend (signaal)", "en": "Rising (oplopend signal)"},
    "change_none_rising": {
        "nl": "Signaal 'oplopend': geen enkel gebied is oplopend in deze periode.",
        "en": "Signal 'oplopend': no area is rising in this period.",
    },
    "change_note": {
        "nl": "{indicator}, {since} → {last}; klassen symmetrisch rond 0",
        "en": "{indicator}, {since} → {last}; classes symmetric around 0",
    },
    "change_attribution": {
        "nl": "Bron: CBS (Monitor Sociaal Domein), Kadaster",
        "en": "Source: CBS (Monitor Sociaal Domein), Kadaster",
    },
    "to_profile": {
        "nl": "Het volledige profiel staat op het tabblad Gebiedsprofiel.",
        "en": "The full profile is on the Area profile tab.",
    },
    "areas": {"nl": "Gebieden", "en": "Areas"},
    "with_stacking": {"nl": "Met stapeling", "en": "With stacking"},
    # Profile page
    "pick_area": {"nl": "Kies een gebied", "en": "Pick an area"},
    "search_area": {"nl": "Zoek een buurt of wijk…", "en": "Search a buurt or wijk…"},
    "col_indicator": {"nl": "Indicator", "en": "Indicator"},
    "col_value": {"nl": "Waarde", "en": "Value"},
    "col_gemeente": {"nl": "Gemeente", "en": "Municipality"},
    "col_national": {"nl": "Nederland", "en": "Netherlands"},
    "col_percentile": {
        "nl": "Percentiel in de gemeente (100 = hoogste)",
        "en": "Percentile in the municipality (100 = highest)",
    },
    "col_percentile_need": {
        "nl": "Percentiel (100 = grootste opgave)",
        "en": "Percentile (100 = greatest need)",
    },
    "theme": {"nl": "Thema", "en": "Theme"},
    "yes": {"nl": "ja", "en": "yes"},
    "no": {"nl": "nee", "en": "no"},
    "all_indicators": {"nl": "Alle indicatoren", "en": "All indicators"},
    "col_unit": {"nl": "Eenheid", "en": "Unit"},
    "col_high": {"nl": "Hoog", "en": "High"},
    "no_national": {
        "nl": "Een landelijke referentie verschijnt zodra de gegevens van alle gemeenten van "
        "{year} zijn opgehaald (stapelkaart ingest --year {year} --whole-country).",
        "en": "A national reference appears once the {year} data of all municipalities has "
        "been fetched (stapelkaart ingest --year {year} --whole-country).",
    },
    "no_national_demo": {
        "nl": "Stapeldam is een fictieve gemeente: er bestaat geen landelijke referentie voor "
        "deze voorbeeldcijfers, dus die wordt ook niet getoond.",
        "en": "Stapeldam is a fictitious municipality: no national reference exists for these "
        "example figures, so none is shown.",
    },
    "national_how": {
        "nl": "Gemeente: de CBS-cijfers van de gemeente zelf. Nederland: alle {n} gemeenten "
        "samen, berekend uit de CBS-cijfers per gemeente (aantallen opgeteld, percentages "
        "gewogen naar woningen, huishoudens of inwoners).",
        "en": "Municipality: CBS's own figures for the municipality. Netherlands: all {n} "
        "municipalities together, computed from CBS's figures per municipality (counts "
        "summed, percentages weighted by dwellings, households or inhabitants).",
    },
    "percentile_chart": {
        "nl": "Percentiel binnen de gemeente (100 = hoogste waarde)",
        "en": "Percentile within the municipality (100 = highest value)",
    },
    "theme_scope": {
        "nl": "Percentielen van de thema's: vergeleken met {scope}.",
        "en": "Percentiles of the themes: compared with {scope}.",
    },
    "stacking_percentile": {"nl": "Percentiel stapeling", "en": "Stacking percentile"},
    "stacking": {"nl": "Stapeling", "en": "Stacking"},
    "themes_high": {"nl": "Hoge thema's", "en": "High themes"},
    "none": {"nl": "geen", "en": "none"},
    "cluster": {"nl": "Clusterprofiel", "en": "Cluster profile"},
    "hotspot": {"nl": "Ruimtelijk patroon", "en": "Spatial pattern"},
    "rests_on": {
        "nl": "Gebaseerd op {n} indicatoren: {names}",
        "en": "Based on {n} indicators: {names}",
    },
    "rank_interval": {
        "nl": "**Hoe zeker:** percentiel {pct}, in 90 % van de redelijke varianten tussen "
        "{lo} en {hi}.",
        "en": "**How sure:** percentile {pct}, between {lo} and {hi} in 90 % of the "
        "reasonable variants.",
    },
    "stability_sentence": {
        "nl": "In {share} % van de redelijke varianten een stapelgebied ({label}).",
        "en": "A stacking area in {share} % of the reasonable variants ({label}).",
    },
    "stability_how": {
        "nl": "Redelijke varianten: drempel P75-P85, z-scores of percentielen, themagewichten "
        "±25 %, inkomen één of twee keer geteld, en toevalsruis en CBS-afronding in de "
        "aantallen ({n} varianten).",
        "en": "Reasonable variants: threshold P75-P85, z-scores or percentiles, theme "
        "weights ±25 %, income counted once or twice, and chance noise and CBS rounding in "
        "the counts ({n} variants).",
    },
    "uncertainty_pending": {
        "nl": "De zekerheid van de rangorde wordt nog berekend.",
        "en": "How sure the rank is, is still being computed.",
    },
    "reliability": {"nl": "Betrouwbaarheid", "en": "Reliability"},
    "reliability_high": {"nl": "betrouwbaar", "en": "reliable"},
    "reliability_moderate": {"nl": "redelijk betrouwbaar", "en": "fairly reliable"},
    "reliability_low": {"nl": "rust op weinig inwoners", "en": "rests on few residents"},
    "reliability_unknown": {"nl": "onbekend", "en": "unknown"},
    "reliability_low_note": {
        "nl": "De cijfers van dit gebied rusten op weinig inwoners: toeval en de afronding "
        "door CBS wegen zwaar. Vergelijk de ruwe en de gladgestreken waarde.",
        "en": "This area's figures rest on few residents: chance and CBS's rounding weigh "
        "heavily. Compare the raw and the smoothed value.",
    },
    "stability_stable": {"nl": "stabiel stapelgebied", "en": "stable stacking area"},
    "stability_borderline": {"nl": "twijfelgeval", "en": "borderline"},
    "stability_rarely": {"nl": "zelden stapelgebied", "en": "rarely a stacking area"},
    "stability_unknown": {"nl": "geen score", "en": "no score"},
    "stability_not computed": {"nl": "niet berekend", "en": "not computed"},
    "col_raw": {"nl": "Waarde (ruw)", "en": "Value (raw)"},
    "col_smoothed": {"nl": "Gladgestreken", "en": "Smoothed"},
    "col_pct_lo": {"nl": "Percentiel laag (5 %)", "en": "Percentile low (5 %)"},
    "col_pct_hi": {"nl": "Percentiel hoog (95 %)", "en": "Percentile high (95 %)"},
    "col_stability": {"nl": "Stabiliteit (%)", "en": "Stability (%)"},
    # One short line: a longer legend row pushed the legend over the areas (browser test).
    "legend_doubtful": {"nl": "twijfelgeval", "en": "borderline"},
    "download_profile": {
        "nl": "Afdrukbaar gebiedsprofiel (HTML)",
        "en": "Printable area profile (HTML)",
    },
    "analysis_unavailable": {
        "nl": "De stapelingsanalyse is nog niet beschikbaar; u ziet alleen de indicatoren.",
        "en": "The stacking analysis is not available yet; you see the indicators only.",
    },
    # Compare page
    "compare_pick": {"nl": "Kies twee of meer gebieden", "en": "Pick two or more areas"},
    "compare_placeholder": {"nl": "Kies gebieden…", "en": "Choose areas…"},
    "scope_members_placeholder": {"nl": "Kies gemeenten…", "en": "Choose gemeenten…"},
    "compare_hint": {
        "nl": "Kies minstens twee gebieden om ze naast elkaar te zien.",
        "en": "Pick at least two areas to see them side by side.",
    },
    # Table page
    "table_caption": {
        "nl": "Alle gebieden; klik op een kolomkop om te sorteren.",
        "en": "All areas; click a column header to sort.",
    },
    "downloads": {"nl": "Downloads", "en": "Downloads"},
    "dl_csv": {"nl": "CSV", "en": "CSV"},
    "dl_xlsx": {"nl": "Excel (XLSX)", "en": "Excel (XLSX)"},
    "dl_geojson": {"nl": "GeoJSON", "en": "GeoJSON"},
    "dl_gpkg": {"nl": "GeoPackage", "en": "GeoPackage"},
    "export_note": {
        "nl": "Elke download vermeldt de bronnen, de analyse-instellingen en de toegepaste "
        "onderdrukking van kleine aantallen.",
        "en": "Every download states its sources, the analysis settings and the suppression "
        "of small numbers applied.",
    },
    # Upload page
    "upload_intro": {
        "nl": "Voeg eigen, geaggregeerde cijfers per buurt of wijk toe. U ziet eerst een "
        "controle en voorbeeld; pas na bevestigen worden ze gekoppeld.",
        "en": "Add your own aggregated figures per buurt or wijk. You first see a check and "
        "preview; they are joined only after you confirm.",
    },
    "upload_active": {
        "nl": "Eigen gegevens gekoppeld: {names}.",
        "en": "Own data joined: {names}.",
    },
    # Uploads, roles and exports (wiring)
    "upload_level": {"nl": "Niveau van het bestand", "en": "Level of the file"},
    "upload_name": {"nl": "Naam van de gegevens", "en": "Name of the dataset"},
    "upload_name_help": {
        "nl": "Korte naam, bijvoorbeeld wmo_2024. Rollen verwijzen naar deze naam.",
        "en": "Short name, e.g. wmo_2024. Roles refer to this name.",
    },
    "upload_no_permission": {
        "nl": "Uw rol ({role}) mag geen eigen gegevens toevoegen.",
        "en": "Your role ({role}) may not add own data.",
    },
    "upload_no_datasets": {
        "nl": "Uw rol ({role}) mag geen eigen gegevens zien; uploaden heeft daarom geen zin.",
        "en": "Your role ({role}) may not see own data, so uploading is of no use.",
    },
    "upload_joined": {
        "nl": "Gekoppeld als '{name}': {layers}. Kies ze als kaartlaag in de zijbalk.",
        "en": "Joined as '{name}': {layers}. Choose them as map layer in the sidebar.",
    },
    "upload_suppressed": {
        "nl": "Verborgen: {n} cel(len) op dit niveau: kleine aantallen, en waar nodig andere "
        "cellen, zodat niemand herkenbaar is en niets terug te rekenen is.",
        "en": "Hidden: {n} cell(s) at this level: small numbers and, where needed, other cells, "
        "so that nobody can be recognised and nothing can be worked out.",
    },
    "upload_join_failed": {
        "nl": "De gegevens konden niet gekoppeld worden: {reason}. Er is niets veranderd.",
        "en": "The data could not be joined: {reason}. Nothing was changed.",
    },
    "upload_not_this_level": {
        "nl": "Het bestand heeft wijkcodes; op buurtniveau zijn er geen eigen gegevens.",
        "en": "The file has wijk codes; there is no own data at buurt level.",
    },
    # Stored datasets (shared by every allowed user) and the audit log
    "ds_title": {"nl": "Opgeslagen eigen gegevens", "en": "Stored own data"},
    "ds_intro": {
        "nl": "Bevestigde gegevens worden na afscherming opgeslagen en zijn zichtbaar voor "
        "iedereen wiens rol dat toestaat. Alleen de nieuwste versie wordt getoond.",
        "en": "Confirmed data is stored after suppression and is visible to everyone whose "
        "role allows it. Only the latest version is shown.",
    },
    "ds_none": {
        "nl": "Voor deze gemeente en dit jaar zijn geen opgeslagen eigen gegevens die u mag zien.",
        "en": "There is no stored own data for this gemeente and year that you may see.",
    },
    "ds_row": {
        "nl": "**{name}** · versie {version} · {rows} rijen ({level}) · {cells} cel(len) "
        "afgeschermd · van {by} ({role}) · {at} · bestand {file}",
        "en": "**{name}** · version {version} · {rows} rows ({level}) · {cells} cell(s) "
        "suppressed · by {by} ({role}) · {at} · file {file}",
    },
    "ds_remove": {"nl": "Verwijderen voor iedereen", "en": "Remove for everyone"},
    "ds_removed": {
        "nl": "'{name}' (versie {version}) is verwijderd voor iedereen.",
        "en": "'{name}' (version {version}) was removed for everyone.",
    },
    "ds_saved": {
        "nl": "Opgeslagen als '{name}', versie {version}. Iedereen wiens rol dit toestaat ziet "
        "het bij de volgende actie, zonder zelf iets te uploaden.",
        "en": "Stored as '{name}', version {version}. Everyone whose role allows it sees it on "
        "their next action, without uploading anything.",
    },
    "ds_replaces": {
        "nl": "Er bestaat al een dataset '{name}' (versie {version}, van {by}). Bevestigen maakt "
        "versie {next}; de oude versie blijft alleen in het auditlog.",
        "en": "A dataset '{name}' exists (version {version}, by {by}). Confirming makes version "
        "{next}; the old version stays in the audit log only.",
    },
    "ds_skipped": {
        "nl": "Niet getoond omdat een kolomnaam al door een andere dataset gebruikt wordt of de "
        "gebieden niet passen: {names}.",
        "en": "Not shown because a column name is taken by another dataset or the areas do not "
        "fit: {names}.",
    },
    "audit_title": {"nl": "Auditlog", "en": "Audit log"},
    "audit_intro": {
        "nl": "Elke upload, vervanging, verwijdering en download: wie, wat, wanneer en met "
        "welke rol. Het log kan vanuit de app alleen worden aangevuld.",
        "en": "Every upload, replacement, removal and download: who, what, when and with which "
        "role. The app can only add to the log.",
    },
    "audit_download": {"nl": "Auditlog downloaden (CSV)", "en": "Download audit log (CSV)"},
    "audit_empty": {"nl": "Het auditlog is nog leeg.", "en": "The audit log is empty."},
    "suppressed_caption": {
        "nl": "Lege cellen bij eigen gegevens zijn verborgen (kleine aantallen, of nodig om die "
        "te beschermen): {n} cel(len).",
        "en": "Empty cells of own data are hidden (small numbers, or needed to protect them): "
        "{n} cell(s).",
    },
    "suppressed_area": {
        "nl": "Onderdrukt (kleine aantallen) in dit gebied:",
        "en": "Suppressed (small numbers) in this area:",
    },
    "export_not_allowed": {
        "nl": "Uw rol ({role}) mag op dit niveau geen gegevens downloaden.",
        "en": "Your role ({role}) may not download data at this level.",
    },
    "account_local": {
        "nl": "Lokaal gebruik (één gebruiker), rol: {role}",
        "en": "Local use (single user), role: {role}",
    },
    "account_user": {"nl": "Ingelogd als {email} ({role})", "en": "Logged in as {email} ({role})"},
    "logout": {"nl": "Uitloggen", "en": "Log out"},
    "role_lookup_failed": {
        "nl": "Uw rol kon niet worden vastgesteld, dus u krijgt geen toegang. Probeer het later "
        "opnieuw of vraag de beheerder van Stapelkaart in uw gemeente om hulp.",
        "en": "Your role could not be determined, so you get no access. Try again later or ask "
        "the Stapelkaart administrator in your municipality for help.",
    },
    "role_none": {
        "nl": "U heeft geen toegang: aan uw account is geen rol toegekend. Vraag de beheerder "
        "van Stapelkaart in uw gemeente om toegang.",
        "en": "You have no access: no role has been assigned to your account. Ask the "
        "Stapelkaart administrator in your municipality for access.",
    },
    "role_no_levels": {
        "nl": "Uw rol ({role}) heeft geen toegang tot cijfers per buurt of wijk. Vraag de "
        "beheerder van Stapelkaart in uw gemeente om toegang.",
        "en": "Your role ({role}) has no access to figures per buurt or wijk. Ask your "
        "municipality's Stapelkaart administrator for access.",
    },
    # About page
    "about_md": {
        "nl": """
### Over Stapelkaart
Stapelkaart laat zien in welke buurten en wijken sociale opgaven zich **opstapelen**:
veel corporatiewoningen, veel mensen in de bijstand of met een uitkering, veel Wmo-gebruik
en veel jeugdzorg.

#### Bronnen
- **CBS Kerncijfers Wijken en Buurten** (KWB), via de open data-dienst van CBS (StatLine, OData).
- **CBS/Kadaster Wijk- en buurtkaart** (gebiedsgrenzen), via PDOK.
- Achtergrondkaart: **PDOK BRT-Achtergrondkaart** (Kadaster) of **OpenStreetMap**
  (© OpenStreetMap-bijdragers).
- Bron: CBS, Kadaster. Deze gegevens vallen onder de licentie **CC BY 4.0**
  (Naamsvermelding 4.0 Internationaal).

#### Methode in het kort
1. Per thema (wonen, inkomen en uitkeringen, zorg) worden indicatoren omgezet naar een
   percentiel binnen de gekozen vergelijkingsgroep.
2. Een thema telt als **hoog** als het gebied op of boven de gekozen drempel ligt;
   de **stapelingsscore** combineert de thema's, het **aantal hoge thema's** telt ze.
3. Een **clustertypologie** groepeert gebieden met een vergelijkbaar profiel.
4. **Hotspots** (Local Moran's I) tonen waar hoge of lage waarden ruimtelijk samenvallen,
   op het gekozen significantieniveau.

Een hoge score is een signaal om het gesprek te beginnen, geen oordeel over een buurt of
haar bewoners.

#### Privacy
Stapelkaart gebruikt alleen **geaggregeerde** cijfers per buurt of wijk, nooit gegevens over
personen. Kleine aantallen worden **onderdrukt** (niet getoond) zodat niemand herkenbaar is;
waarden die CBS geheimhoudt, blijven leeg. Eigen gegevens die u uploadt, blijven in deze
sessie en worden niet opgeslagen of gedeeld.
""",
        "en": """
### About Stapelkaart
Stapelkaart shows in which buurten and wijken social problems **stack up**: many
housing-corporation dwellings, many people on social assistance or benefits, high Wmo use and
high youth care use.

#### Sources
- **CBS Kerncijfers Wijken en Buurten** (KWB), via the CBS open data service (StatLine, OData).
- **CBS/Kadaster Wijk- en buurtkaart** (area boundaries), via PDOK.
- Basemap: **PDOK BRT-Achtergrondkaart** (Kadaster) or **OpenStreetMap**
  (© OpenStreetMap contributors).
- Source: CBS, Kadaster. This data is licensed under **CC BY 4.0**.

#### Method in short
1. Per theme (housing, income and benefits, care) indicators become a percentile within the
   chosen comparison group.
2. A theme counts as **high** when the area is at or above the chosen threshold; the
   **stacking score** combines the themes, the **number of high themes** counts them.
3. A **cluster typology** groups areas with a similar profile.
4. **Hotspots** (Local Moran's I) show where high or low values coincide in space, at the
   chosen significance level.

A high score is a reason to start a conversation, not a judgement of a buurt or its residents.

#### Privacy
Stapelkaart only uses **aggregated** figures per buurt or wijk, never data about persons.
Small numbers are **suppressed** (not shown) so that nobody can be recognised; values CBS keeps
secret stay empty. Own data you upload stays in this session and is neither stored nor shared.
""",
    },
    "about_data": {"nl": "Huidige gegevens", "en": "Current data"},
    # Age of a cached copy, in the stale-data notice.
    "age_minutes": {"nl": "{n} minuten", "en": "{n} minutes"},
    "age_hours": {"nl": "{n} uur", "en": "{n} hours"},
    "age_days": {"nl": "{n} dagen", "en": "{n} days"},
    # The upload form (views.upload_view).
    "upload_form_title": {"nl": "Eigen cijfers toevoegen", "en": "Add own figures"},
    "upload_form_intro": {
        "nl": "Alleen geaggregeerde aantallen per {level} (één regel per gebied, een kolom met "
        "CBS-codes of gebiedsnamen en kolommen met aantallen; exports uit 'in Cijfers' werken "
        "ook). Nooit gegevens over personen. Cellen kleiner dan {threshold} worden afgeschermd.",
        "en": "Only aggregated counts per {level} (one row per area, a column of CBS codes or area "
        "names and columns of counts; 'in Cijfers' exports work too). Never data about persons."
        " Cells below {threshold} are suppressed.",
    },
    "upload_form_choose": {
        "nl": "Kies een CSV- of Excel-bestand",
        "en": "Choose a CSV or Excel file",
    },
    "upload_form_choose_help": {
        "nl": "CSV met puntkomma, komma of tab; Excel (.xlsx) zonder macro's.",
        "en": "CSV with semicolon, comma or tab; Excel (.xlsx) without macros.",
    },
    "upload_form_sheet": {"nl": "Werkblad", "en": "Sheet"},
    "upload_form_sheet_help": {
        "nl": "De werkmap heeft meer werkbladen; kies het juiste.",
        "en": "The workbook has several sheets; choose the right one.",
    },
    "upload_form_in_use": {
        "nl": "In gebruik: {n} gebieden, {k} kolom(men).",
        "en": "In use: {n} areas, {k} column(s).",
    },
    "upload_form_file": {"nl": "Bestand: ", "en": "File: "},
    "upload_form_remove": {"nl": "Eigen cijfers verwijderen", "en": "Remove own figures"},
    "upload_form_no_den": {"nl": "(geen noemer)", "en": "(no denominator)"},
    "upload_form_pairs": {
        "nl": "Teller en noemer (optioneel)",
        "en": "Numerator and denominator (optional)",
    },
    "upload_form_pairs_help": {
        "nl": "Kies per kolom met aantallen de kolom waar het een deel van is, bijvoorbeeld "
        "Wmo-cliënten van inwoners. Een teller mag nooit groter zijn dan zijn noemer.",
        "en": "For each count column, choose the column it is part of, e.g. Wmo clients of "
        "inhabitants. A numerator may never exceed its denominator.",
    },
    "upload_form_preview": {
        "nl": "**Voorbeeld van het bestand** (eerste regels)",
        "en": "**Preview of the file** (first rows)",
    },
    "upload_form_checked": {
        "nl": "Het bestand is gecontroleerd: {n} gebieden, geen fouten",
        "en": "The file was checked: {n} areas, no errors",
    },
    "upload_form_warnings": {"nl": ", {n} waarschuwing(en).", "en": ", {n} warning(s)."},
    "upload_form_refused": {
        "nl": "Het bestand kan niet gebruikt worden: {n} fout(en). Er is niets opgeslagen; de "
        "eerder gebruikte gegevens blijven ongewijzigd.",
        "en": "The file cannot be used: {n} error(s). Nothing was stored; the data used before "
        "stays unchanged.",
    },
    "upload_form_below": {
        "nl": "**Cellen onder de drempel** (worden afgeschermd)",
        "en": "**Cells below the threshold** (will be suppressed)",
    },
    "upload_form_code": {"nl": "Code", "en": "Code"},
    "upload_form_column": {"nl": "Kolom", "en": "Column"},
    "upload_form_value": {"nl": "Waarde", "en": "Value"},
    "upload_form_confirm": {"nl": "Gegevens gebruiken", "en": "Use the data"},
    "upload_form_names_title": {
        "nl": "**Gebiedsnamen gekoppeld aan CBS-gebieden**",
        "en": "**Area names matched to CBS areas**",
    },
    "upload_form_names_summary": {
        "nl": "{matched} van de {total} namen gekoppeld ({exact} precies gelijk, {normalised} na "
        "gelijktrekken van hoofdletters, 'Buurt ' en 'e.o.', {accepted} door u gekozen); "
        "{suggested} nog te kiezen, {unmatched} niet gevonden. Alleen gekoppelde regels worden "
        "gebruikt.",
        "en": "{matched} of the {total} names matched ({exact} exact, {normalised} after "
        "normalising "
        "case, 'Buurt ' and 'e.o.', {accepted} chosen by you); {suggested} still to choose, "
        "{unmatched} not found. Only matched rows are used.",
    },
    "upload_form_names_choose": {
        "nl": "Bijna gelijke namen: kies het juiste CBS-gebied",
        "en": "Near misses: choose the right CBS area",
    },
    "upload_form_names_choose_help": {
        "nl": "Deze namen komen niet precies voor bij CBS. Kies per naam het gebied dat "
        "bedoeld is; "
        "zonder keuze wordt de regel niet gebruikt.",
        "en": "These names do not occur exactly at CBS. Choose the intended area for each name; "
        "without a choice the row is not used.",
    },
    "upload_form_names_skip": {"nl": "(niet gebruiken)", "en": "(do not use)"},
    "upload_form_names_unmatched": {
        "nl": "**Niet gevonden** (deze regels worden niet gebruikt)",
        "en": "**Not found** (these rows are not used)",
    },
    "upload_form_names_file": {"nl": "Naam in het bestand", "en": "Name in the file"},
    "upload_form_names_cbs": {"nl": "CBS-naam", "en": "CBS name"},
    "upload_form_names_how": {"nl": "Koppeling", "en": "Match"},
    "upload_form_how_exact": {"nl": "precies gelijk", "en": "exact"},
    "upload_form_how_normalised": {"nl": "na gelijktrekken", "en": "normalised"},
    "upload_form_how_accepted": {"nl": "door u gekozen", "en": "chosen by you"},
    # Fixed texts on the map (mapview.legend.MAP_TEXT_KEYS).
    "map_no_data": {
        "nl": "geen gegevens / onderdrukt",
        "en": "no data / suppressed",
    },  # legend row of hatched areas
    # tooltip of an area without a value
    "map_missing": {"nl": "geen gegevens", "en": "no data"},
    "map_suppressed": {
        "nl": "onderdrukt (kleine aantallen)",
        "en": "suppressed (small numbers)",
    },  # tooltip of a suppressed area
    "map_wijk_boundary": {
        "nl": "Wijkgrens",
        "en": "District boundary (wijk)",
    },  # legend row of the wijk outlines
    "map_basemap_unavailable": {
        "nl": "Achtergrondkaart niet beschikbaar",
        "en": "Basemap unavailable",
    },  # note when tiles fail
    "map_legend_hide": {
        "nl": "Legenda verbergen",
        "en": "Hide legend",
    },  # fold button of the legend
    "map_legend_show": {"nl": "Legenda tonen", "en": "Show legend"},
    "map_number_format": {
        "nl": "nl",
        "en": "en",
    },  # "nl": 1.234,5 – "en": 1,234.5 (tooltips and legend)
    "map_unit_percent": {"nl": "%", "en": "%"},
    "map_unit_count": {"nl": "aantal", "en": "number"},
    "map_unit_per_1000": {"nl": "per 1.000 inwoners", "en": "per 1,000 inhabitants"},
    "map_unit_x1000_euro": {"nl": "euro", "en": "euro"},
    "map_unit_ha": {"nl": "hectare", "en": "hectares"},
    "map_unit_per_km2": {"nl": "inwoners per km²", "en": "inhabitants per km²"},
    "map_unit_index": {"nl": "index", "en": "index"},
    # legend rows of the change layer ({value}, {low}, {high}: signed numbers)
    "map_change_below": {"nl": "lager dan {value}", "en": "below {value}"},
    "map_change_range": {"nl": "{low} tot {high}", "en": "{low} to {high}"},
    "map_change_flat": {
        "nl": "{low} tot {high} (vrijwel gelijk)",
        "en": "{low} to {high} (nearly unchanged)",
    },
    "map_change_above": {"nl": "hoger dan {value}", "en": "above {value}"},
    # --- trends over the years (issue 12) ---
    "trend_theme_wmo": {"nl": "Wmo-cliënten", "en": "Wmo clients"},
    "trend_theme_jeugdzorg": {"nl": "Jeugdzorg in natura", "en": "Youth care in kind"},
    "trend_theme_voorzieningen": {
        "nl": "Voorzieningen sociaal domein",
        "en": "Social-domain provisions",
    },
    "trend_theme_bijstand": {"nl": "Bijstand", "en": "Social assistance"},
    "trend_ind_wmo_clients": {"nl": "Wmo-cliënten", "en": "Wmo clients"},
    "trend_ind_wmo_clients_per_1000": {
        "nl": "Wmo-cliënten per 1.000 inwoners",
        "en": "Wmo clients per 1,000 inhabitants",
    },
    "trend_ind_youth_care_clients": {
        "nl": "Jongeren met jeugdzorg in natura",
        "en": "Young people with youth care in kind",
    },
    "trend_ind_sd_clients": {
        "nl": "Cliënten met een voorziening sociaal domein",
        "en": "Clients with a social-domain provision",
    },
    "trend_ind_sd_clients_per_1000": {
        "nl": "Cliënten met een voorziening per 1.000 inwoners",
        "en": "Clients with a provision per 1,000 inhabitants",
    },
    "trend_ind_bijstand_recipients": {"nl": "Personen met bijstand", "en": "Persons on bijstand"},
    "trend_ind_bijstand_pct": {
        "nl": "Bijstand, % van de inwoners van 15 jaar tot de AOW-leeftijd",
        "en": "Bijstand, % of inhabitants from 15 to state pension age",
    },
    "trend_heading": {
        "nl": "Ontwikkeling over de jaren ({first}–{last})",
        "en": "Change over the years ({first}–{last})",
    },
    "trend_line_nederland": {
        "nl": "Nederland ({n} gemeenten)",
        "en": "Netherlands ({n} municipalities)",
    },
    "trend_line_gemeente": {"nl": "Gemeente {name}", "en": "Municipality {name}"},
    "trend_col_year": {"nl": "Jaar", "en": "Year"},
    "trend_col_value": {"nl": "Waarde", "en": "Value"},
    "trend_col_line": {"nl": "Lijn", "en": "Line"},
    "trend_col_area": {"nl": "Gebied", "en": "Area"},
    "trend_col_theme": {"nl": "Thema", "en": "Theme"},
    "trend_col_slope": {"nl": "Helling per jaar", "en": "Slope per year"},
    "trend_col_change": {"nl": "Verandering", "en": "Change"},
    "trend_col_change_rel": {"nl": "Verandering (%)", "en": "Change (%)"},
    "trend_col_comparable": {"nl": "Vergelijkbaar", "en": "Comparable"},
    "trend_col_reason": {"nl": "Reden geen trend", "en": "Reason for no trend"},
    "trend_col_flag": {"nl": "Oplopend", "en": "Rising (oplopend)"},
    "trend_col_comparable_period": {
        "nl": "Vergelijkbaar met {last}",
        "en": "Comparable with {last}",
    },
    "trend_up": {"nl": "stijgt", "en": "rises"},
    "trend_down": {"nl": "daalt", "en": "falls"},
    "trend_flat": {"nl": "blijft gelijk", "en": "stays level"},
    "trend_sentence": {
        "nl": "{indicator} {direction}: helling {slope} per jaar; van {first_value} in "
        "{first_year} naar {last_value} in {last_year} ({change}{rel}).",
        "en": "{indicator} {direction}: slope {slope} per year; from {first_value} in "
        "{first_year} to {last_value} in {last_year} ({change}{rel}).",
    },
    "trend_refused": {"nl": "Geen trend: {reason}.", "en": "No trend: {reason}."},
    "trend_no_area_series": {
        "nl": "Geen reeks voor dit gebied in de CBS-tabellen.",
        "en": "No series for this area in the CBS tables.",
    },
    "trend_harmonised_some": {
        "nl": "Geharmoniseerd op de laatste grenzen: {n} van de {total} gebiedsjaren "
        "({methods}; samenvoeging = gemeenten opgeteld, oppervlakte/bevolking = herverdeeld "
        "naar de nieuwe grenzen, koppeling = nieuwe code met dezelfde grenzen).",
        "en": "Harmonised onto the latest boundaries: {n} of {total} area-years ({methods}; "
        "samenvoeging = gemeenten summed, oppervlakte/bevolking = redistributed onto the new "
        "boundaries, koppeling = new code, same boundaries).",
    },
    "trend_flagged": {"nl": "Signaal: oplopend.", "en": "Signal: rising (oplopend)."},
    "trend_not_flagged": {"nl": "Signaal: niet oplopend.", "en": "Signal: not rising."},
    "trend_signal_toggle": {
        "nl": "Toon het signaal 'oplopend' (staat standaard uit)",
        "en": "Show the 'oplopend' (rising) signal (off by default)",
    },
    "trend_signal_off": {
        "nl": "Het signaal 'oplopend' staat standaard uit: in de backtest (docs/analysis.md) was "
        "het niet beter dan de basislijnen 'nu al hoog' en 'willekeurig'.",
        "en": "The 'oplopend' signal is off by default: in the backtest (docs/analysis.md) it "
        "was no better than the baselines 'already high now' and 'random'.",
    },
    "trend_rule_label": {"nl": "Trendregel", "en": "Trend rule (in Dutch)"},
    "trend_sources": {
        "nl": "Bron: CBS, tabellen achter de Monitor Sociaal Domein ({tables}); per jaar het "
        "1e halfjaar (bijstand: eind juni). CBS rondt aantallen af op 5.",
        "en": "Source: CBS, the tables behind the Monitor Sociaal Domein ({tables}); per year "
        "the first half-year (bijstand: end of June). CBS rounds counts to 5.",
    },
    "trend_not_harmonised_why": {
        "nl": "{theme}: niet geharmoniseerd ({why}); gebieden met gewijzigde grenzen krijgen "
        "geen trend.",
        "en": "{theme}: not harmonised ({why}); areas whose boundaries changed get no trend.",
    },
    "trend_theme_stapeling": {"nl": "Stapeling", "en": "Stacking"},
    "trend_ind_stacking_percentile": {
        "nl": "percentiel van de stapelscore binnen de gemeente (0-100, op de cijfers per "
        "inwoner van de reeksen)",
        "en": "percentile of the stacking score within the municipality (0-100, on the "
        "series' rates)",
    },
    "trend_sources_demo": {
        "nl": "Bron: fictieve reeksen die Stapelkaart voor Stapeldam genereert; geen CBS-cijfers. "
        "Net als bij CBS per jaar het 1e halfjaar (bijstand: eind juni), aantallen afgerond op 5.",
        "en": "Source: fictitious series that Stapelkaart generates for Stapeldam; no CBS "
        "figures. As with CBS, per year the first half-year (bijstand: end of June), counts "
        "rounded to 5.",
    },
    "trend_level_only": {
        "nl": "Reeksen over de jaren zijn er per wijk en per buurt (alleen bijstand).",
        "en": "Series over the years exist per wijk and per buurt (bijstand only).",
    },
    "trend_compare_heading": {
        "nl": "Ontwikkeling over de jaren ({first}–{last})",
        "en": "Change over the years ({first}–{last})",
    },
    "trend_download_csv": {
        "nl": "Reeksen over de jaren (CSV)",
        "en": "Series over the years (CSV)",
    },
    "trend_export_note": {
        "nl": "De Excel- en GeoPackage-export hebben een blad 'reeksen' met de reeksen over de "
        "jaren en de vergelijkbaarheid per periode.",
        "en": "The Excel and GeoPackage exports have a sheet 'reeksen' with the series over the "
        "years and the comparability per period.",
    },
    "trend_export_not_loaded": {
        "nl": "De reeksen over de jaren komen in de export zodra ze geladen zijn (open de tab "
        "Gebiedsprofiel).",
        "en": "The series over the years join the export once they are loaded (open the Area "
        "profile tab).",
    },
    "trend_stacking_only": {
        "nl": "Een percentiel binnen de eigen gemeente: een lijn voor de gemeente of Nederland "
        "heeft hier geen betekenis.",
        "en": "A percentile within the area's own municipality: a line for the municipality or "
        "the Netherlands has no meaning here.",
    },
    "trend_count_only": {
        "nl": "Alleen aantallen (CBS geeft hier geen cijfer per inwoner): geen lijn voor de "
        "gemeente en Nederland, want hun aantallen zijn geen maat voor één gebied.",
        "en": "Counts only (CBS gives no rate here): no line for the municipality and the "
        "Netherlands, as their counts are no yardstick for one area.",
    },
    "trend_cbs_down": {
        "nl": "CBS niet bereikbaar en niet opgeslagen",
        "en": "CBS not reachable and not stored",
    },
    "trend_no_series": {
        "nl": "Geen reeksen over de jaren voor {code} ({level}): {why}",
        "en": "No series over the years for {code} ({level}): {why}",
    },
    "trend_no_range": {
        "nl": "Voor {code} ({level}) zijn geen reeksen over de jaren beschikbaar.",
        "en": "No series over the years are available for {code} ({level}).",
    },
    "trend_theme_skipped": {
        "nl": "{theme}: niet getoond ({why}).",
        "en": "{theme}: not shown ({why}).",
    },
    "trend_theme_clipped": {
        "nl": "{theme}: CBS heeft cijfers per {level} vanaf {first}.",
        "en": "{theme}: CBS has figures per {level} from {first}.",
    },
    "trend_theme_break": {
        "nl": "{theme}: CBS veranderde de definitie in {year}; de reeks begint in {year}.",
        "en": "{theme}: CBS changed the definition in {year}; the series starts in {year}.",
    },
    "trend_national_pooled": {
        "nl": "Landelijke lijn: opgeteld over {n} gemeenten uit de opgeslagen reeksen van heel "
        "Nederland (cijfers per inwoner herberekend uit aantallen en noemers).",
        "en": "National line: pooled over {n} gemeenten from the stored whole-country series "
        "(rates recomputed from counts and denominators).",
    },
    "trend_national_missing": {
        "nl": "Geen landelijke lijn: de reeksen van heel Nederland zijn niet opgeslagen. Haal ze "
        "op met: stapelkaart trends --whole-country --level {level} --from {first} --to {last} "
        "--out reeksen.csv",
        "en": "No national line: the whole-country series are not stored. Fetch them with: "
        "stapelkaart trends --whole-country --level {level} --from {first} --to {last} "
        "--out series.csv",
    },
    "trend_loading": {"nl": "Reeksen ophalen: {text}", "en": "Fetching series: {text}"},
    "trend_not_harmonised": {
        "nl": "Niet geharmoniseerd: gebieden met gewijzigde grenzen krijgen geen trend.",
        "en": "Not harmonised: areas whose boundaries changed get no trend.",
    },
}


def t(key: str, lang: str = "nl", **values: object) -> str:
    """Return the text for ``key`` in ``lang``, with ``{placeholders}`` filled in.

    Parameters
    ----------
    key
        Key in :data:`TEXTS`.
    lang
        ``"nl"`` or ``"en"``; English falls back to Dutch when a text is missing.
    **values
        Values for the placeholders in the text.

    Returns
    -------
    str
        The text; the key itself when it is unknown.
    """
    entry = TEXTS.get(key)
    if entry is None:
        return key
    text = entry.get(lang) or entry["nl"]
    return text.format(**values) if values else text


#: Short English names of the built-in indicators (``layers.INDICATORS``) for cluster
#: labels, by indicator key; own indicators keep their own name.
SHORT_LABELS_EN: dict[str, str] = {
    "pct_corporation_owned": "corporation housing",
    "pct_rental": "rental",
    "bijstand_per_1000_15_65": "social assistance",
    "other_benefits_per_1000_15_65": "disability/unemployment benefits",
    "benefits_per_1000_15_65": "benefits",
    "wmo_per_1000": "Wmo",
    "wmo_age_index": "Wmo",
    "youth_care_pct": "youth care",
    "youth_care_age_index": "youth care",
    "pct_persons_poverty": "poverty",
    "pct_households_social_minimum": "social minimum",
    "pct_households_low_income": "low income",
    "pct_households_lowest_income_40": "low incomes",
    "avg_income_per_inhabitant": "income",
}

#: English head words of cluster labels, by the ids of ``models.typology.CLUSTER_LEVELS_NL``
#: (``insufficient``: areas without a cluster, ``models.typology.NO_CLUSTER_LABEL``).
CLUSTER_WORDS_EN: dict[str, str] = {
    "high_stacking": "high stacking",
    "elevated": "elevated",
    "few_problems": "few problems",
    "average": "average",
    "average_low": "average, low",
    "all_themes": "all themes",
    "insufficient": "insufficient data",
}
