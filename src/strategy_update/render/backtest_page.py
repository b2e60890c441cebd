"""The back-test appendix and the ``strategy-update backtest`` report: the checks of ``compute/backtest.py`` in
words."""

from __future__ import annotations

import dataclasses
import functools
import math
import re
from decimal import Decimal

import pandas as pd

from strategy_update.compute.backtest import COMPARISONS, backtest_rows, open_data_context, peer_table_context
from strategy_update.compute.printed import CANNOT, CONSISTENT, INCONSISTENT, VERDICTS, format_printed
from strategy_update.core.errors import InputError
from strategy_update.core.formatting import format_pct
from strategy_update.core.markup import code
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.paths import InputPaths, file_stamps
from strategy_update.render.tables import markdown_table


def _counts(rows: pd.DataFrame) -> dict[str, int]:
    return {v: int((rows["verdict"] == v).sum()) for v in VERDICTS}


def _count(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def summary_sentence(rows: pd.DataFrame) -> str:
    counts = _counts(rows)
    return (f"{_count(len(rows), 'printed figure')} checked: {counts[CONSISTENT]:,} consistent, "
            f"{counts[INCONSISTENT]:,} inconsistent, {counts[CANNOT]:,} cannot be checked.")


def _reasons(rows: pd.DataFrame) -> list[tuple[str, int]]:
    cannot = rows[rows["verdict"] == CANNOT]
    return [(reason, int(n)) for reason, n in cannot["reason"].value_counts(sort=False).items()]


def _figure(r) -> str:
    text = f"{r['subject']}, {r['measure']}" if r["measure"] else str(r["subject"])
    period = f"{r['period']} vs {r['base_period']}" if r["base_period"] else str(r["period"])
    return f"{text} ({period})"


def _where(r) -> str:
    return f"{r['document_title']}, section {r['section']}" if r["section"] else str(r["document_title"])


def _num(value, places: int = 0, signed: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return format_printed(Decimal(str(value)), places, signed)


def _context_table(context: pd.DataFrame) -> list[list[str]]:
    return [[r["section"], f"{r['subject']} / {r['measure']}", r["period"], _num(r["force_figure"]),
             _num(r["open_data"]), _num(r["difference"], signed=True), format_pct(r["pct_difference"])]
            for _, r in context.iterrows()]


def owner_paths(paths: InputPaths, owner_force: str | None = None) -> InputPaths:
    """The back test is about the hand-made reports of the force that owns the publication (``owner_force``, read
    from the definition when not given): its inputs, whichever force's edition shows the page."""
    from strategy_update.model.forces import force_slug

    return dataclasses.replace(paths, force_slug=force_slug(owner_force or load_publication(paths).owner_force))


def _file_stamps(paths: InputPaths) -> tuple:
    """What the page is made from, by name, size and times: a changed file makes the page again."""
    return file_stamps(paths.definition, paths.crime, paths.peer_group, *paths.population, paths.reference)


def render_markdown(paths: InputPaths, owner_force: str | None = None) -> str:
    """The back-test page (MyST Markdown): summary, inconsistencies in words, every check, open-data context. The
    same page for every force's edition of a publication (``owner_paths``), so a process building many makes it
    once."""
    owner = owner_paths(paths, owner_force)
    return _page(owner, _file_stamps(owner))


@functools.lru_cache(maxsize=8)
def _page(paths: InputPaths, stamps: tuple) -> str:
    rows = backtest_rows(paths)
    titles = dict(zip(rows["document"], rows["document_title"]))
    documents = sorted({d for d in rows["document"] if d})
    out = [
        "This page recomputes the figures printed in the last reports that were made by hand, using only the "
        "other figures printed beside them, and says for each whether the printed figure agrees. "
        "The printed figures were transcribed exactly as printed, mistakes included, into "
        "the publication's `reference/` folder. A printed figure is **consistent** when it equals the recomputation "
        "rounded half away "
        "from zero to the number of decimal places the report printed (a % change printed as a whole number is "
        "compared with the recomputation rounded to a whole number). It is **inconsistent** when it does not, and it "
        "**cannot be checked** when something needed for the recomputation was not printed.",
        "",
        # Named by their titles (the definition's reference documents), not by the stored copies' file names.
        f"Reports covered: {'; '.join(dict.fromkeys(titles[d] for d in documents))}.",
        "",
        "## Summary",
        "",
        summary_sentence(rows),
        "",
    ]
    reasons = _reasons(rows)
    if reasons:
        out += ["Figures that cannot be checked, by reason:", ""]
        out += [f"- {reason}: {n:,}" for reason, n in reasons]
        out.append("")
    out += ["## Printed figures that do not agree with their recomputation", ""]
    wrong = rows[rows["verdict"] == INCONSISTENT]
    if wrong.empty:
        out.append("Every printed figure that could be checked agrees with its recomputation.")
    else:
        out.append(f"{_count(len(wrong), 'printed figure')} {'does' if len(wrong) == 1 else 'do'} not agree "
                   "with the recomputation from the figures printed beside "
                   f"{'it' if len(wrong) == 1 else 'them'}:")
        out.append("")
        out += [f"- **Inconsistent:** {_finding_line(r)}" for _, r in wrong.iterrows()]
    out += ["", "## Every printed figure checked", "",
            "Listed in the order of the reference files. The difference is the printed figure minus the "
            "recomputed one. Inconsistent figures are marked in words in the verdict column.", ""]
    table = []
    for _, r in rows.iterrows():
        verdict = {INCONSISTENT: "**inconsistent**", CONSISTENT: "consistent"}.get(
            r["verdict"], f"cannot be checked: {r['reason']}")
        table.append([r["document_title"], r["section"], _figure(r), r["check"], r["printed"], r["recomputed"],
                      r["difference_shown"], verdict])
    out.append(markdown_table(["Report", "Section", "Figure", "Check", "Printed", "Recomputed",
                               "Difference", "Verdict"], table))
    out += ["", ":::{dropdown} Every other finding in words, with its source row", "",
            "The inconsistent figures are listed above; here are the rest.", ""]
    out += [f"- {_finding_line(r)}" for _, r in rows[rows["verdict"] != INCONSISTENT].iterrows()]
    out += [":::", ""]
    out += _context_markdown(paths, markdown_table)
    out += _peer_table_markdown(paths)
    return "\n".join(out)


def _rate(value: float) -> str:
    return "n/a" if value is None or math.isnan(value) else f"{value:,.{2 if abs(value) >= 1 else 3}f}"


def _peer_table_markdown(paths: InputPaths) -> list[str]:
    """The printed position table beside the same figures from the open data (context, not a check)."""
    try:
        context = peer_table_context(paths)
    except (InputError, ValueError) as exc:
        return ["", "## Context: the printed position table beside the open data", "",
                f"The position table could not be computed for the back test: {exc}."]
    if context.empty:
        return []
    first = context.iloc[0]
    rows = [[r["measure"], r["measure_name"], _rate(r["printed_value"]), _rate(r["open_data_value"]),
             r["printed_rank"], "n/a" if math.isnan(r["open_data_rank"]) else f"{int(r['open_data_rank'])} of "
             f"{int(r['of'])}", code(r['source'])] for _, r in context.iterrows()]
    return ["", "## Context: the printed position table beside the open data", "",
            f"The last hand-made update printed a Most Similar Group table for the {first['period']}, taken from "
            "a Home Office tool that is not public. The same figures computed from the open data are shown beside "
            f"it. Rates are per 1,000 residents. The ranks are among {first['group']}, not necessarily the Home "
            "Office's group, and the printed figures came from another system on another date, so differences "
            "are expected and are reported, not corrected.", "",
            markdown_table(["Printed measure", "Open-data measure", "Printed rate", "Open-data rate", "Printed rank",
                            "Open-data rank", "Printed in"], rows)]


def _context_markdown(paths: InputPaths, markdown_table) -> list[str]:
    out = ["## Context: the force's figures beside the open data", ""]
    try:
        context = open_data_context(paths)
    except InputError as exc:
        return out + [f"The open-data context could not be computed: {exc}."]
    if context.empty:
        return out + ["No printed 12-month figure has a comparable open-data measure."]
    out += [
        "Where the Home Office open data has a measure close to one the force printed, the two are shown side by "
        "side for the same 12 months. This is context, not a check: the force counts from its own crime system, "
        "on its own definitions and extraction date, so the figures are expected to differ. The difference is "
        "the force's figure minus the open-data figure; the % difference is that difference as a percentage of "
        "the open-data figure.",
        "",
        markdown_table([load_publication(paths).leaf_level.name, "Force's printed measure / open-data measure",
                        "Period", "Force (printed)", "Open data", "Difference", "% difference"],
                       _context_table(context)),
        "",
        "Why the figures differ:",
        "",
    ]
    seen = []
    for _, r in context.iterrows():
        if r["measure_id"] in seen:
            continue
        seen.append(r["measure_id"])
        out.append(f"- **{r['measure']}** (open data) beside the force's printed \"{r['subject']}\": "
                   f"{r['definition_note']}")
    sources = sorted({s for s in context["open_data_source"] if s})
    first = context.iloc[0]
    out += ["", f"Each open-data figure is the sum of the four quarters of its 12 months (for the "
                f"{first['period']}: {first['quarters']}) from {', '.join(code(s) for s in sources)}; the force's "
                f"figures are as printed in the publication's `reference/{COMPARISONS}`."]
    return out


def _finding_line(r) -> str:
    """One finding as one sentence that names its figure: a finding shared by many figures ("Cannot be checked:
    ...") is then never the same sentence twice on the page."""
    finding = re.sub(r"\.\s+(?=[A-Z])", "; ", str(r["finding"]).strip()).rstrip(".")
    finding = finding[:1].lower() + finding[1:]
    return f"{_where(r)}, {_figure(r)}, {r['check']} ({r['verdict']}): {finding} ({code(r['source'])})."


def backtest_report(paths: InputPaths) -> str:
    """Plain text for ``strategy-update backtest``."""
    rows = backtest_rows(paths)
    lines = ["Back test against the figures printed in the last hand-made reports", "",
             summary_sentence(rows), ""]
    wrong = rows[rows["verdict"] == INCONSISTENT]
    lines.append(f"Inconsistent ({len(wrong):,}):")
    lines += [f"  - {_where(r)}: {_figure(r)}, {r['check']}. {r['finding']} [{r['source']}]"
              for _, r in wrong.iterrows()] or ["  none"]
    lines += ["", "Every check:"]
    for verdict in VERDICTS:
        for _, r in rows[rows["verdict"] == verdict].iterrows():
            lines.append(f"  [{verdict}] {_where(r)}: {_figure(r)}, {r['check']}. {r['finding']} "
                         f"[{r['source']}]")
    lines += ["", "Context: the force's printed figures beside the Home Office open data (not a check)"]
    try:
        context = open_data_context(paths)
    except InputError as exc:
        lines.append(f"  could not be computed: {exc}")
        return "\n".join(lines)
    for _, r in context.iterrows():
        lines.append(f"  {r['subject']} / {r['measure']}, {r['period']}: force {_num(r['force_figure'])}, "
                     f"open data {_num(r['open_data'])}, difference {_num(r['difference'], signed=True)} "
                     f"({format_pct(r['pct_difference'])})")
    return "\n".join(lines)
