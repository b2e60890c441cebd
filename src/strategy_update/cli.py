"""The command line: ``strategy-update build|toc|quarters``. Bad input gives a message and exit code, never a traceback."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_BAD_INPUT = 2
EXIT_BUILD_FAILED = 3


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="strategy-update", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="build one edition (website and PDF) into _build/<quarter>/")
    build.add_argument("--quarter", help="e.g. 2021-22-Q4 (also 2021/22 Q4, FY2021-22 Q4); default: the strategy's")
    build.add_argument("--data", type=Path, help="data folder (default: ./data)")
    build.add_argument("--out", type=Path, help="output folder (default: ./_build)")
    build.add_argument("--no-pdf", action="store_true", help="build the website only")
    build.add_argument("--jobs", type=int, help="notebooks run at once (default: the number of cores)")
    build.add_argument("--force", action="store_true", help="execute every notebook even if nothing changed")
    build.add_argument("--strict", action="store_true",
                       help="fail if any strand's narrative or delivery data is missing (for the real release)")

    validate = commands.add_parser("validate", help="check every input with Great Expectations and print a report")
    validate.add_argument("--quarter", help="the edition to check inputs for (default: the strategy's)")
    validate.add_argument("--data", type=Path, help="data folder (default: ./data)")
    validate.add_argument("--strict", action="store_true", help="missing narrative or delivery data is critical")

    backtest = commands.add_parser("backtest", help="recompute the figures printed in the last hand-made reports")
    backtest.add_argument("--data", type=Path, help="data folder (default: ./data)")

    toc = commands.add_parser("toc", help="write _toc.yml from the strategy definition")
    toc.add_argument("--data", type=Path)
    toc.add_argument("--check", action="store_true", help="exit 1 if _toc.yml is out of date, write nothing")

    labels = commands.add_parser("labels", help="print the period labels of a quarter")
    labels.add_argument("quarter")
    return parser


def main(argv: list[str] | None = None) -> int:
    from strategy_update.core.errors import InputError
    from strategy_update.core.periods import QuarterError

    args = _parser().parse_args(argv)
    try:
        if args.command == "build":
            from strategy_update.build.pipeline import build

            build(args.quarter, data_dir=args.data, out_dir=args.out, pdf=not args.no_pdf, jobs=args.jobs,
                  strict=args.strict, force=args.force)
        elif args.command == "validate":
            from strategy_update.inputs.validate import validate_inputs

            report = validate_inputs(_data(args), args.quarter, strict=args.strict)
            print(report.format_text())
            return EXIT_BAD_INPUT if report.critical else 0
        elif args.command == "backtest":
            from strategy_update.compute.backtest import backtest_report

            print(backtest_report(_data(args)))
        elif args.command == "toc":
            return _toc(args)
        elif args.command == "labels":
            from strategy_update.core.periods import parse_quarter

            q = parse_quarter(args.quarter)
            print(f"{q.id}\n{q.label}\nDelivery achieved {q.months_label}\n"
                  f"Delivery scheduled {q.shift(1).months_label}\n{q.twelve_months_label()}")
    except _validation_failed() as exc:
        print(exc.report.format_text(), file=sys.stderr)
        print("Nothing was published; the previous edition, if any, is unchanged.", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (InputError, QuarterError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("Nothing was published; the previous edition, if any, is unchanged.", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted; nothing was published", file=sys.stderr)
        return 130
    except Exception as exc:  # a failed step: say which, keep the last good edition
        from strategy_update.build.pipeline import BuildError

        if not isinstance(exc, BuildError):
            raise
        print(f"build failed: {exc}", file=sys.stderr)
        print("Nothing was published; the previous edition, if any, is unchanged.", file=sys.stderr)
        return EXIT_BUILD_FAILED
    return 0


def _validation_failed():
    from strategy_update.build.pipeline import ValidationFailed

    return ValidationFailed


def _data(args) -> Path:
    from strategy_update.build.pipeline import project_root

    return args.data or project_root() / "data"


def _toc(args) -> int:
    from strategy_update.model.publication import load_strategy
    from strategy_update.inputs.readers import DataPaths
    from strategy_update.build.pipeline import project_root, toc_text

    root = project_root()
    strategy = load_strategy(DataPaths(args.data or root / "data").strategy())
    text = toc_text(strategy)
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
