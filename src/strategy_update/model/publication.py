"""A publication, defined once as data (``publications/<id>/publication.yml``): its sections tree, measures,
named comparisons, baseline, narrative headings, delivery tracker, pages and reference documents.

Nothing here reads files: the definition reader (``inputs.readers.read_definition``) parses the YAML and this module
turns the mapping into the model. Validation has already checked the mapping by then, so a structural problem
here is a bug or a file that skipped validation; it still becomes an InputError naming the file and key.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path

from strategy_update.core.errors import InputError
from strategy_update.core.periods import Quarter, QuarterError, parse_quarter, quarter_from_home_office, quarter_range
from strategy_update.model.forces import display_name
from strategy_update.model.release import Release, release_from_mapping

HOME_OFFICE, FORCE_EXTRACT, WORKFORCE = "home_office", "force_extract", "workforce"
DIRECTIONS = ("lower", "higher", "neither")
NEITHER = "neither"
# How a workforce measure counts people: full-time equivalent, or heads (special constables are volunteers).
WORKFORCE_COUNTS = ("fte", "headcount")
DECIMAL_UNITS = {"percent", "rate"}
NOT_SUMMED_UNITS = {"percent", "rate", "seconds"}  # shares and averages: a quarter's figure is not added to another's


@dataclass(frozen=True)
class Measure:
    id: str
    name: str
    source: str  # HOME_OFFICE, FORCE_EXTRACT or WORKFORCE
    offence_codes: tuple[str, ...] = ()
    proxy: bool = False
    definition_note: str = ""
    short_note: str = ""  # optional: one line beside the headline figure on the front page (e.g. how it differs)
    series_start: Quarter | None = None
    unit: str = "crimes"
    # Which way is better: ``lower`` (crime), ``higher`` (a solved rate) or ``neither`` (a count driven by police
    # activity, such as arrests or drug trafficking found by searches: a signal reads "unusually high/low").
    direction: str = "lower"
    direction_reason: str = ""  # why: required for ``neither``, optional otherwise
    aspiration: str = ""  # ``upper quartile``, ``better than average``, ``rank N``, or none
    peer_table: bool = False  # listed in the comparison-group position table
    worker_type: str = ""  # WORKFORCE: the Home Office ``worker_type`` counted, e.g. "Police Officer"
    count: str = ""  # WORKFORCE: "fte" or "headcount"
    # Control chart step changes: (quarter, reason) pairs; the limits are worked out afresh from each quarter on.
    spc_steps: tuple[tuple[Quarter, str], ...] = ()
    # Optional: the figure a quarter should reach (in the measure's unit, as the control chart plots it); the
    # front page then shows Making Data Count's assurance icon. Only a measure with a better direction has one.
    target: float | None = None

    @property
    def lower_is_better(self) -> bool | None:
        """True for ``lower``, False for ``higher``, None for ``neither`` (compute/spc.py reads None as neither)."""
        return {"lower": True, "higher": False}.get(self.direction)

    @property
    def has_better_direction(self) -> bool:
        return self.direction != NEITHER

    @property
    def snapshot(self) -> bool:
        """A position on one day (31 March), not a count over a period: it cannot be summed over months."""
        return self.source == WORKFORCE

    @property
    def summable(self) -> bool:
        """Counts add up over periods (three months make a quarter); percentages, rates and average times do not."""
        return self.unit not in NOT_SUMMED_UNITS

    @property
    def whole_numbers(self) -> bool:
        """Counts are whole; percentages and rates need not be."""
        return self.unit not in DECIMAL_UNITS


@dataclass(frozen=True)
class Section:
    """A node of the sections tree (a theme, a strand, a priority, an area). Leaves have pages."""

    id: str
    name: str
    level: str  # the id of its level, e.g. "strand"
    parent_id: str = ""
    parent_name: str = ""
    lead_role: str = ""
    lead_name: str = ""  # optional: the lead's name where it is public; the role alone is shown otherwise
    aim: str = ""
    measures: tuple[Measure, ...] = ()
    no_open_data: str = ""
    tracker_name: str = ""
    commitments: tuple[str, ...] = ()  # what the plan promised for this section, in the definition's words
    children: tuple[Section, ...] = ()
    # The definition's ``headline``: one tuple of measure ids per headline figure, in order of preference (the
    # measure that answers the commitment, then its fallbacks, e.g. the force's own count, then an open-data proxy)
    headline_choices: tuple[tuple[str, ...], ...] = ()

    @property
    def headline_slots(self) -> tuple[tuple[Measure, ...], ...]:
        """The section's headline figures, each as its candidates in order of preference; without a ``headline``
        key in the definition, one figure: the first of its measures (in the definition's order) with a figure."""
        if not self.headline_choices:
            return (self.measures,) if self.measures else ()
        by_id = {m.id: m for m in self.measures}
        return tuple(tuple(by_id[i] for i in choice) for choice in self.headline_choices)

    def aim_for(self, quarter: Quarter, force: str) -> str:
        """The aim in words for the edition: ``{force}`` names the edition's force (the aim applied to it)."""
        return self.aim.format(**period_labels(quarter, force))

    def commitments_for(self, quarter: Quarter, force: str) -> tuple[str, ...]:
        return tuple(c.format(**period_labels(quarter, force)) for c in self.commitments)

    def lead(self, named: bool = True) -> str:
        """``name, role``, or whichever of the two the definition gives (``named=False``: the role alone)."""
        return ", ".join(filter(None, [self.lead_name if named else "", self.lead_role]))

    @property
    def open_data_measures(self) -> tuple[Measure, ...]:
        return tuple(m for m in self.measures if m.source == HOME_OFFICE)

    @property
    def force_extract_measures(self) -> tuple[Measure, ...]:
        return tuple(m for m in self.measures if m.source == FORCE_EXTRACT)

    @property
    def workforce_measures(self) -> tuple[Measure, ...]:
        return tuple(m for m in self.measures if m.source == WORKFORCE)


@dataclass(frozen=True)
class Level:
    id: str
    name: str
    plural: str
    lead: str = "Lead"  # what a section's lead is called on its page, e.g. "Thematic lead"


@dataclass(frozen=True)
class NarrativeSection:
    heading: str  # the level-2 heading the lead writes
    title: str  # the page heading, a template of period labels and the force (see ``period_labels``)

    def title_for(self, quarter: Quarter, force: str) -> str:
        return self.title.format(**period_labels(quarter, force))


@dataclass(frozen=True)
class DeliveryColumn:
    column: str
    label: str


@dataclass(frozen=True)
class Delivery:
    """The delivery tracker's counts: a total and the parts it splits into (e.g. complete, ongoing, at risk)."""
    total: DeliveryColumn
    parts: tuple[DeliveryColumn, ...]
    attention: str = ""  # the part whose non-zero count the front page names (e.g. at_risk), if any
    unit: str = "actions"  # what is counted

    @property
    def columns(self) -> list[str]:
        return [self.total.column] + [p.column for p in self.parts]

    @property
    def attention_part(self) -> DeliveryColumn | None:
        return next((p for p in self.parts if p.column == self.attention), None)


@dataclass(frozen=True)
class Board:
    """The standing parts of a board paper (the definition's ``board:`` key): what the paper is for, the plans it
    serves and the implications' standing text. The per-quarter parts (recommendations, issues by exception) come
    from the force's board file for the quarter (``inputs.board``), under these level-2 headings."""
    purpose: str = ""
    links: tuple[str, ...] = ()  # the other plans' priorities the publication delivers against
    links_intro: str = ""
    risks: str = ""
    equality: str = ""
    health_and_safety: str = ""
    consultation: str = ""
    quarterly_headings: tuple[str, ...] = ("Recommendations", "Issues by exception")


@dataclass(frozen=True)
class Publication:
    id: str
    title: str
    short_title: str
    organisation: str
    owner_force: str
    default_force: str
    default_quarter: Quarter
    first_quarter: Quarter | None
    last_quarter: Quarter | None
    baseline_end: Quarter | None
    baseline_name: str
    history_quarters: int
    levels: tuple[Level, ...]
    comparisons: tuple[str, ...]
    narrative: tuple[NarrativeSection, ...]
    delivery: Delivery | None
    pages_before: tuple[str, ...]
    shared_pages: tuple[str, ...]
    appendices: tuple[str, ...]
    reference: dict
    sections: tuple[Section, ...]
    areas: tuple[str, ...] = ()  # the force's local areas (e.g. Local Policing Areas) a force extract may name
    peer_group_label: str = ""  # e.g. "Most Similar Group": a position table is printed when set
    peer_group_not_available: tuple[str, ...] = ()  # measures the plan compares that open data cannot give
    # The financial years (their starting years) a computed comparison group is chosen on: a stated baseline
    # outside disturbed periods, the same for every edition, so that ranks compare from quarter to quarter.
    peer_baseline: tuple[int, ...] = ()
    owner_terms: tuple[str, ...] = ()  # the owner's proper nouns, which another force's edition never uses
    board: Board | None = None  # board-paper sections (purpose, implications, links to other plans), if any
    spc_baseline_quarters: int = 12  # control charts' limits come from the first this many quarters of a chart
    # Quarters whose figures are not a guide to demand (e.g. Covid restrictions): (from, to, reason), inclusive;
    # trends, forecasts and their back test treat them as missing (compute/forecast.py).
    disturbed_periods: tuple[tuple[Quarter, Quarter, str], ...] = ()
    release: Release | None = None  # status, Code of Practice, contact and update schedule (model/release.py)
    folder: Path = field(default=Path("."), compare=False)
    source_file: str = field(default="", compare=False)

    @property
    def leaf_level(self) -> Level:
        return self.levels[-1]

    @property
    def tracker_columns(self) -> list[str]:
        """The delivery tracker's header: quarter, the leaf level's id (strand, priority, ...), then the counts."""
        return ["quarter", self.leaf_level.id] + (self.delivery.columns if self.delivery else [])

    @property
    def section_folder(self) -> str:
        """Pages of sections live under the leaf level's plural: ``strands/rape``, ``priorities/...``."""
        return self.leaf_level.plural.lower().replace(" ", "-")

    @property
    def leaves(self) -> list[Section]:
        """The sections with pages, in the definition's order."""
        def walk(nodes):
            for node in nodes:
                yield from (walk(node.children) if node.children else [node])
        return list(walk(self.sections))

    @property
    def groups(self) -> list[tuple[Section | None, list[Section]]]:
        """(top-level section, its leaves) for a tree of two or more levels; one group (None, leaves) otherwise."""
        if len(self.levels) == 1:
            return [(None, self.leaves)]
        return [(top, [leaf for leaf in self.leaves if leaf.parent_id == top.id]) for top in self.sections]

    @property
    def measures(self) -> list[tuple[Section, Measure]]:
        return [(leaf, m) for leaf in self.leaves for m in leaf.measures]

    @property
    def has_workforce(self) -> bool:
        """Whether any measure comes from the Home Office police workforce table."""
        return any(m.source == WORKFORCE for _, m in self.measures)

    def section(self, section_id: str) -> Section:
        for leaf in self.leaves:
            if leaf.id == section_id:
                return leaf
        known = ", ".join(s.id for s in self.leaves)
        raise InputError(f"unknown {self.leaf_level.id} '{section_id}'. Known: {known}", file=self.source_file,
                         rule=f"{self.leaf_level.id} exists in the publication definition")

    def edition_title(self, force: str) -> str:
        """The owner's edition carries the title; another force's edition says whose framework it applies."""
        return self.title if force == self.owner_force else f"{self.title}: measures for {display_name(force)}"

    def narrative_parts(self, force: str) -> tuple[NarrativeSection, ...]:
        """The narrative headings of an edition: all of them in the owner's; in another force's, not those written
        for the owner's own areas (its Local Policing Areas are not that force's)."""
        if force == self.owner_force:
            return self.narrative
        return tuple(part for part in self.narrative if part.heading not in self.areas)

    def owner_mentions(self, text: str) -> list[str]:
        """The owner's proper nouns in ``text`` (another force's edition should have none), leaving out where the
        text says whose the publication is: its title, "<owner>'s ..." and "<organisation>'s ..."."""
        whose = [f"{name}{mark}s" for name in (display_name(self.owner_force), self.organisation) for mark in "'\u2019"]
        for allowed in sorted({self.title, self.short_title, *whose}, key=len, reverse=True):
            text = text.replace(allowed, " ")
        return [term for term in self.owner_terms if re.search(rf"\b{re.escape(term)}\b", text)]

    def publisher(self, force: str) -> str:
        """Who publishes the edition: the owner's organisation ("Essex Police"), or another force by its name."""
        return self.organisation if force == self.owner_force else display_name(force)

    def whose_aims(self, force: str) -> str:
        """'' in the owner's edition; in another force's, whose the aims and commitments are ("Essex's Police and
        Crime Plan"): they are the owner's words, which that edition measures another force against, and say so."""
        return "" if force == self.owner_force else f"{display_name(self.owner_force)}'s {self.short_title}"

    @property
    def editions_text(self) -> str:
        """``2021-22-Q1 onwards``, ``2018-19-Q1 to 2020-21-Q4``, ``any quarter``."""
        first, last = self.first_quarter, self.last_quarter
        if first and last:
            return f"{first.id} to {last.id}"
        return f"{first.id} onwards" if first else f"up to {last.id}" if last else "any quarter"

    def accepts(self, quarter: Quarter) -> bool:
        return ((self.first_quarter is None or quarter >= self.first_quarter)
                and (self.last_quarter is None or quarter <= self.last_quarter))


def period_labels(quarter: Quarter, force: str) -> dict[str, str]:
    """The labels a definition's headings may use: the edition's periods and its force."""
    return {"quarter": quarter.short_label, "quarter_label": quarter.label, "quarter_months": quarter.months_label,
            "next_quarter_months": quarter.shift(1).months_label, "twelve_months": quarter.twelve_months_label(),
            "force": display_name(force)}


LABEL_NAMES = ("quarter", "quarter_label", "quarter_months", "next_quarter_months", "twelve_months", "force")


# --- from the parsed YAML ------------------------------------------------------------------------------------
def _quarter(value, file: str, key: str) -> Quarter | None:
    if value in (None, ""):
        return None
    try:
        return parse_quarter(str(value))
    except QuarterError as exc:
        raise InputError(str(exc), file=file, column=key, rule="valid quarter id") from None


def _template(text: str, file: str, key: str) -> str:
    """A definition text that may use the labels ``period_labels`` gives ({force}, {quarter}, ...), and no other."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise InputError(f"the text \"{text}\" is not a valid template: {exc}", file=file, column=key, value=text,
                         rule="title template") from None
    unknown = sorted(names - set(LABEL_NAMES))
    if unknown:
        raise InputError(f"the text \"{text}\" uses {{{unknown[0]}}}, which is not a label; the labels are "
                         + ", ".join(f"{{{n}}}" for n in LABEL_NAMES), file=file, column=key, value=text,
                         rule="title template")
    return text


def _narrative_section(raw: dict, file: str) -> NarrativeSection:
    """A narrative heading; its title may use only the labels ``period_labels`` gives."""
    title = _template(str(raw.get("title", raw["heading"])), file, "narrative.title")
    return NarrativeSection(str(raw["heading"]), title)


def _text(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def _measure(raw: dict, file: str) -> Measure:
    return Measure(
        id=str(raw["id"]), name=str(raw["name"]), source=str(raw.get("source", HOME_OFFICE)),
        offence_codes=tuple(str(c) for c in raw.get("offence_codes") or []),
        proxy=bool(raw.get("proxy", False)), definition_note=_text(raw.get("definition_note", "")),
        short_note=_text(raw.get("short_note", "")),
        series_start=_quarter(raw.get("series_start"), file, "series_start"), unit=str(raw.get("unit", "crimes")),
        direction=_direction(raw, file), direction_reason=_text(raw.get("direction_reason", "")),
        aspiration=_text(raw.get("aspiration", "")),
        peer_table=bool(raw.get("peer_table", False)),
        worker_type=_text(raw.get("worker_type", "")), count=_workforce_count(raw),
        spc_steps=_spc_steps(raw.get("spc_steps"), file), target=_target(raw, file),
    )


def _target(raw: dict, file: str) -> float | None:
    """A measure's target: a number, for a measure with a better direction (neither: nothing to aim at)."""
    value = raw.get("target")
    if value is None:
        return None
    rule = "a measure's target is a number, and only a measure whose direction is lower or higher has one"
    line = getattr(raw, "lines", {}).get("target", getattr(raw, "line", None))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"measure '{raw.get('id')}' has target '{value}', which is not a number: give the figure "
                         "a quarter should reach, in the measure's unit", file=file, line=line, column="target",
                         value=value, rule=rule)
    if _text(raw.get("direction")) == NEITHER:
        raise InputError(f"measure '{raw.get('id')}' has a target but its direction is neither: a target needs a "
                         "better direction (lower or higher)", file=file, line=line, column="target", value=value,
                         rule=rule)
    return float(value)


