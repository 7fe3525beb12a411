"""`linli figures [--area NAME or CODE] [--json]`: an area's headline figures 区域概况, counted
from the records at the moment of asking (the same selector as the overview page)."""

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


def figures_table(figures: AreaFigures, counted_at, more=()) -> str:
    """The figures as an aligned two-column table: labels left, numbers right-aligned; the
    sections other modules add (`more`: (section, rows) pairs) follow in the same columns."""
    rows = [(label, f"{value:,}") for _name, label, value in figures.rows()]
    posts = [(f"  {label}", f"{n:,}") for _kind, label, n in figures.post_rows()]
    extra = [
        (str(section.title), [(label, _shown(name, v)) for name, label, v in section_rows])
        for section, section_rows in more
    ]
    every = rows + posts + [row for _title, section_rows in extra for row in section_rows]
    label_width = max(display_width(label) for label, _v in every) + 2
    number_width = max(len(v) for _label, v in every)

    def line(label: str, value: str) -> str:
        return f"{_ljust(label, label_width)}{value:>{number_width}}"

    area = figures.area
    title = f"{area.name} {area.code}".strip()
    lines = [
        title,
        _("Counted from the records at %(time)s") % {"time": f"{counted_at:%Y-%m-%d %H:%M}"},
        "",
        *(line(label, v) for label, v in rows),
        "",
        _("Current posts"),
        *(line(label, v) for label, v in posts),
    ]
    for section_title, section_rows in extra:
        lines += ["", section_title, *(line(label, v) for label, v in section_rows)]
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


class Command(BaseCommand):
    help = _("An area's headline figures, counted from the records")

    def add_arguments(self, parser):
        parser.add_argument(
            "--area",
            metavar="NAME|CODE",
            help=_(
                "The area's name (e.g. 峡山区) or 12-digit division code "
                "(default: the area at the top of the tree)"
            ),
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
            self.stdout.write(figures_table(figures, counted_at, more))

    def area(self, given: str | None) -> Area:
        if given is not None:
            return self.named(given.strip())
        tops = list(Area.objects.filter(parent__isnull=True).order_by("path")[:2])
        if not tops:
            raise CommandError(
                _("There are no areas yet: build the demo (linli demo) or import the registry.")
            )
        if len(tops) > 1:
            raise CommandError(_("There is more than one top area: choose one with --area CODE."))
        return tops[0]

    def named(self, given: str) -> Area:
        """The area a division code or a name names; a name two areas share is refused with
        their codes, so that the operator can choose."""
        if AREA_CODE.fullmatch(given):
            found = Area.objects.filter(code=given).first()
            if found is None:
                raise CommandError(_("No area has the division code %(code)s.") % {"code": given})
            return found
        if not given:
            raise CommandError(
                _("--area takes the area's name or its 12-digit division code, e.g. 370772000000.")
            )
        named = list(Area.objects.filter(name=given).order_by("path")[:10])
        if not named:
            raise CommandError(
                _("No area is named %(name)s; give its name or its 12-digit division code.")
                % {"name": given}
            )
        if len(named) > 1:
            codes = "、".join(
                f"{a.code or '—'}（{a.parent.name if a.parent else a.get_kind_display()}）"
                for a in named
            )
            raise CommandError(
                _("%(count)d areas are named %(name)s: choose one by its division code: %(codes)s")
                % {"count": len(named), "name": given, "codes": codes}
            )
        return named[0]
