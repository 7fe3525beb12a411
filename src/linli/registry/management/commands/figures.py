"""`linli figures [--area CODE] [--json]`: an area's headline figures 区域概况, counted from the
records at the moment of asking (the same selector as the overview page)."""

from __future__ import annotations

import json
import re
import unicodedata

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.core.figure_sections import sections
from linli.core.models import Area
from linli.registry.figures import AreaFigures, area_figures

AREA_CODE = re.compile(r"\d{12}")


def display_width(text: str) -> int:
    """Columns the text takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _ljust(text: str, width: int) -> str:
    return text + " " * max(width - display_width(text), 0)


def figures_table(figures: AreaFigures, counted_at) -> str:
    """The figures as an aligned two-column table: labels left, numbers right-aligned."""
    rows = [(label, value) for _name, label, value in figures.rows()]
    posts = [(f"  {label}", n) for _kind, label, n in figures.post_rows()]
    labels = [label for label, _n in rows + posts]
    label_width = max(display_width(label) for label in labels) + 2
    number_width = max(len(f"{n:,}") for _label, n in rows + posts)

    def line(label: str, n: int) -> str:
        return f"{_ljust(label, label_width)}{n:>{number_width},}"

    area = figures.area
    title = f"{area.name} {area.code}".strip()
    lines = [
        title,
        _("Counted from the records at %(time)s") % {"time": f"{counted_at:%Y-%m-%d %H:%M}"},
        "",
        *(line(label, n) for label, n in rows),
        "",
        _("Current posts"),
        *(line(label, n) for label, n in posts),
    ]
    return "\n".join(lines)


def _shown(name: str, value) -> str:
    """A figure as printed: shares (names ending in _share) as percentages."""
    if value is None:
        return "—"
    if name.endswith("_share"):
        return f"{value:.0%}"
    if isinstance(value, float):
        return f"{value:g}"
    return f"{value:,}"


def section_table(title: str, rows: list[tuple[str, str, object]]) -> str:
    """A module's section of figures, aligned like the headline table."""
    shown = [(label, _shown(name, value)) for name, label, value in rows]
    label_width = max(display_width(label) for label, _v in shown) + 2
    value_width = max(len(v) for _label, v in shown)
    return "\n".join(
        [title, *(f"{_ljust(label, label_width)}{v:>{value_width}}" for label, v in shown)]
    )


class Command(BaseCommand):
    help = _("An area's headline figures, counted from the records")

    def add_arguments(self, parser):
        parser.add_argument(
            "--area",
            metavar="CODE",
            help=_("The area's 12-digit division code (default: the district at the top)"),
        )
        parser.add_argument(
            "--json", dest="as_json", action="store_true", help=_("Print JSON instead of a table")
        )

    def handle(self, *args, area: str | None = None, as_json: bool = False, **options):
        target = self.area(area)
        counted_at = timezone.localtime()
        # The command line is a trusted caller: user=None counts every record.
        figures = area_figures(user=None, area=target, on=counted_at.date())
        more = [(s, s.rows(target, counted_at.date())) for s in sections()]
        if as_json:
            payload = {"counted_at": counted_at.isoformat(timespec="seconds")}
            payload |= figures.as_dict()
            for section, rows in more:
                payload[section.key] = {name: value for name, _label, value in rows}
            self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(figures_table(figures, counted_at))
            for section, rows in more:
                self.stdout.write("\n" + section_table(str(section.title), rows))

    def area(self, code: str | None) -> Area:
        if code is not None:
            code = code.strip()
            if not AREA_CODE.fullmatch(code):
                raise CommandError(
                    _("--area takes the area's 12-digit division code, e.g. 370772000000.")
                )
            found = Area.objects.filter(code=code).first()
            if found is None:
                raise CommandError(_("No area has the division code %(code)s.") % {"code": code})
            return found
        tops = list(Area.objects.filter(parent__isnull=True).order_by("path")[:2])
        if not tops:
            raise CommandError(
                _("There are no areas yet: build the demo (linli demo) or import the registry.")
            )
        if len(tops) > 1:
            raise CommandError(_("There is more than one top area: choose one with --area CODE."))
        return tops[0]