def _spc_steps(raw, file: str) -> tuple[tuple[Quarter, str], ...]:
    """A measure's control chart step changes: each a quarter and the reason the process changed then."""
    steps = []
    for step in raw or ():
        reason = _text(step.get("reason"))
        if not reason:
            raise ValueError(f"spc_steps: the step at {step.get('quarter')} gives no reason")
        steps.append((_quarter(step["quarter"], file, "spc_steps.quarter"), reason))
    return tuple(steps)


def _workforce_count(raw: dict) -> str:
    if str(raw.get("source", HOME_OFFICE)) != WORKFORCE:
        return ""
    count = str(raw.get("count", ""))
    if count not in WORKFORCE_COUNTS:
        raise ValueError(f"measure '{raw.get('id')}': count '{count}' is not fte or headcount")
    if not _text(raw.get("worker_type", "")):
        raise ValueError(f"measure '{raw.get('id')}': a workforce measure names its worker_type")
    return count


def _direction(raw: dict, file: str) -> str:
    """A measure's direction, which every measure states, in the words of the definition's check
    (expectations/strategy_definition.json), whichever reads the definition first."""
    text, line = _text(raw.get("direction")), getattr(raw, "line", None)
    if text not in DIRECTIONS:
        raise InputError(f"measure '{raw.get('id')}' has direction '{text}': write lower (lower is better, as for "
                         "crime), higher (e.g. a solved rate) or neither (a count driven by police activity, such as "
                         "arrests)", file=file, line=line, column="direction", value=text,
                         rule="a measure's direction is lower, higher or neither (which is better)")
    if text == NEITHER and not _text(raw.get("direction_reason")):
        raise InputError(f"measure '{raw.get('id')}' has direction neither but no direction_reason: say in a "
                         "sentence why neither a rise nor a fall is better (e.g. arrests rise with police activity as "
                         "well as with offending)", file=file, line=line, column="direction_reason",
                         rule="a measure whose direction is neither says why (direction_reason)")
    return text


