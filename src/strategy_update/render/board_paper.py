"""The board paper's sections around the figures: its purpose, the force's recommendations and issues by
exception (from the quarter's board file), what the data and the delivery plan flag, the implications and the
links to other plans (from the definition's ``board``)."""

from __future__ import annotations

from strategy_update.compute.delivery import attention_sentence
from strategy_update.core.formatting import format_count, sentence_case
from strategy_update.core.markup import lead_markdown
from strategy_update.model.forces import display_name
from strategy_update.render.summary import (
    delivery_rows,
    glossary_link,
    headlines,
    purpose,
    signal_rule,
    signal_side,
    where,
)
from strategy_update.render.view import EditionView


def owners_board(view: EditionView):
    """The definition's board parts, in the owner's edition only: they are the owner's words for its own board
    (another force's edition applies the measures, not the owner's paper)."""
    return view.publication.board if view.force == view.publication.owner_force else None


def _not_ours(view: EditionView, part: str) -> str:
    return (f"*The {part} in the definition are {display_name(view.publication.owner_force)}'s, for its own "
            f"board; {display_name(view.force)} has not supplied its own.*")


def board_purpose(view: EditionView) -> str:
    """The definition's standing purpose (when it has one, in the owner's edition), then what this edition covers."""
    board = owners_board(view)
    return "\n\n".join(filter(None, [board.purpose if board else "", purpose(view)]))


def board_part(view: EditionView, heading: str) -> str:
    """A per-quarter part the force writes (e.g. its recommendations), labelled as the force's, or a plain
    statement that the force has not supplied it."""
    text = (view.board or {}).get(heading, "")
    if not text:
        return (f"*{display_name(view.force)} has not supplied its {heading.lower()} for {view.quarter.short_label}; "
                "this part "
                "of the paper is left to the force.*")
    return (f"*The {heading.lower()} below are {display_name(view.force)}'s own, for {view.quarter.short_label}.*"
            f"\n\n{lead_markdown(text)}")


def concerns(view: EditionView, rows_of: list | None = None) -> list[str]:
    """Sections whose latest quarter is unusually high or low in the unwanted direction (special cause, concern);
    a measure with no better direction is never a concern."""
    rows_of = rows_of or headlines(view)
    out = []
    for h in rows_of:
        figures = h.figures
        side = signal_side(figures.chart) if figures else "none"
        better = figures.measure.lower_is_better if figures else None
        if side in ("high", "low") and better is not None and (side == "low") != better:
            out.append(f"{h.section.name} ({figures.measure.name.lower()}: {where(side, signal_rule(figures.chart))})")
    return out


def exceptions(view: EditionView, rows_of: list | None = None) -> str:
    """The force's issues by exception, then what the data and the delivery plan flag, generated."""
    heading = view.publication.board.quarterly_headings[1] if view.publication.board else "Issues by exception"
    flagged = concerns(view, rows_of)
    special = glossary_link(view, "special cause")
    data = (f"- **From the data:** the latest quarter is a concern ({special}) for "
            f"{'; '.join(flagged)}." if flagged else
            "- **From the data:** no headline measure's latest quarter is a concern on its control chart.")
    lines = [data]
    if view.publication.delivery:
        rows = delivery_rows(view)
        at_risk = attention_sentence(view.publication.delivery, rows, view.publication.leaf_level)
        gaps = [f"{r.section_name}'s {view.publication.delivery.unit} add up to "
                f"{format_count(r.total - r.uncategorised)} across its parts, not its total of {format_count(r.total)}"
                for r in rows if r.supplied and r.uncategorised]
        if at_risk or gaps:
            lines.append("- **From the delivery plan:** " + " ".join(
                [at_risk] + [f"{sentence_case(gap)}." for gap in gaps]).strip())
    return board_part(view, heading) + "\n\n" + "\n".join(lines)


def recommendations(view: EditionView) -> str:
    heading = view.publication.board.quarterly_headings[0] if view.publication.board else "Recommendations"
    return board_part(view, heading)


def implications(view: EditionView) -> str:
    """The implications' standing text from the definition, and who was consulted (the leads it names)."""
    board = owners_board(view)
    if board is None:
        return _not_ours(view, "implications") if view.publication.board else ""
    missing = "*Not set out in the publication definition.*"
    parts = [("Risks and mitigations", board.risks), ("Equality and human rights", board.equality),
             ("Health and safety", board.health_and_safety)]
    text = "\n\n".join(f"**{name}.** {body or missing}" for name, body in parts)
    leads = [f"- {s.name}: {s.lead()}" for s in view.publication.leaves if s.lead()]
    consulted = f"**Consultation.** {board.consultation or missing}"
    if leads:
        consulted += f" The {view.publication.leaf_level.lead.lower()}s are:\n\n" + "\n".join(leads)
    return text + "\n\n" + consulted


def links_to_plans(view: EditionView) -> str:
    board = owners_board(view)
    if board is None and view.publication.board:
        return _not_ours(view, "links to other plans")
    if board is None or not board.links:
        return "*The publication definition names no other plans.*"
    return (board.links_intro + "\n\n" if board.links_intro else "") + "\n".join(f"- {x}" for x in board.links)
