"""Eligibility 服务对象条件 — who an item's outreach seeks out, as declarative data.

An item version's `eligibility` is a rule over registry facts, never code:

    rule   := {}                       nobody is sought out (only as the whole rule)
            | {"all": [rule, …]} | {"any": [rule, …]} | {"not": rule}
            | {"household_tag": "困难户"}
            | {"household_tag": "…", "detail_in": ["…", …]}
            | {"member": person}       the household has a member who …
            | {"head": person}         the head of household …
    person := a non-empty subset of
              {"tag": "残疾", "detail_in": ["一级", "二级"], "age_min": 80, "age_max": 120,
               "sex": "female" | "male", "relation_in": ["child", "grandchild"]}
              — everything given must hold for the same person.

Tags are named as in the tag vocabulary; ages are whole years on the day of the scan, counted
from the birth date. This module checks a rule (`validate`), turns it into one SQL condition
over households (`to_q`, the same on SQLite and PostgreSQL), says which facts made a household
eligible (`reasons`, kept on the outreach task and shown masked as the viewer may see them) and
reads a rule out as a sentence (`describe`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from linli.core.dates import age_on, years_before
from linli.core.timeline import join_labels
from linli.registry.choices import Relation, Sex, TagTarget
from linli.registry.models import Household, HouseholdTag, Resident, ResidentTag, Tag

RULE_KEYS = ("all", "any", "not", "household_tag", "member", "head")
PERSON_KEYS = ("tag", "detail_in", "age_min", "age_max", "sex", "relation_in")
MAX_AGE = 150
MAX_DEPTH = 8  # levels of all / any / not; deeper rules are refused, not recursed into

# The reasons stored on a task: [[msgid, params], …]; the msgids are these.
REASON_HOUSEHOLD_TAG = gettext_noop("Household: %(tag)s")
REASON_HOUSEHOLD_TAG_DETAIL = gettext_noop("Household: %(tag)s (%(detail)s)")
REASON_HOUSEHOLD_NOT_TAG = gettext_noop("Household is not %(tag)s")
REASON_HEAD = gettext_noop("Head of household %(name)s: %(facts)s")
REASON_MEMBER = gettext_noop("Member %(name)s (%(relation)s): %(facts)s")
REASON_MEMBER_PLAIN = gettext_noop("Member %(name)s (%(relation)s)")


# --- the vocabulary ---------------------------------------------------------------------------


@dataclass
class Vocabulary:
    """The tag vocabulary by target and name, read once for a whole rule (or a whole scan)."""

    household: dict[str, Tag] = field(default_factory=dict)
    resident: dict[str, Tag] = field(default_factory=dict)

    @classmethod
    def load(cls) -> Vocabulary:
        vocabulary = cls()
        for tag in Tag.objects.all():
            store = (
                vocabulary.household if tag.target == TagTarget.HOUSEHOLD else vocabulary.resident
            )
            store[tag.name] = tag
        return vocabulary


# --- validate ---------------------------------------------------------------------------------


class _Checker:
    def __init__(self, vocabulary: Vocabulary | None):
        self.vocabulary = vocabulary  # None: check the shape only, not the tag names
        self.problems: list[tuple[str, str]] = []  # (where, message)

    def add(self, where: str, message: str) -> None:
        self.problems.append((where, message))

    def rule(self, rule, where: str, depth: int) -> None:
        if not isinstance(rule, dict):
            self.add(where, _('A condition must be an object such as {"household_tag": …}.'))
            return
        if not rule:
            self.add(where, _("An empty condition is allowed only as the whole rule."))
            return
        if depth > MAX_DEPTH:
            self.add(
                where,
                _("The rule is nested too deeply: at most %(depth)s levels of all / any / not.")
                % {"depth": MAX_DEPTH},
            )
            return
        kinds = [key for key in rule if key in RULE_KEYS]
        for key in rule:
            if key in RULE_KEYS or (key == "detail_in" and kinds == ["household_tag"]):
                continue
            if key == "detail_in":
                self.add(where, _("“detail_in” needs a household tag or a person's tag."))
            else:
                self.add(
                    where,
                    _("Unknown condition “%(key)s”; use one of: %(keys)s.")
                    % {"key": key, "keys": ", ".join(RULE_KEYS)},
                )
        if len(kinds) > 1:
            self.add(
                where,
                _("One condition per object: %(keys)s were given together; put them in “all”.")
                % {"keys": ", ".join(kinds)},
            )
            return
        if not kinds:
            return
        kind = kinds[0]
        getattr(self, f"_{kind}")(rule, where, depth)

    def _all(self, rule, where, depth) -> None:
        self._combination("all", rule["all"], where, depth)

    def _any(self, rule, where, depth) -> None:
        self._combination("any", rule["any"], where, depth)

    def _combination(self, key: str, parts, where: str, depth: int) -> None:
        if not isinstance(parts, list) or not parts:
            self.add(where, _("“%(key)s” needs a list of at least one condition.") % {"key": key})
            return
        for index, part in enumerate(parts, start=1):
            self.rule(part, f"{where}.{index}" if where else str(index), depth + 1)

    def _not(self, rule, where, depth) -> None:
        self.rule(rule["not"], where, depth + 1)

    def _household_tag(self, rule, where, depth) -> None:
        name = rule["household_tag"]
        if not isinstance(name, str) or not name.strip():
            self.add(where, _("Name the household tag."))
            return
        if self.vocabulary is None:
            return
        tag = self.vocabulary.household.get(name)
        if tag is None:
            self.add(where, _("There is no household tag “%(tag)s”.") % {"tag": name})
            return
        if "detail_in" in rule:
            self._details(tag, rule["detail_in"], where)

    def _member(self, rule, where, depth) -> None:
        self._person(rule["member"], where)

    def _head(self, rule, where, depth) -> None:
        self._person(rule["head"], where)

    def _person(self, person, where: str) -> None:
        if not isinstance(person, dict) or not person:
            self.add(
                where,
                _("Say who the person is, with at least one of: %(keys)s.")
                % {"keys": ", ".join(PERSON_KEYS)},
            )
            return
        for key in person:
            if key not in PERSON_KEYS:
                self.add(
                    where,
                    _("Unknown fact about a person “%(key)s”; use one of: %(keys)s.")
                    % {"key": key, "keys": ", ".join(PERSON_KEYS)},
                )
        if "tag" in person:
            self._person_tag(person, where)
        elif "detail_in" in person:
            self.add(where, _("“detail_in” needs a household tag or a person's tag."))
        ages = {key: person[key] for key in ("age_min", "age_max") if key in person}
        for value in ages.values():
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_AGE:
                self.add(
                    where,
                    _("An age is a whole number of years from 0 to %(max)s, not “%(value)s”.")
                    % {"max": MAX_AGE, "value": value},
                )
                return
        if len(ages) == 2 and ages["age_min"] > ages["age_max"]:
            self.add(
                where,
                _("The lowest age (%(min)s) is above the highest age (%(max)s).")
                % {"min": ages["age_min"], "max": ages["age_max"]},
            )
        if "sex" in person and person["sex"] not in Sex.values:
            self.add(
                where, _("Sex is “female” or “male”, not “%(value)s”.") % {"value": person["sex"]}
            )
        if "relation_in" in person:
            self._relations(person["relation_in"], where)

    def _person_tag(self, person: dict, where: str) -> None:
        name = person["tag"]
        if not isinstance(name, str) or not name.strip():
            self.add(where, _("Name the person's tag."))
            return
        if self.vocabulary is None:
            return
        tag = self.vocabulary.resident.get(name)
        if tag is None:
            self.add(where, _("There is no personal tag “%(tag)s”.") % {"tag": name})
            return
        if "detail_in" in person:
            self._details(tag, person["detail_in"], where)

    def _details(self, tag: Tag, details, where: str) -> None:
        if not isinstance(details, list) or not details:
            self.add(where, _("“detail_in” needs a list of at least one detail."))
            return
        if not tag.detail_choices and not tag.detail_label:
            self.add(where, _("Tag “%(tag)s” has no details to choose from.") % {"tag": tag.name})
            return
        for detail in details:
            if not isinstance(detail, str) or not detail.strip():
                self.add(
                    where,
                    _("A detail is a word such as “二级”, not “%(value)s”.") % {"value": detail},
                )
            elif tag.detail_choices and detail not in tag.detail_choices:
                self.add(
                    where,
                    _("Tag “%(tag)s” has no detail “%(detail)s”; it has: %(choices)s.")
                    % {
                        "tag": tag.name,
                        "detail": detail,
                        "choices": join_labels(list(tag.detail_choices)),
                    },
                )

    def _relations(self, relations, where: str) -> None:
        if not isinstance(relations, list) or not relations:
            self.add(where, _("“relation_in” needs a list of at least one relation to the head."))
            return
        for relation in relations:
            if relation not in Relation.values:
                self.add(
                    where,
                    _("Unknown relation to the head “%(value)s”; use one of: %(relations)s.")
                    % {"value": relation, "relations": ", ".join(Relation.values)},
                )


def validate(rule, *, vocabulary: Vocabulary | None = None) -> list[str]:
    """What is wrong with `rule`, one message a problem (in the active language); [] if it is
    good. A problem inside all / any says which condition: "Condition 2.1: …"."""
    if isinstance(rule, dict) and not rule:
        return []
    checker = _Checker(vocabulary or Vocabulary.load())
    checker.rule(rule, "", 0)
    return [
        _("Condition %(where)s: %(problem)s") % {"where": where, "problem": message}
        if where
        else message
        for where, message in checker.problems
    ]


# --- to_q: the rule as SQL --------------------------------------------------------------------


NOBODY = Q(pk__in=[])


class _Compiler:
    """Builds the Q over Household. Each registry fact is an uncorrelated `IN (SELECT …)`
    subquery: both databases evaluate it once for the whole scan (SQLite as a temporary index,
    PostgreSQL as a hashed semi-join) instead of once per household, as a correlated EXISTS
    would be on SQLite."""

    def __init__(self, today: dt.date, vocabulary: Vocabulary):
        self.today = today
        self.vocabulary = vocabulary

    def rule(self, rule: dict) -> Q:
        if not rule:
            return NOBODY
        if "all" in rule:
            return reduce(lambda a, b: a & b, (self.rule(r) for r in rule["all"]))
        if "any" in rule:
            return reduce(lambda a, b: a | b, (self.rule(r) for r in rule["any"]))
        if "not" in rule:
            return ~self.rule(rule["not"])
        if "household_tag" in rule:
            tag = self.vocabulary.household.get(rule["household_tag"])
            if tag is None:
                return NOBODY
            links = HouseholdTag.objects.filter(tag=tag)
            if "detail_in" in rule:
                links = links.filter(detail__in=rule["detail_in"])
            return Q(pk__in=links.values("household_id"))
        if "member" in rule:
            people = self.people(rule["member"])
            return NOBODY if people is None else Q(pk__in=people.values("household_id"))
        if "head" in rule:
            people = self.people(rule["head"])
            return NOBODY if people is None else Q(head_id__in=people.values("pk"))
        raise ValueError(f"not a valid eligibility rule: {rule!r}")

    def people(self, person: dict):
        """The residents who satisfy `person`; None if nobody can (an unknown tag)."""
        people = Resident.objects.order_by()
        if "tag" in person:
            tag = self.vocabulary.resident.get(person["tag"])
            if tag is None:
                return None
            links = ResidentTag.objects.filter(tag=tag)
            if "detail_in" in person:
                links = links.filter(detail__in=person["detail_in"])
            people = people.filter(pk__in=links.values("resident_id"))
        if "age_min" in person:
            people = people.filter(birth_date__lte=years_before(self.today, person["age_min"]))
        if "age_max" in person:
            people = people.filter(birth_date__gt=years_before(self.today, person["age_max"] + 1))
        if "sex" in person:
            people = people.filter(sex=person["sex"])
        if "relation_in" in person:
            people = people.filter(relation__in=person["relation_in"])
        return people


def to_q(rule: dict, today: dt.date, *, vocabulary: Vocabulary | None = None) -> Q:
    """The households `rule` finds on `today`, as a condition on Household. The rule must be
    valid (see `validate`); a tag that has since left the vocabulary finds nobody."""
    return _Compiler(today, vocabulary or Vocabulary.load()).rule(rule)


# --- reasons: the same rule over one household's facts -----------------------------------------


@dataclass
class PersonFacts:
    pk: int
    name: str
    relation: str
    sex: str
    age: int
    tags: dict[str, tuple[str, bool]]  # tag name → (detail, sensitive)


@dataclass
class HouseholdFacts:
    head_id: int | None
    tags: dict[str, tuple[str, bool]]
    members: list[PersonFacts]
    area_id: int | None = None


def household_facts(household, members: Iterable, today: dt.date) -> HouseholdFacts:
    """The facts a rule reads, from a household and its members with `tag_links` (and their
    tags) loaded."""
    return HouseholdFacts(
        head_id=household.head_id,
        tags={
            link.tag.name: (link.detail, link.tag.sensitive) for link in household.tag_links.all()
        },
        members=[
            PersonFacts(
                pk=m.pk,
                name=m.name,
                relation=m.relation,
                sex=m.sex,
                age=age_on(m.birth_date, today),
                tags={
                    link.tag.name: (link.detail, link.tag.sensitive) for link in m.tag_links.all()
                },
            )
            for m in members
        ],
    )


def _person_holds(person: dict, p: PersonFacts) -> bool:
    if "tag" in person:
        if person["tag"] not in p.tags:
            return False
        if "detail_in" in person and p.tags[person["tag"]][0] not in person["detail_in"]:
            return False
    if "age_min" in person and p.age < person["age_min"]:
        return False
    if "age_max" in person and p.age > person["age_max"]:
        return False
    if "sex" in person and p.sex != person["sex"]:
        return False
    return not ("relation_in" in person and p.relation not in person["relation_in"])


def _person_facts(person: dict, p: PersonFacts) -> list[dict]:
    """The facts of `p` the condition asked about, for the reason line."""
    facts: list[dict] = []
    if "tag" in person:
        detail, sensitive = p.tags[person["tag"]]
        facts.append({"tag": person["tag"], "detail": detail, "sensitive": sensitive})
    if "age_min" in person or "age_max" in person:
        facts.append({"age": p.age})
    if "sex" in person:
        facts.append({"sex": p.sex})
    return facts


def _holds(rule: dict, facts: HouseholdFacts) -> tuple[bool, list]:
    """Whether `rule` holds for the household, and the reasons when it does."""
    if not rule:
        return False, []
    if "all" in rule:
        found = [_holds(r, facts) for r in rule["all"]]
        if all(ok for ok, _reasons in found):
            return True, [reason for _ok, reasons in found for reason in reasons]
        return False, []
    if "any" in rule:
        found = [_holds(r, facts) for r in rule["any"]]
        held = [reason for ok, reasons in found if ok for reason in reasons]
        return any(ok for ok, _reasons in found), held
    if "not" in rule:
        inner = rule["not"]
        ok, _reasons = _holds(inner, facts)
        if ok:
            return False, []
        if set(inner) == {"household_tag"}:
            sensitive = bool(facts.tags.get(inner["household_tag"], ("", False))[1])
            return True, [
                [REASON_HOUSEHOLD_NOT_TAG, {"tag": inner["household_tag"], "sensitive": sensitive}]
            ]
        return True, []
    if "household_tag" in rule:
        name = rule["household_tag"]
        if name not in facts.tags:
            return False, []
        detail, sensitive = facts.tags[name]
        if "detail_in" in rule and detail not in rule["detail_in"]:
            return False, []
        if detail:
            params = {"tag": name, "detail": detail, "sensitive": sensitive}
            return True, [[REASON_HOUSEHOLD_TAG_DETAIL, params]]
        return True, [[REASON_HOUSEHOLD_TAG, {"tag": name, "sensitive": sensitive}]]
    if "head" in rule:
        head = next((p for p in facts.members if p.pk == facts.head_id), None)
        if head is None or not _person_holds(rule["head"], head):
            return False, []
        params = {"name": head.name, "facts": _person_facts(rule["head"], head)}
        return True, [[REASON_HEAD, params]]
    if "member" in rule:
        reasons = []
        for p in facts.members:
            if _person_holds(rule["member"], p):
                found = _person_facts(rule["member"], p)
                params = {"name": p.name, "relation": p.relation, "facts": found}
                reasons.append([REASON_MEMBER if found else REASON_MEMBER_PLAIN, params])
        return bool(reasons), reasons
    return False, []


def facts_of(pks: list[int], today: dt.date, vocabulary: Vocabulary) -> dict[int, HouseholdFacts]:
    """The facts of many households at once (household id → facts), read as plain rows — four
    queries whatever their number, and no model instances: the scan reads tens of thousands."""
    tags = {
        tag.pk: (tag.name, tag.sensitive)
        for store in (vocabulary.household, vocabulary.resident)
        for tag in store.values()
    }
    households = Household.objects.filter(pk__in=pks).values_list("pk", "head_id", "area_id")
    found = {
        pk: HouseholdFacts(head_id=head_id, tags={}, members=[], area_id=area_id)
        for pk, head_id, area_id in households
    }
    links = HouseholdTag.objects.filter(household_id__in=pks).order_by()
    for household_id, tag_id, detail in links.values_list("household_id", "tag_id", "detail"):
        name, sensitive = tags.get(tag_id, (None, False))
        if name is not None and household_id in found:
            found[household_id].tags[name] = (detail, sensitive)
    people: dict[int, PersonFacts] = {}
    rows = (
        Resident.objects.filter(household_id__in=pks)
        .order_by("pk")
        .values_list("pk", "household_id", "name", "relation", "sex", "birth_date")
    )
    for pk, household_id, name, relation, sex, birth_date in rows:
        if household_id not in found:
            continue  # its household left the register between the two reads
        person = PersonFacts(pk, name, relation, sex, age_on(birth_date, today), {})
        people[pk] = person
        found[household_id].members.append(person)
    links = ResidentTag.objects.filter(resident__household_id__in=pks).order_by()
    for resident_id, tag_id, detail in links.values_list("resident_id", "tag_id", "detail"):
        name, sensitive = tags.get(tag_id, (None, False))
        if name is not None and resident_id in people:
            people[resident_id].tags[name] = (detail, sensitive)
    return found


def explain(rule: dict, facts: HouseholdFacts) -> list:
    """`reasons` for facts already read (see `facts_of`)."""
    ok, found = _holds(rule, facts)
    return found if ok else []


def holds(rule: dict, household, members: Iterable, today: dt.date) -> bool:
    """Whether `rule` finds this household (the Python twin of `to_q`, for one household)."""
    return _holds(rule, household_facts(household, members, today))[0]


def reasons(rule: dict, household, members: Iterable, today: dt.date) -> list:
    """The facts that make the household eligible, as [[msgid, params], …] (JSON, stored on
    the outreach task and translated when shown, see `reason_lines`); [] if it is not."""
    ok, found = _holds(rule, household_facts(household, members, today))
    return found if ok else []


def _fact_text(fact: dict) -> str:
    if "tag" in fact:
        if fact.get("detail"):
            return _("%(tag)s (%(detail)s)") % {"tag": fact["tag"], "detail": fact["detail"]}
        return fact["tag"]
    if "age" in fact:
        return _("aged %(age)s") % {"age": fact["age"]}
    if "sex" in fact:
        return str(Sex(fact["sex"]).label) if fact["sex"] in Sex.values else fact["sex"]
    return ""


def _relation_label(value: str) -> str:
    return str(Relation(value).label) if value in Relation.values else value


def reason_lines(stored: list, *, show_sensitive: bool) -> list[str]:
    """The stored reasons as sentences in the active language. Without `show_sensitive`
    (the viewer may not reveal there) sensitive facts — poverty, disability … — are left out
    without a trace, as the registry's pages leave out sensitive tags."""
    lines = []
    for entry in stored or []:
        try:
            msgid, params = entry
        except (TypeError, ValueError):
            continue
        if not isinstance(msgid, str) or not isinstance(params, dict | None):
            continue
        params = dict(params or {})
        if "facts" in params:
            facts = [f for f in params["facts"] if show_sensitive or not f.get("sensitive")]
            if params["facts"] and not facts:
                continue
            params["facts"] = join_labels([_fact_text(f) for f in facts])
        elif params.get("sensitive") and not show_sensitive:
            continue
        if "relation" in params:
            params["relation"] = _relation_label(params["relation"])
        for text in (_(msgid), msgid):  # a broken translation falls back to the English
            try:
                lines.append(text % params)
                break
            except (KeyError, TypeError, ValueError):
                continue
    return lines