def _section(raw: dict, depth: int, levels: tuple[Level, ...], file: str, parent: dict | None) -> Section:
    children = raw.get("sections") or []
    if depth + 1 < len(levels) and not children:
        raise InputError(f"{levels[depth].name.lower()} '{raw.get('id')}' has no {levels[depth + 1].plural.lower()}",
                         file=file, rule="every section above the last level has sections")
    kids = tuple(_section(c, depth + 1, levels, file, raw) for c in children) if depth + 1 < len(levels) else ()
    return Section(
        id=str(raw["id"]), name=str(raw["name"]), level=levels[depth].id,
        parent_id=str(parent["id"]) if parent else "", parent_name=str(parent["name"]) if parent else "",
        lead_role=_text(raw.get("lead_role", "")), lead_name=_text(raw.get("lead_name", "")),
        aim=_template(_text(raw.get("aim", "")), file, "aim"),
        measures=tuple(_measure(m, file) for m in raw.get("measures") or []),
        no_open_data=_text(raw.get("no_open_data", "")), tracker_name=str(raw.get("tracker_name", raw["name"])),
        commitments=tuple(_template(_text(c), file, "commitments") for c in raw.get("commitments") or []),
        children=kids,
        headline_choices=_headline_choices(raw, file),
    )


def _headline_choices(raw: dict, file: str) -> tuple[tuple[str, ...], ...]:
    """A section's ``headline`` key: a list, each item a measure id or ``{measure: id, fallback: id or [ids]}``;
    every id one of the section's measures."""
    known = {str(m.get("id")) for m in raw.get("measures") or [] if isinstance(m, dict)}
    choices = []
    for item in raw.get("headline") or []:
        if isinstance(item, dict):
            fallback = item.get("fallback") or []
            fallbacks = fallback if isinstance(fallback, list) else [fallback]
            ids = [str(item.get("measure"))] + [str(f) for f in fallbacks]
        else:
            ids = [str(item)]
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise InputError(f"section '{raw.get('id')}' names headline measure '{unknown[0]}', which is not one of "
                             f"its measures ({', '.join(sorted(known)) or 'none'})", file=file,
                             line=getattr(raw, "lines", {}).get("headline"), column="headline", value=unknown[0],
                             rule="a section's headline names its own measures")
        choices.append(tuple(ids))
    return tuple(choices)


