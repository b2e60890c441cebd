"""The pages' tables (render/view.read_page_tables) are read once per kernel while their files stay the same, and
read again as soon as the build writes them anew; each page gets a copy of its own."""

import pandas as pd

from strategy_update.compute.results import COLUMNS
from strategy_update.compute.stage import INPUT_ROW_SCHEMA, write_edition_results
from strategy_update.render import view


def tables(value: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    results = pd.DataFrame([{column: "" for column in COLUMNS} | {"force": "Kent", "statistic": "current",
                                                                   "value": value, "lines": [3]}])
    rows = pd.DataFrame([{field.name: "" for field in INPUT_ROW_SCHEMA} | {"line": 3, "value": value}])
    return results, rows


def test_the_tables_are_kept_until_the_build_writes_them_again(tmp_path):
    write_edition_results(*tables(1.0), tmp_path / "data")
    view._page_tables.cache_clear()
    first, _ = view.read_page_tables(tmp_path)
    again, _ = view.read_page_tables(tmp_path)
    assert view._page_tables.cache_info().hits == 1 and first["value"].tolist() == again["value"].tolist() == [1.0]
    write_edition_results(*tables(2.0), tmp_path / "data")  # the next build's figures
    results, rows = view.read_page_tables(tmp_path)
    assert results["value"].tolist() == [2.0] and rows["value"].tolist() == [2.0]


def test_each_page_gets_its_own_copy(tmp_path):
    write_edition_results(*tables(1.0), tmp_path / "data")
    view._page_tables.cache_clear()
    first, _ = view.read_page_tables(tmp_path)
    first.loc[0, "value"] = 99.0  # a page that changes its tables changes nothing for the next page
    assert view.read_page_tables(tmp_path)[0]["value"].tolist() == [1.0]
