"""The front page's foot: what these statistics are (status and caveats), how the Code of Practice for Statistics
is applied, who to contact, when the next update is due, the spreadsheet of every figure, and the edition's
revisions. All from the definition's ``release`` key (``model/release.py``) and the edition's history of versions
(``build/revisions.py``), so the website and the PDF say the same.

Another force's edition names that force's team as its contact, never the owner's web address or email.
"""

from __future__ import annotations

from strategy_update.core.formatting import and_list, count_phrase
from strategy_update.core.markup import literal
from strategy_update.core.periods import Quarter
from strategy_update.model.publication import Publication

DOWNLOAD_ALL = "Download every figure of this edition as a spreadsheet (XLSX)"


def contact_parts(publication: Publication, force: str) -> list[tuple[str, str]]:
    """Who answers questions about the edition, as (what, how) pairs: the team of the force that publishes it, its
    telephone, and, in the owner's edition only, the owner's email and website."""
    contact = publication.release.contact
    owner = force == publication.owner_force
    parts = [("team", f"{publication.publisher(force)}'s {contact.team}")]
    parts += [("telephone", contact.telephone)] if contact.telephone else []
    parts += [("email", contact.email)] if owner and contact.email else []
    parts += [("website", contact.web)] if owner and contact.web else []
    return parts


def contact_lines(publication: Publication, force: str) -> list[str]:
    """The contact, one line each (the spreadsheet's cover)."""
    return [how if what == "team" else f"{what.capitalize()}: {how}" for what, how in contact_parts(publication, force)]


def contact_sentence(publication: Publication, force: str) -> str:
    """``Essex Police's performance analysis team: telephone 101, ...; website <https://...>.`` (Markdown)."""
    shown = {"email": lambda a: f"<mailto:{a}>", "website": lambda a: f"<{a}>"}
    parts = contact_parts(publication, force)
    rest = "; ".join(f"{what} {shown.get(what, literal)(how)}" for what, how in parts[1:])
    return literal(parts[0][1]) + (f": {rest}" if rest else "") + "."


def next_update_sentence(publication: Publication, quarter: Quarter) -> str:
    """``The next update, for Q1 2022/23 (April-June 2022), is due in August 2022.``, or that there is none."""
    release = publication.release
    found = release.next_update(quarter, publication.last_quarter) if release else None
    if found is None:
        return (f"None: {quarter.short_label} is the last quarter this publication reports on."
                if release else "Not stated for this publication.")
    following, month = found
    return (f"The next update, for {following.label}, is due in {month}, {release.months_after_quarter} months after "
            "its quarter ends.")


def about_statistics(publication: Publication, force: str, quarter: Quarter, spreadsheet: str) -> str:
    """The front page's section on the statistics (Markdown): status, the Code's pillars, contact, next update
    and the spreadsheet (``spreadsheet``: its link from the front page)."""
    release = publication.release
    text = []
    if release:
        text += [f"**Status.** {literal(release.status[0])}", *(literal(p) for p in release.status[1:])]
        pillars = [f"- **{pillar.capitalize()}:** {literal(how)}" for pillar, how in release.code_of_practice]
        text += [f"**The Code of Practice for Statistics.** {literal(publication.publisher(force))} applies the "
                 "Code's three pillars to these figures voluntarily:",
                 "\n".join(pillars)]
        text.append(f"**Contact.** {contact_sentence(publication, force)}")
    text.append(f"**Next update.** {next_update_sentence(publication, quarter)}")
    text.append(f"[{DOWNLOAD_ALL}]({spreadsheet})")  # no full stop: the PDF turns the link into a sentence
    return "\n\n".join(text)


STATISTIC_WORDS = {"current": "", "series": "", "base": "earlier figure", "change": "change",
                   "pct_change": "change in per cent", "rate_per_1000": "rate per 1,000 population"}
FIGURES_NAMED = 6  # a revision note names at most this many of the figures that moved; the CSV lists them all