def _delivery(raw: dict | None) -> Delivery | None:
    if not raw:
        return None
    parts = tuple(DeliveryColumn(**p) for p in raw["parts"])
    attention = str(raw.get("attention") or "")
    if attention and attention not in {p.column for p in parts}:
        raise ValueError(f"delivery.attention '{attention}' is not one of the parts")
    return Delivery(DeliveryColumn(**raw["total"]), parts, attention, str(raw.get("unit", "actions")))


def _board(raw: dict | None) -> Board | None:
    if not raw:
        return None
    return Board(purpose=_text(raw.get("purpose")), links=tuple(_text(x) for x in raw.get("links") or ()),
                 links_intro=_text(raw.get("links_intro")), risks=_text(raw.get("risks")),
                 equality=_text(raw.get("equality")), health_and_safety=_text(raw.get("health_and_safety")),
                 consultation=_text(raw.get("consultation")))


def _disturbed_periods(raw, file: str) -> tuple[tuple[Quarter, Quarter, str], ...]:
    periods = []
    for period in raw or ():
        first = _quarter(period["from"], file, "disturbed_periods.from")
        last = _quarter(period.get("to", period["from"]), file, "disturbed_periods.to")
        reason = _text(period.get("reason"))
        if not reason:
            raise ValueError(f"disturbed_periods: the period from {first} gives no reason")
        if last.index < first.index:
            raise ValueError(f"disturbed_periods: the period from {first} ends before it starts ({last})")
        periods.append((first, last, reason))
    return tuple(periods)


