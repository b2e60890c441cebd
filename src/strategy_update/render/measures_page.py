"""The "Measures" appendix, generated from the publication definition: every measure with its source, offence
codes and how it differs from the force's own measure; the sections with no open-data measure, and why; the
force-extract measures a force may supply. Nothing here is typed: change the definition and the page follows."""

from __future__ import annotations

from strategy_update.core.markup import code, literal
from strategy_update.model.publication import FORCE_EXTRACT, HOME_OFFICE, WORKFORCE, Publication
from strategy_update.render.tables import markdown_table


def render_markdown(publication: Publication) -> str:
    level, levels = publication.leaf_level, publication.leaf_level.plural.lower()
    open_data = [(s, m) for s, m in publication.measures if m.source == HOME_OFFICE]
    extracts = [(s, m) for s, m in publication.measures if m.source == FORCE_EXTRACT]
    workforce = [(s, m) for s, m in publication.measures if m.source == WORKFORCE]
    out = [f"The {publication.title} is defined once, as data: its publication definition names every "
           f"{level.name.lower()}, measure and offence code. This page is generated from that definition, so it "
           f"always lists exactly the measures the {levels} use.", "", "## Measures from the Home Office open data", ""]
    if open_data:
        out += ["Each measure adds up the force's recorded offences for a fixed set of Home Office offence codes. "
                "A **proxy** is the nearest measure the open data allows, not the force's own.", "",
                markdown_table([level.name, "Measure", "Home Office offence codes", "What it counts"],
                               [[literal(s.name), literal(m.name + (" (proxy)" if m.proxy else "")),
                                 ", ".join(m.offence_codes) + (f" (from {m.series_start.short_label})"
                                                               if m.series_start else ""), literal(m.definition_note)]
                                for s, m in open_data])]
    else:
        out.append("This publication has no open-data measure.")
    if workforce:
        out += ["", "## Measures from the Home Office police workforce open data", "",
                "Each measure is the force's count of one worker type at 31 March, from the annual Home Office police "
                "workforce statistics (`data/raw/home-office/police-workforce-2007-2023.csv`), as full-time "
                "equivalents (FTE) or as a headcount. A count on one day cannot be added up over months: these "
                "measures compare the latest 31 March on or before the end of the edition's quarter with 31 March a "
                "year earlier, have no 12-month figure, and give a rate per 1,000 population for that 31 March.", "",
                markdown_table([level.name, "Measure", "Worker type", "Count", "What it counts"],
                               [[literal(s.name), literal(m.name), literal(m.worker_type),
                                 "FTE" if m.count == "fte" else "headcount", literal(m.definition_note)]
                                for s, m in workforce])]
    missing = [s for s in publication.leaves if s.no_open_data]
    out += ["", f"## {level.plural} with no open-data measure", ""]
    out += [markdown_table([level.name, "Why there is no open-data measure"],
                           [[literal(s.name), literal(s.no_open_data)] for s in missing])] if missing else [
        f"Every {level.name.lower()} has an open-data measure."]
    out += ["", "## The force's own figures", "",
            "A force supplies these as force extracts (one CSV file per measure; the format is on the Methods page). "
            "Where a file is not supplied, the page says so and shows no figures for that measure.", ""]
    out += [markdown_table([level.name, "Measure id", "Measure", "Unit", "What it counts"],
                           [[literal(s.name), code(m.id), literal(m.name), literal(m.unit), literal(m.definition_note)]
                            for s, m in extracts])] if extracts else ["This publication has no force-extract measure."]
    out += ["", "## Which way is better", "",
            "Each measure states which way is better, and the pages read its control chart and its change by it: "
            "**lower** (as for crime), **higher** (as for a solved rate) or **neither**. A count driven by police "
            "activity (arrests, searches that find drugs or weapons, referrals) is **neither**: an unusual quarter is "
            "called unusually high or low, never an improvement or a concern.", "",
            markdown_table([level.name, "Measure", "Better", "Why"],
                           [[literal(s.name), literal(m.name), m.direction, literal(m.direction_reason)]
                            for s, m in publication.measures])]
    return "\n".join(out) + "\n"
