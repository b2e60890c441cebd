"""TEMPORARY: the pre-publication strategy model, kept only while callers move to model.publication (remove after)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from strategy_update.core.errors import InputError
from strategy_update.core.periods import Quarter, QuarterError, parse_quarter
from strategy_update.model.publication import Measure


@dataclass(frozen=True)
class Strand:
    id: str
    name: str
    theme_id: str
    theme_name: str
    lead_role: str
    aim: str
    measures: tuple[Measure, ...]
    force_extract_measures: tuple[Measure, ...] = ()
    no_open_data: str = ""
    tracker_name: str = ""

    @property
    def parent_name(self) -> str:
        return self.theme_name

    @property
    def headline(self) -> Measure | None:
        return self.measures[0] if self.measures else None


@dataclass(frozen=True)
class Theme:
    id: str
    name: str
    strands: tuple[Strand, ...]


@dataclass(frozen=True)
class Strategy:
    id: str
    title: str
    short_title: str
    organisation: str
    force: str
    default_quarter: Quarter
    baseline_end: Quarter
    history_quarters: int
    themes: tuple[Theme, ...]
    source_file: str = field(default="", compare=False)

    @property
    def leaves(self) -> list[Strand]:
        return self.strands

    @property
    def strands(self) -> list[Strand]:
        return [s for t in self.themes for s in t.strands]

    def strand(self, strand_id: str) -> Strand:
        for strand in self.strands:
            if strand.id == strand_id:
                return strand
        known = ", ".join(s.id for s in self.strands)
        raise InputError(f"unknown strand '{strand_id}'. Known strands: {known}",
                         file=self.source_file, rule="strand exists in the strategy definition")


def _quarter(value, file: str, what: str) -> Quarter:
    try:
        return parse_quarter(str(value))
    except QuarterError as exc:
        raise InputError(str(exc), file=file, column=what, rule="valid quarter id") from None


def _measure(raw: dict, file: str, source_default: str) -> Measure:
    start = raw.get("series_start")
    return Measure(
        id=str(raw["id"]),
        name=str(raw["name"]),
        source=str(raw.get("source", source_default)),
        offence_codes=tuple(str(c) for c in raw.get("offence_codes", [])),
        proxy=bool(raw.get("proxy", False)),
        definition_note=" ".join(str(raw.get("definition_note", "")).split()),
        series_start=_quarter(start, file, "series_start") if start else None,
        unit=str(raw.get("unit", "crimes")),
    )


def load_strategy(path: Path) -> Strategy:
    """Read the definition. Structural problems become InputError naming the file and key."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("strategy definition not found", file=str(path)) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"strategy definition is not valid YAML: {exc}", file=str(path)) from None
    file = str(path)
    try:
        themes = []
        for t in raw["themes"]:
            strands = []
            for s in t["strands"]:
                strands.append(Strand(
                    id=str(s["id"]), name=str(s["name"]), theme_id=str(t["id"]), theme_name=str(t["name"]),
                    lead_role=str(s["lead_role"]), aim=str(s["aim"]),
                    measures=tuple(_measure(m, file, "home_office") for m in s.get("measures") or []),
                    force_extract_measures=tuple(
                        _measure(m, file, "force_extract") for m in s.get("force_extract_measures") or []),
                    no_open_data=" ".join(str(s.get("no_open_data", "")).split()),
                    tracker_name=str(s.get("tracker_name", s["name"])),
                ))
            themes.append(Theme(id=str(t["id"]), name=str(t["name"]), strands=tuple(strands)))
        return Strategy(
            id=str(raw["id"]), title=str(raw["title"]), short_title=str(raw.get("short_title", raw["title"])),
            organisation=str(raw["organisation"]), force=str(raw["force"]),
            default_quarter=_quarter(raw["default_quarter"], file, "default_quarter"),
            baseline_end=_quarter(raw["baseline_end_quarter"], file, "baseline_end_quarter"),
            history_quarters=int(raw.get("history_quarters", 20)),
            themes=tuple(themes), source_file=file,
        )
    except (KeyError, TypeError) as exc:
        raise InputError(f"strategy definition is missing a required key {exc}", file=file,
                         rule="every theme has id, name, strands; every strand has id, name, lead_role, aim") from None