def _peer_baseline(raw: dict, file: str) -> tuple[int, ...]:
    """``peer_group.baseline: {from: 2013-14, to: 2015-16}``: the financial years a computed group is chosen on.
    A publication with a position table must state one, and none of its quarters may be in a disturbed period."""
    group = raw.get("peer_group") or {}
    if not group.get("label"):
        return ()
    baseline = group.get("baseline") or {}
    line = getattr(group, "lines", {}).get("baseline", getattr(group, "line", None))
    rule = "a comparison group's baseline is whole financial years outside disturbed periods"
    try:
        first = quarter_from_home_office(str(baseline["from"]).replace("-", "/"), 1)
        last = quarter_from_home_office(str(baseline.get("to", baseline["from"])).replace("-", "/"), 4)
    except (KeyError, TypeError, QuarterError):
        raise InputError("peer_group has no baseline of financial years ({from: 2013-14, to: 2015-16}): the group of "
                         "similar forces is chosen on a stated baseline, the same for every edition", file=file,
                         line=line, column="peer_group.baseline", rule=rule) from None
    years = tuple(range(first.fy_start, last.fy_start + 1))
    if not years:
        raise InputError(f"peer_group.baseline ends ({last.financial_year}) before it starts ({first.financial_year})",
                         file=file, line=line, column="peer_group.baseline", rule=rule)
    for disturbed in _disturbed_periods(raw.get("disturbed_periods"), file):
        hit = [q for q in quarter_range(first, last) if disturbed[0] <= q <= disturbed[1]]
        if hit:
            raise InputError(f"peer_group.baseline includes {hit[0].short_label}, in a disturbed period "
                             f"({disturbed[2]}): choose years outside it", file=file, line=line,
                             column="peer_group.baseline", rule=rule)
    return years