# --- describe ---------------------------------------------------------------------------------


def _details_text(details: list[str]) -> str:
    return join_labels([str(d) for d in details])


def _person_text(person: dict) -> str:
    parts = []
    if "tag" in person:
        if person.get("detail_in"):
            parts.append(
                _("tagged %(tag)s (%(details)s)")
                % {"tag": person["tag"], "details": _details_text(person["detail_in"])}
            )
        else:
            parts.append(_("tagged %(tag)s") % {"tag": person["tag"]})
    low, high = person.get("age_min"), person.get("age_max")
    if low is not None and high is not None:
        parts.append(_("aged %(min)s to %(max)s") % {"min": low, "max": high})
    elif low is not None:
        parts.append(_("aged %(min)s or over") % {"min": low})
    elif high is not None:
        parts.append(_("aged %(max)s or under") % {"max": high})
    if "sex" in person:
        parts.append(str(Sex(person["sex"]).label) if person["sex"] in Sex.values else "?")
    if person.get("relation_in"):
        parts.append(
            _("who is the head's %(relations)s")
            % {"relations": join_labels([_relation_label(r) for r in person["relation_in"]])}
        )
    return join_labels(parts)


def _describe(rule: dict, nested: bool) -> str:
    if "all" in rule or "any" in rule:
        key = "all" if "all" in rule else "any"
        parts = [_describe(r, True) for r in rule[key]]
        pattern = _("%(first)s and %(second)s") if key == "all" else _("%(first)s or %(second)s")
        text = reduce(lambda a, b: pattern % {"first": a, "second": b}, parts)
        return _("(%(rule)s)") % {"rule": text} if nested and len(parts) > 1 else text
    if "not" in rule:
        return _("not: %(rule)s") % {"rule": _describe(rule["not"], True)}
    if "household_tag" in rule:
        if rule.get("detail_in"):
            return _("the household is %(tag)s (%(details)s)") % {
                "tag": rule["household_tag"],
                "details": _details_text(rule["detail_in"]),
            }
        return _("the household is %(tag)s") % {"tag": rule["household_tag"]}
    if "member" in rule:
        return _("a member is %(person)s") % {"person": _person_text(rule["member"])}
    if "head" in rule:
        return _("the head of household is %(person)s") % {"person": _person_text(rule["head"])}
    return "?"


def well_formed(rule) -> bool:
    """Whether `rule` has the shape of a rule, whatever tags it names."""
    if isinstance(rule, dict) and not rule:
        return True
    checker = _Checker(None)
    checker.rule(rule, "", 0)
    return not checker.problems


def describe(rule) -> str:
    """The rule as a sentence in the active language, for the catalogue and the editor."""
    if isinstance(rule, dict) and not rule:
        return _("Nobody is sought out.")
    if not well_formed(rule):
        return _("The rule cannot be read; open the eligibility editor to correct it.")
    return _("Sought out when %(rule)s.") % {"rule": _describe(rule, False)}
