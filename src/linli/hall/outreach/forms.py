"""Forms of the outreach pages: the eligibility editor (a rule as rows of conditions, never
raw JSON) and the worker's outcome form. They parse what a person typed into a rule or an
outcome; `eligibility.validate` and the services decide whether it is good."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.core.forms import BootstrapFormMixin
from linli.registry.choices import Relation, Sex

from ..choices import OutreachState
from . import eligibility
from . import workflow as workflow_outreach
from .services import OUTREACH_ROLES, REASON_MAX_LENGTH, RECENT_DAYS_MAX

KIND_HOUSEHOLD_TAG, KIND_MEMBER, KIND_HEAD = "household_tag", "member", "head"
DETAIL_SEPARATOR = "|"  # a detail choice's value is "tag|detail": details belong to one tag
BLANK_ROWS = 2  # empty rows offered below the conditions, to add one without a round trip
MAX_ROWS = 30


# --- the eligibility editor -------------------------------------------------------------------


class EligibilityForm(BootstrapFormMixin, forms.Form):
    """Who is sought out for an item and who does it: how the rows combine, the role, the
    days that count as recent, and a note saying what changed."""

    combine = forms.ChoiceField(
        label=gettext_lazy("Conditions"),
        choices=[
            ("all", gettext_lazy("All of the conditions below hold")),
            ("any", gettext_lazy("Any one of the conditions below holds")),
        ],
        widget=forms.RadioSelect,
        initial="all",
    )
    outreach_role = forms.ChoiceField(
        label=gettext_lazy("Who does the outreach"),
        required=False,
        help_text=gettext_lazy(
            "The worker of this role responsible for the household's area gets the task."
        ),
    )
    outreach_recent_days = forms.IntegerField(
        label=gettext_lazy("Do not seek a household out again for (days)"),
        min_value=1,
        max_value=RECENT_DAYS_MAX,
        help_text=gettext_lazy(
            "After an application, or an outreach task whatever came of it, the household is "
            "left alone for this many days."
        ),
    )
    note = forms.CharField(
        label=gettext_lazy("What changed"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Kept with the new version of the item."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outreach_role"].choices = [("", _("Nobody: no outreach for this item"))] + [
            (role.value, role.label) for role in OUTREACH_ROLES
        ]


def _tag_choices(vocabulary: eligibility.Vocabulary) -> list:
    household = sorted(vocabulary.household.values(), key=lambda t: (t.sort_order, t.name))
    resident = sorted(vocabulary.resident.values(), key=lambda t: (t.sort_order, t.name))
    return [
        ("", "—"),
        (_("Household tags"), [(t.name, t.name) for t in household]),
        (_("Personal tags"), [(t.name, t.name) for t in resident]),
    ]


def _detail_choices(vocabulary: eligibility.Vocabulary) -> list:
    groups = []
    for store in (vocabulary.household, vocabulary.resident):
        for tag in sorted(store.values(), key=lambda t: (t.sort_order, t.name)):
            if tag.detail_choices:
                options = [(f"{tag.name}{DETAIL_SEPARATOR}{d}", d) for d in tag.detail_choices]
                groups.append((tag.name, options))
    return groups


class ConditionForm(BootstrapFormMixin, forms.Form):
    """One row of the editor: one condition on the household, a member or the head."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Condition on"),
        required=False,
        choices=[
            ("", "—"),
            (KIND_HOUSEHOLD_TAG, gettext_lazy("The household has the tag")),
            (KIND_MEMBER, gettext_lazy("A member of the household")),
            (KIND_HEAD, gettext_lazy("The head of household")),
        ],
    )
    negate = forms.BooleanField(label=gettext_lazy("Must not hold"), required=False)
    tag = forms.ChoiceField(label=gettext_lazy("Tag"), required=False)
    details = forms.MultipleChoiceField(
        label=gettext_lazy("Only these details"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    age_min = forms.IntegerField(
        label=gettext_lazy("Aged from"), required=False, min_value=0, max_value=eligibility.MAX_AGE
    )
    age_max = forms.IntegerField(
        label=gettext_lazy("Aged up to"), required=False, min_value=0, max_value=eligibility.MAX_AGE
    )
    sex = forms.ChoiceField(
        label=gettext_lazy("Sex"), required=False, choices=[("", "—"), *Sex.choices]
    )
    relations = forms.MultipleChoiceField(
        label=gettext_lazy("Relation to the head"),
        required=False,
        choices=Relation.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, vocabulary: eligibility.Vocabulary, **kwargs):
        super().__init__(*args, **kwargs)
        self.vocabulary = vocabulary
        self.fields["tag"].choices = _tag_choices(vocabulary)
        self.fields["details"].choices = _detail_choices(vocabulary)

    def rule(self) -> dict | None:
        """The row as a rule; None for an empty row. Call after `is_valid()`; problems found
        here are added to the row's errors."""
        data = self.cleaned_data
        kind = data.get("kind")
        person_given = any(
            data.get(k) not in (None, "", []) for k in ("age_min", "age_max", "sex", "relations")
        )
        if not kind:
            if data.get("tag") or data.get("details") or person_given:
                self.add_error("kind", _("Choose what this condition is about."))
            return None
        tag = data.get("tag") or ""
        details, stray = [], []
        for value in data.get("details") or []:
            tag_name, _sep, detail = value.partition(DETAIL_SEPARATOR)
            (details if tag_name == tag else stray).append(detail)
        if stray:
            self.add_error(
                "details",
                _("These details belong to another tag than “%(tag)s”: %(details)s.")
                % {"tag": tag or "—", "details": "、".join(stray)},
            )
        if kind == KIND_HOUSEHOLD_TAG:
            if person_given:
                self.add_error(
                    None, _("Age, sex and relation are about a person, not about the household.")
                )
            if not tag:
                self.add_error("tag", _("Choose the household tag."))
                return None
            rule: dict = {"household_tag": tag}
            if details:
                rule["detail_in"] = details
        else:
            person: dict = {}
            if tag:
                person["tag"] = tag
                if details:
                    person["detail_in"] = details
            for key in ("age_min", "age_max"):
                if data.get(key) is not None:
                    person[key] = data[key]
            if data.get("sex"):
                person["sex"] = data["sex"]
            if data.get("relations"):
                person["relation_in"] = list(data["relations"])
            rule = {kind: person}
        if data.get("negate"):
            rule = {"not": rule}
        for problem in eligibility.validate(rule, vocabulary=self.vocabulary):
            self.add_error(None, problem)
        return rule


class BaseConditionFormSet(forms.BaseFormSet):
    def rules(self) -> list[dict]:
        return [r for r in (form.rule() for form in self.forms) if r is not None]

    def has_row_errors(self) -> bool:
        return any(form.errors for form in self.forms)


def condition_formset(*, data=None, initial=None, vocabulary, extra: int = BLANK_ROWS):
    factory = forms.formset_factory(
        ConditionForm,
        formset=BaseConditionFormSet,
        extra=extra,
        max_num=MAX_ROWS,
        absolute_max=MAX_ROWS,
        validate_max=True,
    )
    return factory(data=data, initial=initial, prefix="row", form_kwargs={"vocabulary": vocabulary})


def combine_rows(combine: str, rules: list[dict]) -> dict:
    """The rule the rows make: nothing ({}), the one condition, or all / any of them."""
    if not rules:
        return {}
    if len(rules) == 1:
        return rules[0]
    return {combine: rules}


def _leaf_row(rule: dict, vocabulary: eligibility.Vocabulary) -> dict | None:
    row: dict = {"negate": False}
    if set(rule) == {"not"} and isinstance(rule["not"], dict):
        row["negate"], rule = True, rule["not"]
    if "household_tag" in rule and set(rule) <= {"household_tag", "detail_in"}:
        tag = rule["household_tag"]
        details = _detail_values(vocabulary.household.get(tag), rule.get("detail_in", []))
        if details is None:
            return None
        return row | {"kind": KIND_HOUSEHOLD_TAG, "tag": tag, "details": details}
    for kind in (KIND_MEMBER, KIND_HEAD):
        if set(rule) == {kind} and isinstance(rule[kind], dict):
            person = rule[kind]
            tag = person.get("tag", "")
            details = _detail_values(vocabulary.resident.get(tag), person.get("detail_in", []))
            if details is None:
                return None
            return row | {
                "kind": kind,
                "tag": tag,
                "details": details,
                "age_min": person.get("age_min"),
                "age_max": person.get("age_max"),
                "sex": person.get("sex", ""),
                "relations": person.get("relation_in", []),
            }
    return None


def _detail_values(tag, details) -> list[str] | None:
    """The detail checkboxes to tick; None if a detail cannot be shown as one (a tag without
    a fixed list of details, or one that is no longer on it)."""
    if not details:
        return []
    if tag is None or not all(d in tag.detail_choices for d in details):
        return None
    return [f"{tag.name}{DETAIL_SEPARATOR}{d}" for d in details]


def rows_of(rule, vocabulary: eligibility.Vocabulary) -> tuple[str, list[dict]] | None:
    """The editor's rows for a stored rule: (all | any, rows), or None when the rule has a
    shape the rows cannot show (e.g. all / any nested inside each other)."""
    if not isinstance(rule, dict) or not eligibility.well_formed(rule):
        return None
    if not rule:
        return "all", []
    for combine in ("all", "any"):
        if set(rule) == {combine}:
            rows = [_leaf_row(part, vocabulary) for part in rule[combine]]
            return None if None in rows else (combine, rows)
    row = _leaf_row(rule, vocabulary)
    return None if row is None else ("all", [row])


# --- the worker's outcome ---------------------------------------------------------------------


class OutcomeForm(BootstrapFormMixin, forms.Form):
    """What came of contacting the household."""

    outcome = forms.ChoiceField(
        label=gettext_lazy("What came of it"),
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # Set by the confirmation page: an outcome that closes the task is asked about first.
    confirmed = forms.BooleanField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, task, **kwargs):
        kwargs.setdefault("initial", {"version": task.version})
        super().__init__(*args, **kwargs)
        outcomes = [
            (OutreachState.CONTACTED, _("Contacted the household")),
            (OutreachState.DECLINED, _("The household declined")),
            (OutreachState.NOT_ELIGIBLE, _("Not eligible after all")),
        ]
        # Those the workflow allows now; a closed task keeps them all, so that a form posted
        # after it closed is answered with the service's reason.
        allowed = workflow_outreach.OUTREACH_TABLE.allowed_actions(task.state)
        offered = [o for o in outcomes if workflow_outreach.OUTCOME_ACTIONS[o[0]] in allowed]
        self.fields["outcome"].choices = offered or outcomes


class ReopenForm(BootstrapFormMixin, forms.Form):
    """Reopen a task closed by mistake, saying why."""

    reason = forms.CharField(
        label=gettext_lazy("Why reopen it"),
        max_length=REASON_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": gettext_lazy("e.g. tapped the wrong button")}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, task=None, **kwargs):
        if task is not None:
            kwargs.setdefault("initial", {"version": task.version})
        super().__init__(*args, **kwargs)
        self.fields["reason"].error_messages["required"] = _("Say why the task is reopened.")