def disturbed_quarters(publication: Publication) -> list[str]:
    """The ids of every quarter in the publication's disturbed periods."""
    return [q.id for first, last, _ in publication.disturbed_periods for q in quarter_range(first, last)]


def _baseline_quarters(raw: dict) -> int:
    n = int(raw.get("spc_baseline_quarters", 12))
    if n < 2:
        raise ValueError(f"spc_baseline_quarters is {n}: a control chart's baseline needs at least 2 quarters")
    return n


def publication_from_mapping(raw: dict, folder: Path, file: str) -> Publication:
    """The model of a parsed definition. Structural problems become an InputError naming the file and key."""
    try:
        levels = tuple(Level(str(v["id"]), str(v["name"]), str(v["plural"]), str(v.get("lead", "Lead")))
                       for v in raw["levels"])
        baseline = raw.get("baseline") or {}
        pages = raw.get("pages") or {}
        return Publication(
            id=str(raw["id"]), title=str(raw["title"]), short_title=str(raw.get("short_title", raw["title"])),
            organisation=str(raw["organisation"]), owner_force=str(raw["owner_force"]),
            default_force=str(raw.get("default_force", raw["owner_force"])),
            default_quarter=_quarter(raw["default_quarter"], file, "default_quarter"),
            first_quarter=_quarter(raw.get("first_quarter"), file, "first_quarter"),
            last_quarter=_quarter(raw.get("last_quarter"), file, "last_quarter"),
            baseline_end=_quarter(baseline.get("end_quarter"), file, "baseline.end_quarter"),
            baseline_name=str(baseline.get("name", "")), history_quarters=int(raw.get("history_quarters", 20)),
            levels=levels, comparisons=tuple(str(c) for c in raw["comparisons"]),
            narrative=tuple(_narrative_section(n, file) for n in raw.get("narrative") or []),
            delivery=_delivery(raw.get("delivery")),
            pages_before=tuple(pages.get("before") or ()), shared_pages=tuple(pages.get("shared") or ()),
            appendices=tuple(pages.get("appendices") or ()), reference=dict(raw.get("reference") or {}),
            sections=tuple(_section(s, 0, levels, file, None) for s in raw["sections"]),
            areas=tuple(str(a) for a in raw.get("areas") or ()),
            peer_group_label=str((raw.get("peer_group") or {}).get("label", "")),
            peer_group_not_available=tuple(_text(m) for m in (raw.get("peer_group") or {}).get("not_available") or ()),
            peer_baseline=_peer_baseline(raw, file), owner_terms=tuple(_text(t) for t in raw.get("owner_terms") or ()),
            board=_board(raw.get("board")), spc_baseline_quarters=_baseline_quarters(raw),
            disturbed_periods=_disturbed_periods(raw.get("disturbed_periods"), file),
            release=release_from_mapping(raw.get("release"), file),
            folder=Path(folder), source_file=file,
        )
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise InputError(f"the publication definition is missing or has a malformed key ({type(exc).__name__}: "
                         f"{exc})", file=file, rule="the definition follows the documented format") from None

