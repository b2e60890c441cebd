"""The sweep: every edition of a stated matrix (publications x quarters x forces) built on one Dask cluster, and a
report of what built, what failed and why (``strategy-update sweep``).

The matrix is stated in words and resolved per publication:

- publications: ids separated by commas, or ``all`` (every folder of ``publications/``);
- quarters: ``first``, ``default`` and ``last`` (the publication's first and last quarter an edition can be built
  for, bounded by the open data, and its default), ``all`` (every such quarter), or quarter ids (those outside the
  publication's life are left out, and the report says so);
- forces: ``owner`` (the force whose publication it is), ``smallest`` (the force with the smallest population in
  the latest ONS estimate), ``all`` (every force), or names or slugs; separated by commas ("London, City of" is one
  name).

Each publication and quarter is one ``build-all`` run (its editions and its national index) on the sweep's cluster,
which is started once and kept for every run, so its workers keep their kernels and books warm from run to run. A
failed edition fails alone, as in ``build-all``; a run that cannot start (a quarter the data does not reach, say)
fails its editions with the reason. The report, ``<out>/sweep/index.html`` and ``sweep.csv`` beside it, is written
before the first run (every edition "to build"), after each run and at the end, so a sweep stopped half-way still
says how far it got; the national indexes and the list of every edition link to it.
"""

from __future__ import annotations

import csv
import io
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from strategy_update.core.errors import BuildError, InputError
from strategy_update.core.periods import Quarter, QuarterError, parse_quarter, quarter_range

SWEEP_FOLDER = "sweep"  # <out>/sweep/: the report (no publication has this id: publication ids have a hyphen)
REPORT_HTML, REPORT_CSV = "index.html", "sweep.csv"
QUARTER_WORDS = ("first", "default", "last", "all")
FORCE_WORDS = ("owner", "smallest", "all")
TO_BUILD, FAILED = "to build", "failed"
CSV_COLUMNS = ["publication", "quarter", "force", "result", "why", "edition", "run_seconds"]


@dataclass(frozen=True)
class Run:
    """One ``build-all`` run of the sweep: a publication, a quarter and its forces."""

    publication: str
    title: str
    quarter: Quarter
    forces: tuple[str, ...]


@dataclass(frozen=True)
class Matrix:
    """The matrix as asked (in words) and as resolved (the runs), with the quarters asked for that a publication
    does not have (left out, and said)."""

    asked: str
    runs: tuple[Run, ...]
    left_out: tuple[str, ...] = ()

    @property
    def editions(self) -> int:
        return sum(len(r.forces) for r in self.runs)


@dataclass
class Row:
    """One edition of the matrix: how it ended, and why when it failed."""

    run: Run
    force: str
    result: str = TO_BUILD
    why: str = ""
    link: str = ""  # its front page, relative to the output folder; '' when there is none
    seconds: float | None = None  # its run's seconds (every edition of a run shares them)


# --- the matrix --------------------------------------------------------------------------------------------------
def _pieces(text: str) -> list[str]:
    return [piece.strip() for piece in text.split(",") if piece.strip()]


def data_quarters(crime_path: Path) -> tuple[Quarter, Quarter]:
    """The first and last quarter of the Home Office table (any force): what an edition's quarters are bounded by."""
    import pandas as pd

    from strategy_update.core.periods import quarter_from_home_office

    try:
        table = pd.read_csv(crime_path, usecols=["Financial Year", "Financial Quarter"], dtype=str).drop_duplicates()
        quarters = [quarter_from_home_office(y, int(q)) for y, q in table.itertuples(index=False)]
    except (OSError, ValueError, KeyError, QuarterError) as exc:
        raise InputError(f"the Home Office table cannot be read to find the quarters it covers ({exc}): run "
                         "`strategy-update validate` to see why", file=str(crime_path),
                         rule="readable crime table") from None
    return min(quarters), max(quarters)


def edition_quarters(publication, data: tuple[Quarter, Quarter]) -> list[Quarter]:
    """Every quarter an edition of ``publication`` can be built for: its own first to last quarter, within the
    data (an edition compares 12 months with the 12 before, so its quarter is at least 7 after the data's first)."""
    first, last = data[0].shift(7), data[1]
    if publication.first_quarter is not None:
        first = max(first, publication.first_quarter)
    if publication.last_quarter is not None:
        last = min(last, publication.last_quarter)
    return quarter_range(first, last) if first <= last else []


def _quarters(publication, words: list[str], data: tuple[Quarter, Quarter]) -> tuple[list[Quarter], list[str]]:
    possible = edition_quarters(publication, data)
    chosen, left_out = [], []
    for word in words:
        if word.lower() == "all":
            chosen += possible
        elif word.lower() in ("first", "last"):
            chosen += possible[:1] if word.lower() == "first" else possible[-1:]
        elif word.lower() == "default":
            chosen.append(publication.default_quarter)
        else:
            quarter = parse_quarter(word)
            if quarter in possible:
                chosen.append(quarter)
            else:
                left_out.append(f"{publication.id} {quarter.id} (its editions are {publication.editions_text}"
                                f"{', within the data' if possible else ''})")
    return sorted(set(chosen)), left_out


