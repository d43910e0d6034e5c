"""Names in the current language: facilities, scenarios, levers and the fields a timeline changes.

The generated county names its facilities in English ("Township 3", "Village 3-4"); they are
translated by pattern. A county read from a facilities CSV keeps the names its file gives.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from reformsim.model.params import Scenario

from .explain import LEVER_HELP, OPTION_LABELS, PATH_LABELS, SCENARIO_INFO
from .i18n import pick, t
from .levers import LEVER_BY_PATH, percent

# generated facility names -> their Chinese form (the number groups are kept)
FACILITY_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^Township (\d+)$"), r"第\1乡镇卫生院"),
    (re.compile(r"^Village (\d+)-(\d+)$"), r"\1-\2村卫生室"),
    (re.compile(r"^Community Centre (\d+)$"), r"第\1社区卫生服务中心"),
    (re.compile(r"^County People's Hospital$"), "县人民医院（总医院）"),
    (re.compile(r"^County TCM Hospital$"), "县中医医院"),
    (re.compile(r"^Prefecture People's Hospital$"), "州人民医院"),
)
SHORT_PATTERNS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"^Township (\d+)$"), r"T\1", r"乡\1"),
    (re.compile(r"^Community Centre (\d+)$"), r"C\1", r"社\1"),
    (re.compile(r"^County People's Hospital$"), "People's", "县医院"),
    (re.compile(r"^County TCM Hospital$"), "TCM", "中医院"),
    (re.compile(r"^Prefecture People's Hospital$"), "Prefecture", "州医院"),
)


def facility_name(name: str, language: str | None = None) -> str:
    """A facility's full name in the session's language."""
    if pick(("en", "zh"), language) == "en":
        return name
    for pattern, zh in FACILITY_PATTERNS:
        if pattern.match(name):
            return pattern.sub(zh, name)
    return name


def facility_label(name: str, language: str | None = None) -> str:
    """The short label drawn beside a node on the map ("T3" / "乡3"); the full name if none."""
    for pattern, en, zh in SHORT_PATTERNS:
        if pattern.match(name):
            return pattern.sub(pick((en, zh), language), name)
    return facility_name(name, language)


def scenario_title(name: str, language: str | None = None) -> str:
    """A scenario's title: built-in ones translated, a file by its stem."""
    info = SCENARIO_INFO.get(name)
    return pick(info[0], language) if info else Path(name).stem


def scenario_description(name: str, scenario: Scenario, language: str | None = None) -> str:
    """What a scenario is: built-in ones translated, a file's own description."""
    info = SCENARIO_INFO.get(name)
    return pick(info[1], language) if info else scenario.description


def lever_label(key: str, language: str | None = None) -> str:
    return pick(LEVER_HELP[key][0], language)


def lever_what(key: str, language: str | None = None) -> str:
    return pick(LEVER_HELP[key][1], language)


def lever_evidence(key: str, language: str | None = None) -> str:
    return pick(LEVER_HELP[key][2], language)


def option_label(option: str, language: str | None = None) -> str:
    return pick(OPTION_LABELS[option], language)


def path_label(path: str, language: str | None = None) -> str:
    """The name of a scenario field: a lever's label, or the label a timeline entry uses."""
    if path in LEVER_BY_PATH:
        return lever_label(LEVER_BY_PATH[path].key, language)
    return pick(PATH_LABELS[path], language) if path in PATH_LABELS else path


def value_text(path: str, value: Any, language: str | None = None) -> str:
    """A field's value as a person reads it (shares as percentages, regimes by name)."""
    lever = LEVER_BY_PATH.get(path)
    if lever is not None and lever.kind == "share":  # by tier where a scenario sets tiers apart (village / ... / tertiary)
        return " / ".join(percent(v) for v in value) if isinstance(value, list) else percent(value)
    if lever is not None and lever.kind == "select":
        return option_label(str(value), language)
    if isinstance(value, bool):
        return t("yes" if value else "no", language)
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, list):
        return " / ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in value)
    return str(value) if not isinstance(value, str) else (pick(OPTION_LABELS[value], language)
                                                          if value in OPTION_LABELS else value)


def change_text(path: str, value: Any, language: str | None = None) -> str:
    """One change, e.g. 'Drug mark-up (0 = zero mark-up) → 0%'."""
    return f"{path_label(path, language)} → {value_text(path, value, language)}"


def timeline_lines(scenario: Scenario, language: str | None = None) -> list[str]:
    """A scenario's reform timeline, one line per change."""
    return [f"{t('timeline_day', language, day=ev.day)}: {change_text(ev.path, ev.value, language)}"
            for ev in scenario.timeline]
