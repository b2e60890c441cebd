"""Every figure of an edition as an accessible spreadsheet, written with ONS's gptables to the Analysis Function's
guidance on releasing statistics in spreadsheets: a cover sheet (title, status, source, contact, next update),
a contents sheet, a notes sheet, then one table per sheet, each a marked-up table with one header row, no merged
cells, and numbers stored as numbers (unrounded; the sheet shows them rounded, as the pages do).

Render only: every figure is a row of the edition's results table (``compute/results.py``), placed in the table
of its kind (``TABLES``); a kind of figure no table names goes to the last sheet, "Other figures", so that no
figure of the results table is left out.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from strategy_update.compute import spc
from strategy_update.core.periods import Quarter
from strategy_update.model.forces import force_slug
from strategy_update.model.publication import Publication
from strategy_update.render.input_names import OPEN_DATA

FOLDER = "data"  # in the work folder and the published edition, beside the results table
NO_FIGURE = "[x]"  # the Analysis Function's shorthand for a figure that is not available
FORCE_WIDE = "Force-wide"
KEY_COLUMNS = ("section", "measure", "area", "comparison", "period", "base_period")


@dataclass(frozen=True)
class Table:
    """One sheet: the figures of ``statistics`` (statistic -> column heading), one row per value of ``keys``;
    ``labels``: results columns shown as text before the figures (column -> heading, taken from the row's first
    statistic, or ``statistic.column`` from that statistic's row); ``texts``: statistics whose text is shown too
    (statistic -> heading); ``formats``: how a figure column is shown (heading -> Excel number format)."""

    sheet: str
    title: str
    statistics: dict[str, str]
    keys: tuple[str, ...]
    labels: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)
    note: str = ""  # a notes sheet reference for the title


ONE_DECIMAL, TWO_DECIMALS, PERCENT = "#,##0.0", "#,##0.00", "0%"
TABLES = (
    Table("Comparisons", "Each measure's figure compared with an earlier period",
          {"current": "Figure", "base": "Earlier figure", "change": "Change", "pct_change": "Change (%)"},
          ("section", "measure", "area", "comparison"),
          {"period_label": "Period", "base_period_label": "Compared with"}, formats={"Change (%)": ONE_DECIMAL},
          note="rounding"),
    Table("Rates", "Rates per 1,000 population",
          {"population": "Population", "rate_per_1000": "Rate per 1,000 population"},
          ("section", "measure", "area"), {"rate_per_1000.period_label": "Period",
                                           "population.period_label": "Population estimate"},
          formats={"Rate per 1,000 population": TWO_DECIMALS}, note="population"),
    Table("Series", "Each measure's figure per period (the charts' data)", {"series": "Figure"},
          ("section", "measure", "area", "period"), {"period_label": "Period"}, note="disturbed"),
    Table("Control_limits", "Control chart (XmR) mean and process limits",
          {"spc_mean": "Mean", "spc_mean_moving_range": "Mean moving range", "spc_upper": "Upper process limit",
           "spc_lower": "Lower process limit"}, ("section", "measure", "area", "period"),
          {"period_label": "Quarters charted", "base_period_label": "Limits worked out from"},
          formats={h: ONE_DECIMAL for h in ("Mean", "Mean moving range", "Upper process limit",
                                            "Lower process limit")}, note="spc"),
    Table("Control_signals", "Control chart (XmR) points and the special cause rules each is part of",
          {"spc_signal": "Figure"}, ("section", "measure", "area", "period"), {"period_label": "Quarter"},
          {"spc_signal": "Special cause rules"}, note="spc"),
    Table("Trends", "Each measure's current trend",
          {"trend_rating": "Quarters fitted", "trend_slope_pct": "Change per year (% of the mean)",
           "trend_slope_pct_lower": "Lower end of the 95% interval (%)",
           "trend_slope_pct_upper": "Upper end of the 95% interval (%)"},
          ("section", "measure", "area"), {"trend_rating.base_period_label": "From",
                                           "trend_rating.period_label": "To"},
          {"trend_rating": "Trend", "forecast_trend": "Forecast over the next four quarters"},
          formats={"Change per year (% of the mean)": ONE_DECIMAL,
                   "Lower end of the 95% interval (%)": ONE_DECIMAL,
                   "Upper end of the 95% interval (%)": ONE_DECIMAL}, note="disturbed"),
    Table("Forecasts", "Forecasts with their 80% and 95% intervals",
          {"forecast": "Forecast",
           "forecast_lower_80": "80% interval, lower", "forecast_upper_80": "80% interval, upper",
           "forecast_lower_95": "95% interval, lower", "forecast_upper_95": "95% interval, upper"},
          ("section", "measure", "area", "period"),
          {"period_label": "Quarter", "base_period_label": "Made from data to"},
          {"forecast": "Model"}, formats={h: ONE_DECIMAL for h in ("Forecast", "80% interval, lower",
                                                                   "80% interval, upper", "95% interval, lower",
                                                                   "95% interval, upper")}, note="disturbed"),
    Table("Forecast_record", "How well the forecasts did when tested on past quarters (back test)",
          {"backtest_points": "Forecasts tested", "backtest_coverage_80": "Share inside the 80% interval",
           "backtest_coverage_95": "Share inside the 95% interval", "backtest_mase": "Mean absolute scaled error"},
          ("section", "measure", "area"), {"period_label": "Tested up to"},
          formats={"Share inside the 80% interval": PERCENT, "Share inside the 95% interval": PERCENT,
                   "Mean absolute scaled error": TWO_DECIMALS}),
    Table("Similar_forces", "The force's position among similar forces",
          {"peer_rate": "Rate per 1,000 population", "peer_rank": "Rank", "peer_of": "Forces ranked",
           "peer_rank_previous": "Rank a year earlier", "peer_average": "Group average rate",
           "peer_mean_of_rates": "Mean of the forces' rates", "peer_quartile_boundary": "Top quartile boundary",
           "peer_change_to_average": "Change needed to reach the group average",
           "peer_change_to_mean_of_rates": "Change needed to reach the mean of rates",
           "peer_change_to_top_quartile": "Change needed to reach the top quartile",
           "peer_aspiration_met": "Aspiration met (1 yes, 0 no)"},
          ("section", "measure", "area"), {"period_label": "Period"}, {"peer_movement": "Rank on a year earlier"},
          formats={h: TWO_DECIMALS for h in ("Rate per 1,000 population", "Group average rate",
                                             "Mean of the forces' rates", "Top quartile boundary")}),
)
OTHER = Table("Other_figures", "Other figures", {}, KEY_COLUMNS,
              {"period_label": "Period", "base_period_label": "Compared with"})


def spreadsheet_name(publication_id: str, force: str, quarter_id: str) -> str:
    """``crime-prevention-2021-25-essex-2021-22-Q4.xlsx``: the file names the edition in a reader's downloads."""
    return f"{publication_id}-{force_slug(force)}-{quarter_id}.xlsx"


def spreadsheet_link(publication_id: str, force: str, quarter_id: str, depth: int = 0) -> str:
    """The spreadsheet from a page ``depth`` folders below the book's root (a section page: 1)."""
    return "../" * depth + f"{FOLDER}/{spreadsheet_name(publication_id, force, quarter_id)}"


def table_of(statistic: str) -> Table:
    """The sheet a kind of figure goes to: the table that names it, or the delivery plan's, or Other figures."""
    for table in TABLES:
        if statistic in table.statistics or statistic in table.texts:
            return table
    return OTHER


# --- the tables as frames ------------------------------------------------------------------------------------------
def signal_words(text: str) -> str:
    """``outside:high;shift:low`` -> ``a point outside the process limits (high); ... (low)``; none: common cause."""
    parts = [part.split(":", 1) for part in (text or "").split(";") if part]
    return "; ".join(f"{spc.RULES.get(rule, rule)} ({side})" for rule, side in parts) or "none (common cause)"


def _names(publication: Publication) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    sections = {leaf.id: leaf.name for leaf in publication.leaves}
    measures = {m.id: (m.name, m.unit) for _, m in publication.measures}
    return sections, measures


def _frame(table: Table, rows: pd.DataFrame, publication: Publication, with_areas: bool) -> pd.DataFrame:
    """The sheet's table: identifying columns in words, the labels, then one column per statistic."""
    sections, measures = _names(publication)
    keys = [k for k in table.keys if k != "area" or with_areas]
    out = rows.groupby(keys, sort=False, dropna=False).size().reset_index()  # one row per key, in the table's order
    words = {}
    if "section" in keys:
        words["Section"] = out["section"].map(lambda s: sections.get(s, s) or "All sections")
    if "measure" in keys:
        words["Measure"] = out["measure"].map(lambda m: measures.get(m, (m, ""))[0] or "None")
        words["Unit"] = out["measure"].map(lambda m: measures.get(m, ("", ""))[1] or "None")
    if "area" in keys:
        words["Area"] = out["area"].map(lambda a: a or FORCE_WIDE)
    index = pd.MultiIndex.from_frame(out[keys]) if len(keys) > 1 else pd.Index(out[keys[0]])
    for label, heading in table.labels.items():
        statistic, _, column = label.rpartition(".")
        source = rows[rows["statistic"] == statistic] if statistic else rows
        shown = source.groupby(keys, sort=False, dropna=False)[column].first().reindex(index).to_numpy()
        words[heading] = [t if isinstance(t, str) and t else NO_FIGURE for t in shown]
    frame = pd.DataFrame(words)
    wide = rows.pivot_table(index=keys, columns="statistic", values="value", aggfunc="first", dropna=False,
                            sort=False)
    for statistic, heading in table.statistics.items():
        if statistic in wide:
            frame[heading] = wide[statistic].reindex(index).to_numpy()
    texts = rows.pivot_table(index=keys, columns="statistic", values="text", aggfunc="first", sort=False) \
        if table.texts else None
    for statistic, heading in table.texts.items():
        if texts is not None and statistic in texts:
            shown = texts[statistic].reindex(index).to_numpy()
            frame[heading] = [signal_words(t) if statistic == "spc_signal" else (t or NO_FIGURE) for t in shown]
    return frame


OTHER_WORDS = {
    "peer_group": "comparison group (value: how many forces it has)",
    "peer_group_method": "how the comparison group was chosen",
    "peer_group_member": "member of the comparison group (value: its place in the list)",
    "peer_single_year_member": "member of the group one year alone would give (value: its place in the list)",
    "peer_member_rate": "a member's rate per 1,000 population (text: its place in the list)",
    "peer_spark": "the position table's trend: the figure for the quarter in the text",
}


def _other_frame(rows: pd.DataFrame, publication: Publication, with_areas: bool) -> pd.DataFrame:
    """Figures of kinds no table names, one per row, with their text (e.g. a similar force's name)."""
    sections, measures = _names(publication)
    frame = pd.DataFrame({
        "Section": rows["section"].map(lambda s: sections.get(s, s) or "All sections"),
        "Measure": rows["measure"].map(lambda m: measures.get(m, (m, ""))[0] or "None"),
        **({"Area": rows["area"].map(lambda a: a or FORCE_WIDE)} if with_areas else {}),
        "Figure": rows["statistic"].map(lambda s: OTHER_WORDS.get(s, s.replace("_", " "))),
        "Period": rows["period_label"].map(lambda t: t or NO_FIGURE),
        "Compared with": rows["base_period_label"].map(lambda t: t or NO_FIGURE),
        "Text": rows["text"].map(lambda t: t or NO_FIGURE),
        "Value": rows["value"].to_numpy(),
    })
    return frame.reset_index(drop=True)


def delivery_frames(rows: pd.DataFrame, publication: Publication) -> list[tuple[Table, pd.DataFrame]]:
    """The delivery plan per section (its parts in the definition's words), and its totals."""
    if publication.delivery is None or rows.empty:
        return []
    sections, _ = _names(publication)
    spec = publication.delivery
    columns = {"delivery_total": spec.total.label, **{f"delivery_{c.column}": c.label for c in spec.parts}}
    rows = rows[rows["value"].notna()]  # a quarter whose tracker was not supplied has no delivery sheet
    per = rows[rows["section"] != ""]
    table = Table("Delivery", f"The delivery plan: {spec.unit} per {publication.leaf_level.name.lower()}",
                  columns, ("section",), {"period_label": "Quarter"})
    frames = []
    if not per.empty:
        wide = per.pivot_table(index="section", columns="statistic", values="value", aggfunc="first", sort=False,
                               dropna=False)  # a section whose tracker row gave no counts keeps its row
        quarters = per.groupby("section", sort=False)["period_label"].first().reindex(wide.index)
        frame = pd.DataFrame({publication.leaf_level.name: [sections.get(s, s) for s in wide.index],
                              "Quarter": [q or NO_FIGURE for q in quarters]})
        for statistic, heading in columns.items():
            if statistic in wide:
                frame[heading] = wide[statistic].to_numpy()
        frames.append((table, frame))
    totals = rows[rows["section"] == ""]
    if not totals.empty:
        everything = f"all {publication.leaf_level.plural.lower()}"
        words = {"delivery_total_total": f"{spec.total.label}, {everything}",
                 **{f"delivery_total_{c.column}": f"{c.label}, {everything}" for c in spec.parts},
                 "delivery_sections": f"{publication.leaf_level.plural} in the plan",
                 "delivery_sections_reported": f"{publication.leaf_level.plural} reported",
                 f"delivery_sections_{spec.attention}": f"{publication.leaf_level.plural} with {spec.unit} "
                                                        f"{spec.attention.replace('_', ' ')}"}
        frame = pd.DataFrame({"Figure": totals["statistic"].map(lambda s: words.get(s, s.replace("_", " "))),
                              "Quarter": totals["period_label"].to_numpy(), "Value": totals["value"].to_numpy()})
        frames.append((Table("Delivery_totals", f"The delivery plan's totals ({spec.unit})", {}, ()),
                       frame.reset_index(drop=True)))
    return frames


def edition_frames(results: pd.DataFrame, publication: Publication, force: str) -> list[tuple[Table, pd.DataFrame]]:
    """Every sheet's table of the force's figures, in order; a sheet with no figures is left out."""
    mine = results[results["force"] == force]
    with_areas = bool((mine["area"] != "").any())
    delivery = mine["statistic"].str.startswith("delivery_")
    out = []
    for table in TABLES:
        rows = mine[mine["statistic"].isin(list(table.statistics) + list(table.texts))]
        if not rows.empty:
            out.append((table, _frame(table, rows, publication, with_areas)))
    out += delivery_frames(mine[delivery], publication)
    named = {s for table in TABLES for s in [*table.statistics, *table.texts]}
    other = mine[~delivery & ~mine["statistic"].isin(named) & (mine["value"].notna() | (mine["text"] != ""))]
    if not other.empty:
        out.append((OTHER, _other_frame(other, publication, with_areas)))
    return out


# --- the workbook -----------------------------------------------------------------------------------------------
NOTES = {
    "rounding": "Figures are stored unrounded; the sheet shows them rounded, as the pages do (half away from zero). "
                "A change in per cent is the change divided by the earlier figure, times 100; an earlier figure of "
                "0 gives no percentage change.",
    "population": "Rates use the Office for National Statistics' mid-year population estimate for the force area.",
    "disturbed": "Quarters in a disturbed period (listed on the cover) are shown but left out of trends, forecasts "
                 "and their back test.",
    "spc": "Control charts follow NHS England's Making Data Count: limits are the mean plus or minus 2.66 times the "
           "mean moving range of a stated baseline, worked out afresh only at a declared step change.",
}


def _sources(results: pd.DataFrame) -> str:
    files = sorted({f for f in results["source_file"].dropna() if f})
    named = [next((name for prefix, name in OPEN_DATA.items() if Path(f).name.startswith(prefix)), "") for f in files]
    words = sorted({n for n in named if n})
    if any(not n for n in named):
        words.append("the force's own records (delivery tracker and figures it supplied)")
    return "; ".join(words) or "worked out from the edition's other figures, whose sources the cover names"


def _cover(publication: Publication, force: str, quarter: Quarter, results: pd.DataFrame, history: list) -> dict:
    from strategy_update.render.about_statistics import contact_lines, next_update_sentence

    release = publication.release
    title = f"{publication.edition_title(force)}: every figure of the {quarter.short_label} update"
    intro = [f"The figures of the update for {quarter.label}, published by {publication.publisher(force)}: one "
             "table per sheet, listed on the contents sheet; the notes sheet explains them. [x] marks a figure "
             "that is not available (for example no earlier period to compare with)."]
    about = [[{"bold": True}, "Status"], *(release.status if release else ())]
    if release:
        about += [[{"bold": True}, "The Code of Practice for Statistics"],
                  f"{publication.publisher(force)} applies the Code's three pillars to these figures voluntarily.",
                  *(f"{pillar.capitalize()}: {how}" for pillar, how in release.code_of_practice)]
    sources = _sources(results)
    about += [[{"bold": True}, "Source"], f"{sources[:1].upper()}{sources[1:]}."]
    if publication.disturbed_periods:
        about += [[{"bold": True}, "Disturbed periods"],
                  *(f"{first.short_label} to {last.short_label}: {reason}." for first, last, reason
                    in publication.disturbed_periods)]
    about += [[{"bold": True}, "Next update"], next_update_sentence(publication, quarter)]
    if history:
        latest = history[-1]
        about += [[{"bold": True}, "Version"], f"Version {latest.number}, published {latest.published_label}"
                  + (f"; corrected: {latest.reason}" if latest.reason else "") + "."]
    contact = contact_lines(publication, force) if release else ["No contact is given for this publication."]
    return {"title": title, "intro": intro, "about": about, "contact": contact}


def workbook_bytes(results: pd.DataFrame, publication: Publication, force: str, quarter: Quarter,
                   history: list | None = None) -> bytes:
    """The spreadsheet of the force's figures, as the bytes of an .xlsx file (the same bytes for the same figures:
    its creation date is the quarter's end, not the moment it is written)."""
    import warnings

    import gptables as gpt

    mine = results[results["force"] == force]

    def rows_of(table: Table) -> pd.DataFrame:
        if table.sheet.startswith("Delivery"):
            return mine[mine["statistic"].str.startswith("delivery_")]
        if table is OTHER:
            return mine[(mine["statistic"].map(table_of) == OTHER) & ~mine["statistic"].str.startswith("delivery_")]
        return mine[mine["statistic"].isin([*table.statistics, *table.texts])]
    sheets = {}
    frames = edition_frames(results, publication, force)
    for table, frame in frames:
        figures = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
        shown = frame.astype({c: object for c in figures})
        for column in figures:  # a figure that is not there is marked, not left blank
            shown[column] = [NO_FIGURE if v is None or (isinstance(v, float) and math.isnan(v)) else v
                             for v in shown[column]]
        formatting = [{"column": {"columns": [heading], "format": {"num_format": fmt}}}
                      for heading, fmt in table.formats.items() if heading in shown.columns]
        sheets[table.sheet] = gpt.GPTable(
            table=shown, table_name=table.sheet.lower(),
            title=table.title + (f"$${table.note}$$" if table.note else ""),
            instructions="This worksheet contains one table. [x] marks a figure that is not available.",
            source=f"Source: {_sources(rows_of(table))}", index_columns={},
            additional_formatting=formatting)
    used = {t.note for t, _ in frames if t.note}
    notes = pd.DataFrame({"Note number": [k for k in NOTES if k in used],
                          "Note text": [NOTES[k] for k in NOTES if k in used]})
    buffer = io.BytesIO()
    cover = gpt.Cover(**_cover(publication, force, quarter, results, history or []))
    with warnings.catch_warnings():  # gptables warns of every [x]; the instructions say what it means
        warnings.simplefilter("ignore")
        book = gpt.produce_workbook(filename=buffer, sheets=sheets, cover=cover, notes_table=notes,
                                    workbook_options={"in_memory": True})
        year, month = quarter.end_month
        book.set_properties({"title": cover.title, "author": publication.publisher(force),
                             "created": datetime(year, month, 1)})
        book.close()
    return buffer.getvalue()


def write_spreadsheet(work: Path, publication: Publication, force: str, quarter: Quarter, results: pd.DataFrame,
                      history: list | None = None) -> Path:
    """The edition's spreadsheet in its work folder's data folder, rewritten only when its bytes change."""
    path = work / FOLDER / spreadsheet_name(publication.id, force, quarter.id)
    data = workbook_bytes(results, publication, force, quarter, history)
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return path
