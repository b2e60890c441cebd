"""Reading a publication definition (``publications/<id>/publication.yml``) with the line of every key.

Kept apart from the table readers so that reading a definition never imports pandas: the command line and the
up-to-date check need it on their fast path.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from strategy_update.core.errors import InputError
from strategy_update.inputs.paths import InputPaths, publication_ids
from strategy_update.model.publication import Publication, publication_from_mapping


def display_path(path: Path) -> str:
    """Paths in messages and audit notes are shown from the project folder down, not the machine's root."""
    parts = Path(path).parts
    tops = [i for i, part in enumerate(parts) if part in ("data", "publications")]
    return "/".join(parts[tops[-1]:]) if tops else str(path)


class LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """YAML mappings that remember their line numbers (for messages about a publication definition). Parsed by
    libyaml where PyYAML has it: every page notebook reads the definition, and the pure-Python parser took a
    tenth of a second for the largest."""


class LinedDict(dict):
    line: int = 0
    lines: dict
    item_lines: dict


def _construct_lined_mapping(loader, node):
    mapping = LinedDict(loader.construct_mapping(node, deep=True))
    mapping.line = node.start_mark.line + 1
    mapping.lines, mapping.item_lines = {}, {}
    for key_node, value_node in node.value:
        key = getattr(key_node, "value", None)
        if isinstance(key, str):
            mapping.lines[key] = value_node.start_mark.line + 1
            if isinstance(value_node, yaml.SequenceNode):
                mapping.item_lines[key] = [item.start_mark.line + 1 for item in value_node.value]
    return mapping


LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_lined_mapping)


def shape_problem(raw) -> str | None:
    """What stops a parsed definition from being a publication at all, in words; None when its shape is right."""
    if not isinstance(raw, dict):
        return "the publication definition is not a mapping of keys to values"
    if not isinstance(raw.get("levels"), list) or not raw["levels"] or not isinstance(raw.get("sections"), list):
        return "the publication definition has no 'levels' list or no 'sections' tree"
    return None


def load_publication(paths: InputPaths) -> Publication:
    """The publication definition of ``paths``, as the model. Unreadable YAML is an InputError with its line."""
    path = paths.definition
    name = display_path(path)
    if not paths.publication.is_dir():
        known = ", ".join(publication_ids(paths.publications)) or "none"
        raise InputError(f"unknown publication '{paths.publication_id}'. Known publications: {known}",
                         column="--publication", value=paths.publication_id,
                         rule="the publication has a folder in publications/")
    try:
        raw = yaml.load(path.read_bytes().decode("utf-8-sig"), Loader=LineLoader)
    except FileNotFoundError:
        raise InputError("the publication folder has no definition (publication.yml)", file=name,
                         rule="every publication folder holds publication.yml") from None
    except UnicodeDecodeError:
        raise InputError("the publication definition is not UTF-8 text", file=name, rule="UTF-8 encoding") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(f"the publication definition is not valid YAML: {getattr(exc, 'problem', exc)}", file=name,
                         line=mark.line + 1 if mark else None, rule="valid YAML") from None
    problem = shape_problem(raw)
    if problem:
        raise InputError(problem, file=name, rule="the definition follows the documented format")
    return publication_from_mapping(raw, paths.publication, name)


