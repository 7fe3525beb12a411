"""A handful of disputes 矛盾纠纷 in the demo year: neighbours' quarrels over a drain, a boundary,
a shared path … raised in the dispute category (矛盾纠纷调解, made through the services), most
found by the grid worker on a visit, mediated at the village by its cadre: the two parties (the
heads of two households of one grid), one or two sessions, then an agreement 调解协议书 — its
keeping checked a month on (kept, or due to be checked today) — or, once, a failed mediation
referred to a lawsuit. Each appeal is settled at the village by its agreement (or referral) and
closed after its return visit. The first is in the demo logins' village (王家庄村), its check
due; the small demo has two.

Laid out with the year of appeals (`appeals.Year`: the appeal, its step, its return visit and
its timeline are written with the year's), then the disputes' own records — what the disputes
services would have left — with one audit record for the batch. Deterministic from the seed.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from linli.accounts.models import Grant, User
from linli.appeals import events as appeal_events
from linli.appeals import services as appeal_services
from linli.appeals.choices import (
    AppealChannel,
    AppealState,
    DisputeSide,
    DisputeState,
    Fulfilment,
    Referral,
    ReturnVisitMethod,
    ReturnVisitResult,
    Satisfaction,
    StepOutcome,
    Tier,
)
from linli.appeals.disputes.services import AGREEMENT_PREFIX, FOLLOW_UP_DAYS
from linli.appeals.models import (
    Agreement,
    Appeal,
    AppealCategory,
    Dispute,
    DisputeParty,
    FulfilmentCheck,
    MediationSession,
    ReturnVisit,
)
from linli.core import audit
from linli.core.choices import AuditAction
from linli.registry.models import Resident

from . import appeals_data as d
from .appeals import Planned, Year

# (story, what became of it). "kept": agreed, checked and kept; "due": agreed, its check due
# (on the handlers' list of checks due); "pending": agreed lately, its check ahead;
# "referred": mediation failed, referred on.
FULL = ((1, "due"), (0, "kept"), (2, "kept"), (3, "referred"), (4, "kept"), (5, "pending"))
SMALL = ((1, "due"), (0, "kept"))
# How long ago each was raised (days before today).
AGE = {"kept": (90, 300), "due": (45, 55), "referred": (60, 200), "pending": (8, 14)}
STORY_VILLAGE_LOGIN = "village_cadre"  # the demo logins' village (王家庄村) has the first one


def build_dispute_category() -> AppealCategory:
    c = d.DISPUTE_CATEGORY
    village, community, street, department = c.limits
    return appeal_services.category_create(
        actor=None,
        code=c.code,
        name=c.name,
        description=c.description,
        village_days=village,
        community_days=community,
        street_days=street,
        department_days=department,
        public=c.public,
        anonymous_allowed=c.anonymous,
        dispute=True,
        sort_order=len(d.CATEGORIES) + 1,
    )


@dataclass
class PlannedDispute:
    planned: Planned
    outcome: str
    mediator: User
    committee: str
    parties: list[tuple[str, int, str]]  # (side, resident id, name)
    sessions: list[tuple[dt.datetime, str, str]] = field(default_factory=list)  # when, where, notes
    agreement: tuple[str, str, dt.date, dt.date] | None = None  # facts, terms, signed, follow-up
    referral: tuple[str, str, dt.datetime] | None = None  # to, reason, when
    check: tuple[dt.date, str, str] | None = None  # checked on, result, note
    number: str = ""  # the agreement's


class Disputes:
    """Lays the disputes out on the year (`plan`, before the year is written), then writes their
    own records (`write`, after)."""

    def __init__(self, year: Year, category: AppealCategory, *, seed: int, small: bool):
        self.year = year
        self.rng = random.Random(seed * 31 + 20)
        self.category = AppealCategory.objects.select_related("current").get(pk=category.pk)
        self.plan_of = SMALL if small else FULL
        self.planned: list[PlannedDispute] = []

    # --- where ---------------------------------------------------------------------------

    def _villages(self, households: list[tuple]) -> list[tuple[int, list[list[tuple]]]]:
        """Villages with a cadre to mediate, each with its grids of two households or more:
        the demo logins' village first, then the others in a seeded order."""
        places = self.year.places
        by_village: dict[int, dict[int, list[tuple]]] = {}
        for household in households:
            village = places.tier_area(Tier.VILLAGE, household[1])
            if village is not None and village in places.village_handler:
                by_village.setdefault(village, {}).setdefault(household[1], []).append(household)
        grant = (
            Grant.objects.filter(user__username=STORY_VILLAGE_LOGIN, ends_on__isnull=True)
            .values_list("area_id", flat=True)
            .first()
        )
        villages = sorted(v for v in by_village if v != grant)
        self.rng.shuffle(villages)
        if grant in by_village:
            villages.insert(0, grant)
        found = []
        for village in villages:
            grids = [by_village[village][g] for g in sorted(by_village[village])]
            grids = [g for g in grids if len(g) >= 2]
            if grids:
                found.append((village, grids))
        return found

    # --- planning ------------------------------------------------------------------------

    def plan(self, households: list[tuple]) -> None:
        villages = self._villages(households)
        if not villages:
            return
        heads: list[tuple] = []
        used: set[int] = set()
        for n, (story, outcome) in enumerate(self.plan_of):
            village, grids = villages[n % len(villages)]
            # Two neighbours of one grid, not parties to another of the disputes if there are
            # others to take.
            fresh = [[h for h in g if h[0] not in used] for g in grids]
            fresh = [g for g in fresh if len(g) >= 2] or grids
            first, second = self.rng.sample(self.rng.choice(fresh), 2)
            used.update((first[0], second[0]))
            heads.append((story, outcome, village, first, second))
        names = dict(
            Resident.objects.filter(pk__in=[h[2] for row in heads for h in row[3:]]).values_list(
                "pk", "name"
            )
        )
        for story, outcome, village, first, second in heads:
            self._one(d.DISPUTE_STORIES[story], outcome, village, first, second, names)

    def _one(self, story, outcome, village, first, second, names) -> None:
        year, rng, places = self.year, self.rng, self.year.places
        low, high = AGE[outcome]
        day = year.working_day_on_or_after(year.today - dt.timedelta(days=rng.randint(low, high)))
        household_id, grid_id, head_id = first
        raised = year.at(day, rng.uniform(8.5, 11))
        mediator = places.village_handler[village]
        channel = AppealChannel.VISIT if rng.random() < 0.7 else AppealChannel.COUNTER
        appeal = Appeal(
            number=year.number(day),
            category=self.category,
            category_version=self.category.current,
            channel=channel,
            area_id=grid_id,
            address=places.name.get(village, "") + rng.choice(d.PLACES),
            description=story.description,
            created_at=raised,
        )
        appeal.reporter_id, appeal.household_id = head_id, household_id
        planned = Planned(appeal)
        if channel == AppealChannel.VISIT:
            visitor = places.village_handler.get(grid_id) or mediator
            planned.need = (visitor, day, d.DISPUTE_CATEGORY.need_category)
            appeal.created_by = visitor
        else:
            appeal.created_by = places.community_handler.get(
                places.tier_area(Tier.COMMUNITY, grid_id)
            )
        version = self.category.current
        planned.events.append(
            (raised, appeal_events.RAISED[channel], {"category": version.name}, appeal.created_by)
        )
        step = year.open_step(planned, Tier.VILLAGE, raised)
        taken = raised + dt.timedelta(hours=rng.uniform(1, 4))
        step.handler, step.taken_at = mediator, taken
        planned.events.append(
            (
                taken,
                appeal_events.TAKEN,
                {"place": step.place_name, "handler": mediator.display_name or mediator.username},
                mediator,
            )
        )
        parties = [
            (DisputeSide.APPLICANT, head_id, names.get(head_id, "")),
            (DisputeSide.RESPONDENT, second[2], names.get(second[2], "")),
        ]
        dispute = PlannedDispute(
            planned, outcome, mediator, f"{places.name[village]}人民调解委员会", parties
        )
        at = taken + dt.timedelta(minutes=20)
        for side, _pk, name in parties:
            params = {"side": str(DisputeSide(side).label), "name": name}
            planned.events.append((at, appeal_events.DISPUTE_PARTY_ADDED, params, mediator))
        params = {"mediator": mediator.display_name or mediator.username}
        planned.events.append((at, appeal_events.DISPUTE_MEDIATOR_SET, params, mediator))
        held_day = day
        for order, notes in enumerate(story.sessions, start=1):
            held_day = year.calendar.add(held_day, rng.randint(1, 3)).date
            held = year.at(held_day, rng.choice((9, 9.5, 14, 14.5, 15)))
            place = places.name[village] + rng.choice(d.DISPUTE_PLACES)
            dispute.sessions.append((held, place, notes))
            params = {
                "order": order,
                "when": held.strftime("%Y-%m-%d %H:%M"),
                "place": place,
                "who": "、".join(p[2] for p in parties),
            }
            planned.events.append((held, appeal_events.DISPUTE_SESSION, params, mediator))
        ended = dispute.sessions[-1][0] + dt.timedelta(hours=1)
        if outcome == "referred":
            referral = Referral.LITIGATION
            dispute.referral = (referral, story.referral_reason, ended)
            label = str(referral.label)
            params = {"referral": label, "reason": story.referral_reason}
            planned.events.append((ended, appeal_events.DISPUTE_REFERRED, params, mediator))
            what = _("Mediation failed; referred to %(referral)s: %(reason)s") % {
                "referral": label,
                "reason": story.referral_reason,
            }
        else:
            number = self._agreement_number(held_day)
            follow_up = held_day + dt.timedelta(days=FOLLOW_UP_DAYS)
            dispute.agreement = (story.facts, story.terms, held_day, follow_up)
            dispute.number = number
            params = {
                "number": number,
                "signed": held_day.isoformat(),
                "follow_up": follow_up.isoformat(),
            }
            planned.events.append((ended, appeal_events.DISPUTE_AGREED, params, mediator))
            what = _("Mediated: agreement %(number)s. %(terms)s") % {
                "number": number,
                "terms": story.terms,
            }
            if outcome == "kept" and follow_up < year.today:
                note = rng.choice(d.FULFILMENT_NOTES["kept"])
                dispute.check = (follow_up, Fulfilment.KEPT, note)
        step.ended_at, step.outcome, step.note = ended, StepOutcome.SETTLED, what
        appeal.settlement, appeal.settled_at = what, ended
        planned.events.append(
            (ended, appeal_events.SETTLED, {"place": step.place_name, "what": what}, mediator)
        )
        self._return_visit(planned, step, outcome)
        if dispute.check is not None:
            checked_on, result, note = dispute.check
            params = {"number": dispute.number, "note": note, "follow_up": checked_on.isoformat()}
            checked = year.at(checked_on, rng.uniform(9, 17))
            planned.events.append(
                (checked, appeal_events.DISPUTE_CHECKED[result], params, mediator)
            )
        year.place_appeal(planned, step, settled=True)
        year.planned.append(planned)
        self.planned.append(dispute)

    def _agreement_number(self, day: dt.date) -> str:
        prefix = f"{AGREEMENT_PREFIX}{day:%Y}"
        serial = 1 + sum(1 for p in self.planned if p.agreement and p.number.startswith(prefix))
        return f"{prefix}{serial:05d}"

    def _return_visit(self, planned: Planned, step, outcome: str) -> None:
        year, rng, appeal = self.year, self.rng, planned.appeal
        settled_day = step.ended_at.astimezone(year.zone).date()
        visited = year.at(
            year.calendar.add(settled_day, rng.randint(1, 3)).date, rng.uniform(9, 17)
        )
        if visited > year.now:
            appeal.state = AppealState.SETTLED
            return
        satisfaction = Satisfaction.BASICALLY if outcome == "referred" else Satisfaction.SATISFIED
        note = rng.choice(d.SATISFIED_NOTES)
        visitor = year.places.community_handler.get(
            year.places.tier_area(Tier.COMMUNITY, appeal.area_id)
        )
        visit = ReturnVisit(
            satisfaction=satisfaction,
            note=note,
            method=ReturnVisitMethod.PHONE if rng.random() < 0.6 else ReturnVisitMethod.VISIT,
            result=ReturnVisitResult.CLOSED,
            visited_by=visitor,
            visited_at=visited,
        )
        planned.visits.append((step, visit))
        planned.events.append(
            (visited, appeal_events.RETURN_VISIT[satisfaction], {"note": note}, visitor)
        )
        planned.events.append((visited, appeal_events.CLOSED, {"place": step.place_name}, visitor))
        appeal.state, appeal.closed_at = AppealState.CLOSED, visited

    # --- writing (after the year: the appeals have their keys) --------------------------------

    def write(self) -> dict[str, int]:
        counts = {"disputes": 0, "parties": 0, "sessions": 0, "agreements": 0, "checks": 0}
        for p in self.planned:
            appeal = p.planned.appeal
            state = {
                "referred": DisputeState.REFERRED,
                "kept": DisputeState.FULFILLED if p.check else DisputeState.AGREED,
            }.get(p.outcome, DisputeState.AGREED)
            created = p.planned.steps[0].taken_at
            dispute = Dispute.objects.create(
                appeal=appeal,
                state=state,
                mediator=p.mediator,
                committee=p.committee,
                referred_to=p.referral[0] if p.referral else "",
                referral_reason=p.referral[1] if p.referral else "",
                referred_at=p.referral[2] if p.referral else None,
                created_at=created,
                created_by=p.mediator,
                version=1 + len(p.parties) + 1 + len(p.sessions) + 1 + (1 if p.check else 0),
            )
            parties = DisputeParty.objects.bulk_create(
                [
                    DisputeParty(
                        dispute=dispute,
                        order=order,
                        side=side,
                        resident_id=resident,
                        added_at=created,
                        added_by=p.mediator,
                    )
                    for order, (side, resident, _name) in enumerate(p.parties, start=1)
                ]
            )
            for order, (held, place, notes) in enumerate(p.sessions, start=1):
                session = MediationSession.objects.create(
                    dispute=dispute,
                    order=order,
                    held_at=held,
                    place=place,
                    notes=notes,
                    recorded_by=p.mediator,
                    recorded_at=held + dt.timedelta(hours=1),
                )
                session.attended.set(parties)
            counts["disputes"] += 1
            counts["parties"] += len(parties)
            counts["sessions"] += len(p.sessions)
            if p.agreement is None:
                continue
            facts, terms, signed, follow_up = p.agreement
            agreement = Agreement.objects.create(
                dispute=dispute,
                number=p.number,
                facts=facts,
                terms=terms,
                signed_on=signed,
                committee=p.committee,
                follow_up_on=follow_up,
                recorded_by=p.mediator,
                recorded_at=appeal.settled_at,
            )
            counts["agreements"] += 1
            if p.check is not None:
                checked_on, result, note = p.check
                FulfilmentCheck.objects.create(
                    agreement=agreement,
                    checked_on=checked_on,
                    result=result,
                    note=note,
                    checked_by=p.mediator,
                    recorded_at=self.year.at(checked_on, 17.5),
                )
                counts["checks"] += 1
        audit.record(
            action=AuditAction.IMPORT,
            object_type=audit.object_type_of(Dispute),
            object_repr="demo: disputes mediated",
            changes=counts,
        )
        return counts