def smallest_force(population) -> str:
    """The force with the smallest population in the latest ONS estimate."""
    latest = population[population["mid_year"] == population["mid_year"].max()]
    return str(latest.sort_values(["population", "force_name"]).iloc[0]["force_name"])


def _forces(publication, text: str, known: list[str], population) -> list[str]:
    """The forces named by ``text`` for ``publication``, in the order given, each once."""
    from strategy_update.build.national import forces_asked

    out, names = [], []

    def flush() -> None:
        if names:
            out.extend(forces_asked(", ".join(names), known))
            names.clear()
    for piece in _pieces(text):
        word = piece.lower()
        if word in FORCE_WORDS:
            flush()
            out.extend({"owner": [publication.owner_force], "all": known}.get(word)
                       or [smallest_force(population)])
        else:
            names.append(piece)
    flush()
    return list(dict.fromkeys(out))


def sweep_matrix(publications: str, quarters: str, forces: str, *, data_dir: Path,
                 publications_dir: Path) -> Matrix:
    """The runs of the matrix asked for (module docstring); InputError for an unknown publication, force or a
    quarter that cannot be read."""
    from strategy_update.build.pipeline import known_forces
    from strategy_update.inputs.definition import load_publication
    from strategy_update.inputs.paths import InputPaths, publication_ids
    from strategy_update.inputs.readers import load_population

    every = publication_ids(publications_dir)
    ids = every if publications.strip().lower() == "all" else _pieces(publications)
    unknown = [p for p in ids if p not in every]
    if unknown or not ids:
        raise InputError(f"unknown publication(s) {', '.join(unknown) or '(none named)'}: known are "
                         f"{', '.join(every)}, or 'all'", column="--publication", value=publications,
                         rule="the publication is a folder of publications/")
    paths = InputPaths(data_dir, publications_dir, ids[0], "")
    known = known_forces(paths)
    if not known:
        raise InputError("the list of forces (the ONS population table in data/raw/ons/) cannot be read: run "
                         "`strategy-update validate` to see why", rule="population table")
    population = load_population(paths.population)
    data = data_quarters(paths.crime)
    words = _pieces(quarters) or ["default"]
    runs, left_out = [], []
    for pid in ids:
        publication = load_publication(InputPaths(data_dir, publications_dir, pid, ""))
        chosen, outside = _quarters(publication, words, data)
        left_out += outside
        names = tuple(_forces(publication, forces, known, population))
        runs += [Run(pid, publication.title, q, names) for q in chosen]
    asked = f"publications: {publications}; quarters: {', '.join(words)}; forces: {forces}"
    return Matrix(asked, tuple(runs), tuple(left_out))


# --- the run -----------------------------------------------------------------------------------------------------
@dataclass
class SweepOutcome:
    matrix: Matrix
    rows: list[Row] = field(default_factory=list)
    report: Path | None = None
    seconds: float = 0.0

    @property
    def failed(self) -> list[Row]:
        return [r for r in self.rows if r.result == FAILED]


def run_sweep(matrix: Matrix, *, data_dir: Path, publications_dir: Path, out_dir: Path, pdf: bool = False,
              scheduler: str | None = None, workers: int | None = None, strict: bool = False, rerun: bool = False,
              reviewer: bool = False, dashboard: str | None = None, log=print) -> SweepOutcome:
    """Every run of ``matrix`` on one Dask cluster, the report rewritten after each (module docstring)."""
    from strategy_update.build.interrupt import processes_stopped_on_exit
    from strategy_update.build.national import DEFAULT_DASHBOARD, build_all, dask_client

    started, begun = time.perf_counter(), datetime.now(UTC)
    outcome = SweepOutcome(matrix, [Row(run, force) for run in matrix.runs for force in run.forces])
    log(f"Sweep: {matrix.editions} editions in {len(matrix.runs)} runs ({matrix.asked})"
        + (f"; left out: {'; '.join(matrix.left_out)}" if matrix.left_out else ""))
    outcome.report = write_report(out_dir, outcome, begun, done=False)
    if not matrix.runs:
        return outcome
    with processes_stopped_on_exit(), dask_client(scheduler, workers, log, dashboard or DEFAULT_DASHBOARD) as client:
        for number, run in enumerate(matrix.runs, start=1):
            log(f"Sweep run {number} of {len(matrix.runs)}: {run.publication}, {run.quarter.id}, "
                f"{len(run.forces)} force{'s' if len(run.forces) != 1 else ''}")
            rows = [r for r in outcome.rows if r.run == run]
            run_started = time.perf_counter()
            try:
                national = build_all(run.publication, run.quarter.id, list(run.forces), data_dir=data_dir,
                                     publications_dir=publications_dir, out_dir=out_dir, pdf=pdf, strict=strict,
                                     rerun=rerun, reviewer=reviewer, log=log, client=client)
            except (InputError, BuildError, QuarterError) as exc:  # the run could not start: its editions fail
                for row in rows:
                    row.result, row.why = FAILED, f"the run could not start: {exc}"
            else:
                by_force = {e.spec.force: e for e in national.editions}
                for row in rows:
                    edition = by_force.get(row.force)
                    page = None if edition is None else edition.target / "html" / "index.html"
                    row.result = FAILED if edition is None else edition.status
                    row.why = "not built" if edition is None else edition.message
                    row.link = page.relative_to(out_dir).as_posix() if page is not None and page.exists() else ""
            for row in rows:
                row.seconds = time.perf_counter() - run_started
            outcome.report = write_report(out_dir, outcome, begun, done=False)
    outcome.seconds = time.perf_counter() - started
    outcome.report = write_report(out_dir, outcome, begun, done=True, seconds=outcome.seconds)
    from strategy_update.render.site_index import write_site_index

    write_site_index(out_dir)
    built = len(outcome.rows) - len(outcome.failed)
    log(f"Sweep: {built} of {len(outcome.rows)} editions built or up to date, {len(outcome.failed)} failed, in "
        f"{outcome.seconds:.0f} s; report {outcome.report}")
    return outcome


