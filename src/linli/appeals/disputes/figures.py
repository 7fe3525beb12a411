"""The disputes' figures 矛盾纠纷调解统计, a part of the appeals figures (`figures.register_part`):
of the appeals counted (visible, in the area, raised in the period), the disputes; those
mediated (at least one mediation session held); the agreements reached and the share of the
mediated ones they are; the disputes referred on when mediation failed; and the agreements
found kept at their check (协议已履行) and their share of the agreements reached. Counted in one
GROUP BY over the same appeals, by area below and category, wherever the appeals figures show:
the dashboard's cards, its workbook and `linli figures`."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Count, Exists, F, OuterRef, QuerySet
from django.utils.translation import pgettext_lazy

from ..choices import DisputeState
from ..figures import FigurePart, register_part
from ..models import Agreement, MediationSession

DISPUTES = "disputes"
MEDIATED = "disputes_mediated"
AGREED = "disputes_agreed"
AGREED_SHARE = "disputes_agreed_share"
REFERRED = "disputes_referred"
KEPT = "agreements_kept"
KEPT_SHARE = "agreements_kept_share"


def count(cohort: QuerySet, branch) -> Iterator[tuple[str, int, str, int]]:
    """(branch, category id, figure, how many) for the disputes among `cohort`."""
    qs = cohort.filter(dispute__isnull=False).annotate(
        held=Exists(MediationSession.objects.filter(dispute__appeal=OuterRef("pk"))),
        agreed=Exists(Agreement.objects.filter(dispute__appeal=OuterRef("pk"))),
        dispute_state=F("dispute__state"),
    )
    fields = ["category_id", "held", "agreed", "dispute_state"]
    if branch is not None:
        qs = qs.annotate(branch=branch)
        fields.insert(0, "branch")
    for row in qs.values(*fields).annotate(n=Count("pk")).order_by():
        where, category_id, n = row.get("branch"), row["category_id"], row["n"]
        yield where, category_id, DISPUTES, n
        if row["held"]:
            yield where, category_id, MEDIATED, n
        if row["agreed"]:
            yield where, category_id, AGREED, n
        if row["dispute_state"] == DisputeState.REFERRED:
            yield where, category_id, REFERRED, n
        if row["dispute_state"] == DisputeState.FULFILLED:
            yield where, category_id, KEPT, n


PART = FigurePart(
    key="disputes",
    labels=(
        (DISPUTES, pgettext_lazy("figure", "Disputes")),
        (MEDIATED, pgettext_lazy("figure", "Disputes mediated")),
        (AGREED, pgettext_lazy("figure", "Mediation agreements reached")),
        (AGREED_SHARE, pgettext_lazy("figure", "Share of the mediated disputes agreed")),
        (REFERRED, pgettext_lazy("figure", "Disputes referred on (mediation failed)")),
        (KEPT, pgettext_lazy("figure", "Agreements kept")),
        (KEPT_SHARE, pgettext_lazy("figure", "Share of the agreements kept")),
    ),
    count=count,
    shares=((AGREED_SHARE, AGREED, MEDIATED), (KEPT_SHARE, KEPT, AGREED)),
)


def register() -> None:
    register_part(PART)