def _figure(row, publication: Publication) -> str:
    """``Knife Crime, possession of an article with a blade or point, 12 months ending March 2022: 582 to 590``."""
    from strategy_update.core.formatting import format_pct, format_value

    sections = {leaf.id: leaf.name for leaf in publication.leaves}
    measures = {m.id: m for _, m in publication.measures}
    measure = measures.get(row.measure)
    what = STATISTIC_WORDS.get(row.statistic, row.statistic.replace("_", " "))
    period = row.period_label if isinstance(row.period_label, str) else ""
    if row.statistic in ("base", "change", "pct_change") and isinstance(row.base_period_label, str):
        period = f"{period} on {row.base_period_label}".strip()
    name = ", ".join(filter(None, [sections.get(row.section, row.section), measure.name.lower() if measure else "",
                                   what, row.area, period]))

    def shown(value) -> str:
        if value is None or value != value:
            return "none"
        if row.statistic == "pct_change":
            return format_pct(value)
        return format_value(value, measure.unit) if measure else f"{value:,g}"
    return f"{literal(name)}: {shown(row.value_old)} to {shown(row.value_new)}"


def _named_figures(changes, publication: Publication) -> list[str]:
    """The figures that moved most worth naming (at most FIGURES_NAMED, then how many more): each measure's
    headline figure first, then its rate, then the rest, in the results table's order."""
    moved = changes[changes["change"] == "changed"]
    # A current figure is the same in every comparison it is part of: named once.
    repeated = moved.duplicated(["section", "measure", "area", "statistic", "period", "value_old", "value_new"])
    moved = moved[~(repeated & (moved["statistic"] == "current"))]
    headline = publication.comparisons[0]
    rank = moved["statistic"].map({"current": 0, "rate_per_1000": 1}).fillna(2)
    rank = rank.where(~((moved["statistic"] == "current") & (moved["comparison"] != headline)), 2)
    ordered = moved.assign(rank=rank).sort_values("rank", kind="stable")
    named = [_figure(row, publication) for row in ordered.head(FIGURES_NAMED).itertuples()]
    more = len(ordered) - len(named)
    return named + ([f"and {count_phrase(more, 'other figure')}: every one is in the list of changes"]
                    if more > 0 else [])


def revision_note(version, changes, publication: Publication, replaced) -> str:
    """One revision (Markdown): its date and reason, what moved against the version before, the figures most
    worth naming, the kept version (``replaced``: the Version it corrects) and the list of every change."""
    from strategy_update.build.revisions import archived_link

    counts = [count_phrase(n, f"figure {what}", f"figures {what}") for n, what in
              ((version.changed, "changed"), (version.removed, "removed"), (version.added, "added")) if n]
    text = [f"**Version {version.number}, {version.published_label}: a correction.** {literal(version.reason)}"
            + ("" if version.reason.endswith((".", "!", "?")) else ".")
            + f" Against version {replaced.number}, {and_list(counts) if counts else 'no figure changed'}."]
    if changes is not None and len(changes):
        named = _named_figures(changes, publication)
        if named:
            text.append("\n".join(f"- {line}" for line in named))
    text.append(f'<a href="{archived_link(replaced.number)}">Version {replaced.number}</a>, as published on '
                f"{replaced.published_label}, is kept unchanged beside this one. "
                f"[Download every change of version {version.number}, with the old and new values (CSV)]"
                f"(data/{version.changes_file})")  # no full stop: the PDF turns the link into a sentence
    return "\n\n".join(text)


def revisions_section(view, results_dir: str) -> str:
    """The edition's revisions, newest first, or one sentence saying there is none."""
    from pathlib import Path

    import pandas as pd

    from strategy_update.build.revisions import read_history

    data = Path(results_dir) / "data" if results_dir else None
    history = read_history(data) if data is not None else []
    if len(history) <= 1:
        first = f" on {history[0].published_label}" if history else ""
        return f"None: this is the edition as first published{first}."
    notes = []
    for before, version in reversed(list(zip(history, history[1:]))):
        path = data / version.changes_file
        changes = None
        if path.exists():
            changes = pd.read_csv(path, dtype=str, keep_default_na=False)
            for column in ("value_old", "value_new"):
                changes[column] = pd.to_numeric(changes[column], errors="coerce")
        notes.append(revision_note(version, changes, view.publication, before))
    return "\n\n".join(notes)


def front_page_foot(view) -> str:
    """The section on the statistics for the edition of ``view`` (an EditionView)."""
    from strategy_update.render.spreadsheet import spreadsheet_link

    return about_statistics(view.publication, view.force, view.quarter,
                            spreadsheet_link(view.publication.id, view.force, view.quarter.id))