# --- the report --------------------------------------------------------------------------------------------------
def report_path(out_dir: Path) -> Path:
    return out_dir / SWEEP_FOLDER / REPORT_HTML


def report_csv(outcome: SweepOutcome) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in outcome.rows:
        writer.writerow([r.run.publication, r.run.quarter.id, r.force, r.result, r.why, r.link,
                         "" if r.seconds is None else f"{r.seconds:.1f}"])
    return buffer.getvalue()


def _summary(outcome: SweepOutcome, done: bool, seconds: float | None) -> str:
    counts: dict[str, int] = {}
    for r in outcome.rows:
        counts[r.result] = counts.get(r.result, 0) + 1
    parts = [f"{n} {result}" for result, n in sorted(counts.items())]
    state = (f"Finished in {seconds:,.0f} s" if done and seconds is not None else
             "Finished" if done else "Under way (this page is rewritten after each run)")
    return (f"{state}: {len(outcome.rows)} editions in {len(outcome.matrix.runs)} runs: "
            f"{', '.join(parts) or 'none'}.")


def report_html(outcome: SweepOutcome, begun: datetime, done: bool, seconds: float | None = None) -> str:
    from strategy_update.model.forces import display_name
    from strategy_update.render.site_index import STYLE

    rows = []
    for r in outcome.rows:
        edition = (f"<a href=\"../{escape(r.link)}\">website</a>" if r.link else "none")
        rows.append(f"<tr><td>{escape(r.run.title)}</td><th scope=\"row\">{escape(r.run.quarter.short_label)}</th>"
                    f"<td>{escape(display_name(r.force))}</td><td>{escape(r.result)}</td>"
                    f"<td>{escape(r.why)}</td><td>{edition}</td></tr>")
    left_out = ("<p>Asked for but left out, being outside a publication's editions: "
                + escape("; ".join(outcome.matrix.left_out)) + ".</p>\n" if outcome.matrix.left_out else "")
    failed = outcome.failed
    failures = ("<p>No edition failed.</p>" if done and not failed else
                f"<p>{len(failed)} edition{'s' if len(failed) != 1 else ''} failed; each row says why.</p>"
                if failed else "")
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<link rel=\"icon\" href=\"data:,\">\n<title>Sweep report</title>\n<style>\n{STYLE}\n</style>\n</head>\n"
            f"<body>\n<main>\n<h1>Sweep report</h1>\n"
            f"<p>Every edition of a stated matrix of publications, quarters and forces, built on one Dask cluster, "
            f"started {begun.day} {begun:%B %Y} at {begun:%H:%M} UTC. {escape(_summary(outcome, done, seconds))}"
            f"</p>\n<p>The matrix as asked: {escape(outcome.matrix.asked)}. The same table as data: "
            f"<a href=\"{REPORT_CSV}\">{REPORT_CSV}</a>. Every edition published is also on the "
            f"<a href=\"../index.html\">list of all editions</a>.</p>\n{left_out}{failures}\n"
            f"<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Editions of the sweep\">\n<table>\n"
            f"<caption>Editions of the sweep: what built, what failed and why</caption>\n"
            f"<thead><tr><th scope=\"col\">Publication</th><th scope=\"col\">Quarter</th><th scope=\"col\">Force</th>"
            f"<th scope=\"col\">Result</th><th scope=\"col\">Why</th><th scope=\"col\">Edition</th></tr></thead>\n"
            f"<tbody>\n{chr(10).join(rows)}\n</tbody>\n</table>\n</div>\n</main>\n</body>\n</html>\n")


def write_report(out_dir: Path, outcome: SweepOutcome, begun: datetime, done: bool,
                 seconds: float | None = None) -> Path:
    """``<out>/sweep/index.html`` and ``sweep.csv``, each replaced whole (a reader never gets half a page)."""
    folder = out_dir / SWEEP_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ((REPORT_CSV, report_csv(outcome)), (REPORT_HTML, report_html(outcome, begun, done, seconds))):
        fresh = folder / f".{name}.new"
        fresh.write_text(text, encoding="utf-8")
        fresh.replace(folder / name)
    return folder / REPORT_HTML
