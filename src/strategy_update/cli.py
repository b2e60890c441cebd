"""The command line:
``strategy-update build|build-all|sweep|list|validate|check|new-quarter|preview|backtest|toc|labels``.

Bad input gives a message and exit code 2, a failed step exit code 3; never a traceback.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2
EXIT_BUILD_FAILED = 3
NOTHING_PUBLISHED = "Nothing was published; the previous edition, if any, is unchanged."
NOTHING_PUBLISHED_ALL = "Nothing was published; the previous editions, if any, are unchanged."


def _edition_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--publication", help="publication id, a folder of publications/ (default: "
                        "crime-prevention-2021-25; `strategy-update list` shows them)")
    parser.add_argument("--force", dest="police_force", metavar="FORCE",
                        help="police force by name or slug, e.g. Essex, 'Devon and Cornwall', devon-and-cornwall "
                             "(default: the publication's)")
    parser.add_argument("--quarter", help="e.g. 2021-22-Q4 (also 2021/22 Q4, FY2021-22 Q4); default: the publication's")
    parser.add_argument("--data", type=Path, help="data folder (default: ./data)")
    parser.add_argument("--publications", type=Path, help="publications folder (default: ./publications)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="strategy-update", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="build one edition (website and PDF) into "
                                "_build/<publication>/<force>/<quarter>/")
    _edition_options(build)
    build.add_argument("--out", type=Path, help="output folder (default: ./_build)")
    build.add_argument("--no-pdf", action="store_true", help="build the website only")
    build.add_argument("--jobs", type=int, help="notebooks run at once (default: the number of cores)")
    build.add_argument("--rerun", action="store_true", help="execute every notebook even if nothing changed")
    build.add_argument("--strict", action="store_true",
                       help="fail if any section's narrative or delivery data is missing (for the real release)")
    build.add_argument("--reviewer", action="store_true",
                       help="the reviewer's edition: code toggles and notebook downloads on the website (the public "
                       "edition has none); use --out to keep both")
    build.add_argument("--correction", metavar="REASON",
                       help="publish changed figures of a published edition as a correction, saying why; the version "
                       "it replaces is kept and linked (without it, a republish whose figures moved is refused)")

    build_all = commands.add_parser("build-all", help="build one edition per force, on Dask distributed, and a "
                                    "national index of them (_build/<publication>/national/<quarter>/)")
    build_all.add_argument("--publication", help="publication id (default: crime-prevention-2021-25)")
    build_all.add_argument("--quarter", help="e.g. 2021-22-Q4; default: the publication's")
    build_all.add_argument("--forces", default="all",
                           help="'all' (the default: the 43 forces of England and Wales) or names or slugs separated "
                           "by commas, e.g. 'Essex,Kent,Surrey'")
    build_all.add_argument("--data", type=Path, help="data folder (default: ./data)")
    build_all.add_argument("--publications", type=Path, help="publications folder (default: ./publications)")
    build_all.add_argument("--out", type=Path, help="output folder (default: ./_build)")
    build_all.add_argument("--no-pdf", action="store_true", help="build the websites only")
    build_all.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                           help="run on this Dask cluster (its workers need this project installed and the same "
                           "data and output folders); default: a cluster on this machine")
    build_all.add_argument("--workers", type=int, help="workers of the cluster on this machine (default: one per core)")
    build_all.add_argument("--dashboard", metavar="HOST:PORT", default="127.0.0.1:8787",
                           help="address of the Dask dashboard of the cluster on this machine (default: "
                           "127.0.0.1:8787, this computer only)")
    build_all.add_argument("--rerun", action="store_true", help="build every edition even if nothing changed")
    build_all.add_argument("--strict", action="store_true",
                           help="fail an edition if any section's narrative or delivery data is missing")
    build_all.add_argument("--reviewer", action="store_true", help="the reviewer's editions (code toggles)")
    build_all.add_argument("--correction", metavar="REASON",
                           help="publish changed figures of published editions as corrections, saying why (without "
                           "it, an edition whose published figures moved is refused and the others are published)")

    sweep = commands.add_parser("sweep", help="build every edition of a matrix (publications x quarters x forces) "
                                "on one Dask cluster, websites only unless --pdf, and write a report of what built, "
                                "what failed and why (_build/sweep/index.html and sweep.csv)")
    sweep.add_argument("--publication", default="all",
                       help="publication ids separated by commas, or 'all' (the default)")
    sweep.add_argument("--quarters", default="first,default,last",
                       help="'first', 'default', 'last' (each publication's own; the default is all three), 'all' "
                       "(every quarter the publication and the data allow) or quarter ids, separated by commas")
    sweep.add_argument("--forces", default="owner",
                       help="'owner' (the publication's force; the default), 'smallest' (the smallest population), "
                       "'all', or names or slugs, separated by commas (\"London, City of\" is one name)")
    sweep.add_argument("--pdf", action="store_true", help="websites and PDFs (default: websites only)")
    sweep.add_argument("--data", type=Path, help="data folder (default: ./data)")
    sweep.add_argument("--publications", type=Path, help="publications folder (default: ./publications)")
    sweep.add_argument("--out", type=Path, help="output folder (default: ./_build)")
    sweep.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run on this Dask cluster (default: a cluster on this machine)")
    sweep.add_argument("--workers", type=int, help="workers of the cluster on this machine (default: one per core)")
    sweep.add_argument("--dashboard", metavar="HOST:PORT", default="127.0.0.1:8787",
                       help="address of the Dask dashboard of the cluster on this machine (default: 127.0.0.1:8787)")
    sweep.add_argument("--rerun", action="store_true", help="build every edition even if nothing changed")
    sweep.add_argument("--strict", action="store_true",
                       help="fail an edition if any section's narrative or delivery data is missing")
    sweep.add_argument("--reviewer", action="store_true", help="the reviewer's editions (code toggles)")

    listing = commands.add_parser("list", help="list the publications and forces this project knows")
    listing.add_argument("--data", type=Path, help="data folder (default: ./data)")
    listing.add_argument("--publications", type=Path, help="publications folder (default: ./publications)")

    validate = commands.add_parser("validate", help="check every input with Great Expectations and print a report")
    _edition_options(validate)
    validate.add_argument("--strict", action="store_true", help="missing narrative or delivery data is critical")

    backtest = commands.add_parser("backtest", help="recompute the figures printed in the last hand-made reports")
    _edition_options(backtest)

    toc = commands.add_parser("toc", help="write _toc.yml (the default edition's contents) from its definition")
    toc.add_argument("--check", action="store_true", help="exit 1 if _toc.yml is out of date, write nothing")

    new_quarter = commands.add_parser("new-quarter", help="create the quarter's templates: one narrative per "
                                      "section (Word or Markdown) and the delivery tracker workbook; never "
                                      "overwrites a file")
    _edition_options(new_quarter)
    new_quarter.add_argument("--format", choices=("docx", "md"), default="docx",
                             help="narrative templates in Word (.docx, the default) or Markdown (.md)")

    check = commands.add_parser("check", help="say, per section, what is in, what is missing and what is wrong "
                                "(exit 0 ready, 1 missing or warnings, 2 errors)")
    _edition_options(check)
    check.add_argument("--strict", action="store_true", help="missing narrative or delivery data is an error")

    preview = commands.add_parser("preview", help="serve the edition's website on this computer and build it again "
                                  "whenever an input is saved; the open page reloads itself (Ctrl-C stops it)")
    _edition_options(preview)
    preview.add_argument("--out", type=Path, help="output folder (default: ./_build)")
    preview.add_argument("--jobs", type=int, help="notebooks run at once (default: the number of cores)")
    preview.add_argument("--host", default="127.0.0.1",
                         help="address to serve on (default: 127.0.0.1, this computer only)")
    preview.add_argument("--port", type=int, default=8000, help="port to serve on (default: 8000; 0: any free port)")

    labels = commands.add_parser("labels", help="print the period labels of a quarter")
    labels.add_argument("quarter")
    return parser


def main(argv: list[str] | None = None) -> int:
    from strategy_update.build.interrupt import ignore_signals, raise_on_signals

    raise_on_signals()  # SIGTERM, like Ctrl-C, stops the build cleanly (its processes too) instead of killing it
    args = _parser().parse_args(argv)
    try:
        code = _run(args)
        if argv is None:
            # The command itself (not a call from Python): it has said how it went, and what is left is the
            # interpreter's exit, a second or so after a build. A stop then changes nothing, and must not turn a
            # published edition into a silent exit 143, as Python's own handling of the signals there would.
            ignore_signals()
        return code
    except KeyboardInterrupt as exc:  # also a stop while a failure was being reported, or just after the command
        return _interrupted(exc, args.command)


def _interrupted(exc: KeyboardInterrupt, command: str) -> int:
    """Ctrl-C or SIGTERM: the build has stopped its processes; one line (what was published), no traceback."""
    from strategy_update.build.interrupt import Interrupted

    stopped = exc if isinstance(exc, Interrupted) else Interrupted(signal.SIGINT)
    print(stopped.message() if command in ("build", "build-all", "sweep") else "Interrupted.", file=sys.stderr)
    return stopped.exit_code


def _run(args) -> int:
    from strategy_update.core.errors import BuildError, InputError, ValidationFailed, machine_error
    from strategy_update.core.periods import QuarterError

    try:
        if args.command == "build":
            from strategy_update.build.pipeline import build

            build(args.publication, args.police_force, args.quarter, data_dir=args.data,
                  publications_dir=args.publications, out_dir=args.out, pdf=not args.no_pdf, jobs=args.jobs,
                  strict=args.strict, rerun=args.rerun, reviewer=args.reviewer, correction=args.correction)
        elif args.command == "build-all":
            from strategy_update.build.national import build_all

            outcome = build_all(args.publication, args.quarter, args.forces, data_dir=args.data,
                                publications_dir=args.publications, out_dir=args.out, pdf=not args.no_pdf,
                                scheduler=args.scheduler, workers=args.workers, strict=args.strict,
                                rerun=args.rerun, reviewer=args.reviewer, dashboard=args.dashboard,
                                correction=args.correction)
            if outcome.failed:
                print(f"build failed for {len(outcome.failed)} of {len(outcome.editions)} editions: "
                      + "; ".join(f"{r.spec.force} ({r.message})" for r in outcome.failed), file=sys.stderr)
                print("Their previous editions, if any, are unchanged; the others are published.", file=sys.stderr)
                return EXIT_BUILD_FAILED
        elif args.command == "sweep":
            return _sweep(args)
        elif args.command == "list":
            print(_listing(args))
        elif args.command == "validate":
            from strategy_update.inputs.validate import validate_inputs

            spec = _spec(args)
            report = validate_inputs(spec.paths, spec.force, spec.quarter.id, strict=args.strict)
            print(report.format_text())
            return EXIT_BAD_INPUT if report.critical else 0
        elif args.command == "backtest":
            from strategy_update.render.backtest_page import backtest_report

            print(backtest_report(_spec(args).paths))
        elif args.command == "new-quarter":
            return _new_quarter(args)
        elif args.command == "check":
            return _check(args)
        elif args.command == "toc":
            return _toc(args)
        elif args.command == "preview":
            from strategy_update.build.preview import PreviewOptions, preview

            return preview(PreviewOptions(args.publication, args.police_force, args.quarter, args.data,
                                          args.publications, args.out, args.jobs, args.host, args.port))
        elif args.command == "labels":
            from strategy_update.core.periods import parse_quarter

            q = parse_quarter(args.quarter)
            print(f"{q.id}\n{q.label}\nDelivery achieved {q.months_label}\n"
                  f"Delivery scheduled {q.shift(1).months_label}\n{q.twelve_months_label()}")
    except ValidationFailed as exc:
        print(exc.report.format_text(), file=sys.stderr)
        print(NOTHING_PUBLISHED, file=sys.stderr)
        return EXIT_BAD_INPUT
    except (InputError, QuarterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(NOTHING_PUBLISHED, file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt as exc:
        return _interrupted(exc, args.command)
    except BuildError as exc:  # a failed step: say which, keep the last good edition
        return _build_failed(exc, args.command)
    except OSError as exc:  # a full disk, a folder it may not write: said as a failed step is; anything else is a bug
        problem = machine_error(exc, "the build stopped")
        if problem is None:
            raise
        return _build_failed(problem, args.command)
    return 0


def _sweep(args) -> int:
    from strategy_update.build.pipeline import project_root
    from strategy_update.build.sweep import run_sweep, sweep_matrix

    data, publications = _folders(args)
    matrix = sweep_matrix(args.publication, args.quarters, args.forces, data_dir=data, publications_dir=publications)
    outcome = run_sweep(matrix, data_dir=data, publications_dir=publications,
                        out_dir=(args.out or project_root() / "_build").resolve(), pdf=args.pdf,
                        scheduler=args.scheduler, workers=args.workers, strict=args.strict, rerun=args.rerun,
                        reviewer=args.reviewer, dashboard=args.dashboard)
    if outcome.failed:
        print(f"sweep: {len(outcome.failed)} of {len(outcome.rows)} editions failed: "
              + "; ".join(f"{r.run.publication} {r.run.quarter.id} {r.force} ({r.why})" for r in outcome.failed),
              file=sys.stderr)
        return EXIT_BUILD_FAILED
    return 0


def _build_failed(exc: Exception, command: str) -> int:
    from strategy_update.build.interrupt import published_editions

    print(f"build failed: {exc}", file=sys.stderr)
    many = command in ("build-all", "sweep")
    editions = published_editions() if many else None
    print(f"Published before the failure: {', '.join(editions)}; the other editions, if any, are unchanged."
          if editions else NOTHING_PUBLISHED_ALL if many else NOTHING_PUBLISHED, file=sys.stderr)
    return EXIT_BUILD_FAILED


def _folders(args) -> tuple[Path, Path]:
    from strategy_update.build.pipeline import project_root

    root = project_root()
    return (args.data or root / "data").resolve(), (args.publications or root / "publications").resolve()


def _spec(args):
    from strategy_update.build.pipeline import resolve_edition

    data, publications = _folders(args)
    return resolve_edition(args.publication, args.police_force, args.quarter, data_dir=data,
                           publications_dir=publications)


def _listing(args) -> str:
    """Publications (with their default edition and quarters) and forces (with the inputs each has supplied)."""
    from strategy_update.build.pipeline import DEFAULT_PUBLICATION, known_forces
    from strategy_update.core.errors import InputError
    from strategy_update.inputs.definition import load_publication
    from strategy_update.inputs.paths import InputPaths, publication_ids
    from strategy_update.model.forces import force_slug

    data, publications = _folders(args)
    out = ["Publications (--publication):"]
    for pid in publication_ids(publications):
        try:
            p = load_publication(InputPaths(data, publications, pid, ""))
        except InputError as exc:
            out.append(f"  {pid}: cannot be read ({exc})")
            continue
        default = " [default]" if pid == DEFAULT_PUBLICATION else ""
        out.append(f"  {pid}{default}: {p.title}; {len(p.leaves)} {p.leaf_level.plural.lower()}; editions "
                   f"{p.editions_text}; default {p.default_force}, {p.default_quarter.id}")
    forces = known_forces(InputPaths(data, publications, "", "")) or []
    out += ["", f"Forces (--force), {len(forces)} from the ONS population table; inputs supplied in data/forces/:"]
    for name in forces:
        folder = data / "forces" / force_slug(name)
        supplied = sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []
        out.append(f"  {force_slug(name):24} {name}" + (f"  (inputs for {', '.join(supplied)})" if supplied else ""))
    return "\n".join(out)


def _shown(path: Path) -> str:
    """A path as the person typed it: from the current folder when it is below it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _new_quarter(args) -> int:
    from strategy_update.inputs.scaffold import scaffold_quarter, summary_text

    spec = _spec(args)
    result = scaffold_quarter(spec.paths, spec.publication, spec.force, spec.quarter, args.format)
    print(summary_text(result, spec.publication, spec.quarter, _shown, spec.force))
    return 0


def _check(args) -> int:
    from strategy_update.inputs.readiness import format_text, readiness
    from strategy_update.inputs.validate import validate_inputs

    spec = _spec(args)
    report = validate_inputs(spec.paths, spec.force, spec.quarter.id, strict=args.strict)
    result = readiness(report, spec.paths, spec.publication, spec.force, spec.quarter)
    print(format_text(result))
    return result.exit_code


def _toc(args) -> int:
    from strategy_update.build.book import toc_text
    from strategy_update.build.pipeline import project_root, resolve_edition

    root = project_root()
    spec = resolve_edition(None, None, None, data_dir=root / "data", publications_dir=root / "publications")
    text = toc_text(spec.publication)
    path = root / "_toc.yml"
    if args.check:
        if path.read_text(encoding="utf-8") != text:
            print("_toc.yml is out of date: run `strategy-update toc`", file=sys.stderr)
            return 1
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
