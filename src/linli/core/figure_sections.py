"""More figures for `linli figures`: each module that counts something registers a section.

The registry's headline figures come first; a module such as the service hall adds its own
(applications, days, trips …) by calling `register` from its AppConfig.ready, so the command
needs to know no module but the registry, and a module added later adds its figures itself.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class FigureSection:
    """`rows(area, today)` gives (name, label, value) triples, counted from the records;
    `key` names the section in the JSON output."""

    key: str
    title: Promise | str
    rows: Callable[[object, dt.date], list[tuple[str, str, object]]]


_sections: dict[str, FigureSection] = {}


def register(section: FigureSection) -> None:
    _sections[section.key] = section


def sections() -> list[FigureSection]:
    return list(_sections.values())
