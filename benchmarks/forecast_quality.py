"""The forecasts' quality over every force x the open-data measures of a publication, and what they cost: appended to
benchmarks/forecast-quality.csv.

For each force (every force of the ONS table, 43), the edition's figures are computed as the national run computes
them (``compute_editions``, every force at once); the demand profiles go one force at a time through ``map_series``
in this process, so each force's CPU time for its forecasts is measured (``time.process_time``). From the published
forecasts' rows:

- pooled 80% and 95% coverage: of every scored past forecast (every force and measure) in the back test, the share
  inside its interval;
- mean MASE of the published models (per force and measure, then averaged), and pooled (weighted by past forecasts);
- the share of the published forecasts whose model beat the seasonal naive (a lower MASE over the same past
  forecasts);
- CPU seconds of forecasting per force (mean) and in all.

One row for every measure together (``measure`` = ``all``) and one per measure. Before and after: run it on each
version of the code, with the same environment. This checkout's code:

    .venv/bin/python benchmarks/forecast_quality.py --label after

another commit's (say main's; its ``src`` exported, its rows read as that code writes them):

    git archive main src | tar -x -C /tmp/main && \\
        PYTHONPATH=/tmp/main/src .venv/bin/python benchmarks/forecast_quality.py --label before

The code before issue 30 published no count of past forecasts inside an interval nor the seasonal naive's MASE: for
it, the counts are its coverage times its past forecasts, and the seasonal naive's MASE comes from its own back test
run with its seasonal naive forecaster over the same series (``forecast.backtest``).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "forecast-quality.csv"
FIELDS = ["date", "commit", "label", "cores", "publication", "quarter", "measure", "forces", "forecasts", "points",
          "coverage_80", "coverage_95", "mean_mase", "pooled_mase", "beats_naive_share", "cpu_s_per_force",
          "cpu_s_total"]


def code_commit() -> str:
    """The commit of the code measured (the checkout the package is imported from), ``-dirty`` with changes."""
    import strategy_update.compute

    where = Path(strategy_update.compute.__file__).resolve().parents[1]
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=where, capture_output=True, text=True).stdout.strip()
    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "exported (see --label)"
    return commit + ("-dirty" if git("status", "--porcelain", "--", str(where)) else "")


def computed(publication_id: str, quarter_id: str) -> tuple[pd.DataFrame, dict[str, float], list[str]]:
    """(every force's results, each force's forecasting CPU seconds, the forces) as the national run computes them."""
    from strategy_update.build.pipeline import known_forces
    from strategy_update.compute.stage import compute_editions
    from strategy_update.core.periods import parse_quarter
    from strategy_update.inputs.definition import load_publication
    from strategy_update.inputs.paths import InputPaths
    from strategy_update.inputs.readers import read_open_data

    paths = InputPaths(ROOT / "data", ROOT / "publications", publication_id, "")
    publication = load_publication(paths)
    forces = known_forces(paths)
    shared = read_open_data(paths, publication)
    seconds: dict[str, float] = {}

    def timed_map(function, frames):
        for frame in frames:
            started = time.process_time()
            rows = function(frame)
            seconds[str(frame["force"].iloc[0]) if len(frame) else ""] = time.process_time() - started
            yield rows
    results, _ = compute_editions(publication, forces, parse_quarter(quarter_id), crime=shared.crime,
                                  population=shared.population, workforce=shared.workforce, map_series=timed_map)
    return results, seconds, forces


def records(results: pd.DataFrame, publication_id: str) -> pd.DataFrame:
    """Per force and measure with a published forecast: points, inside_80, inside_95, mase, naive_mase."""
    try:
        from strategy_update.compute.track_record import published_records
    except ImportError:  # the code before issue 30
        return _records_before(results, publication_id)
    return published_records(results)


def _records_before(results: pd.DataFrame, publication_id: str) -> pd.DataFrame:
    from strategy_update.compute import forecast as fc
    from strategy_update.inputs.definition import load_publication
    from strategy_update.inputs.paths import InputPaths
    from strategy_update.model.publication import disturbed_quarters

    disturbed = disturbed_quarters(load_publication(InputPaths(ROOT / "data", ROOT / "publications",
                                                               publication_id, "")))
    wide = results[results["area"] == ""]
    key = ["force", "section", "measure"]
    stats = wide[wide["statistic"].str.startswith("backtest_")].pivot_table(
        index=key, columns="statistic", values="value", aggfunc="first").reset_index()
    out = []
    for _, r in stats.iterrows():
        series = wide[(wide["force"] == r["force"]) & (wide["measure"] == r["measure"])
                      & (wide["statistic"] == "series") & wide["period"].str.fullmatch(r"\d{4}-\d{2}-Q[1-4]")]
        values = pd.Series(series["value"].to_numpy(dtype=float), index=series["period"].tolist())
        naive = fc.backtest(values, disturbed=disturbed, forecaster=fc.seasonal_naive)
        points = r["backtest_points"]
        out.append({**{k: r[k] for k in key}, "points": points, "inside_80": r["backtest_coverage_80"] * points,
                    "inside_95": r["backtest_coverage_95"] * points, "mase": r["backtest_mase"],
                    "naive_mase": naive.mase, "model": "exponential smoothing"})
    return pd.DataFrame(out)


def summary(table: pd.DataFrame) -> dict:
    points = table["points"].fillna(0)
    known = table["mase"].notna() & (points > 0)
    return {"forces": table["force"].nunique(), "forecasts": len(table), "points": int(points.sum()),
            "coverage_80": table["inside_80"].sum() / points.sum(),
            "coverage_95": table["inside_95"].sum() / points.sum(),
            "mean_mase": table.loc[known, "mase"].mean(),
            "pooled_mase": (table.loc[known, "mase"] * points[known]).sum() / points[known].sum(),
            "beats_naive_share": float((table["mase"] < table["naive_mase"]).mean())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--label", default="after", help="before or after, as the row should say")
    parser.add_argument("--publication", default="police-and-crime-plan")
    parser.add_argument("--quarter", default="2021-22-Q4")
    args = parser.parse_args()
    results, seconds, forces = computed(args.publication, args.quarter)
    table = records(results, args.publication)
    cpu = sum(seconds.values())
    common = {"date": dt.date.today().isoformat(), "commit": code_commit(), "label": args.label,
              "cores": os.cpu_count(), "publication": args.publication, "quarter": args.quarter,
              "cpu_s_per_force": round(cpu / len(forces), 2), "cpu_s_total": round(cpu, 1)}
    rows = [{**common, "measure": "all", **summary(table)}]
    rows += [{**common, "measure": measure, **summary(group)} for measure, group in table.groupby("measure", sort=True)]
    new = not RESULTS.exists()
    with RESULTS.open("a", newline="") as out:
        writer = csv.DictWriter(out, FIELDS, lineterminator="\n")
        if new:
            writer.writeheader()
        for row in rows:
            writer.writerow({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()})
    overall = rows[0]
    print(f"{args.label} ({common['commit']}): {overall['forecasts']} forecasts of {overall['forces']} forces, "
          f"{overall['points']} past forecasts scored; 80% intervals held {overall['coverage_80']:.1%}, 95% "
          f"{overall['coverage_95']:.1%}; mean MASE {overall['mean_mase']:.3f} (pooled {overall['pooled_mase']:.3f}); "
          f"beat the seasonal naive: {overall['beats_naive_share']:.1%}; forecasting CPU "
          f"{common['cpu_s_per_force']} s a force, {common['cpu_s_total']} s in all", file=sys.stderr)


if __name__ == "__main__":
    main()
