"""`{{ record|choice_label:"field" }}` shows what `record.get_field_display` shows."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.utils import translation

from linli.core.choices import AuditAction, AuditOutcome
from linli.core.models import AuditRecord
from linli.core.templatetags.choices import choice_label
from linli.registry.models import Resident


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_choice_shows_as_get_display_shows_it(language):
    with translation.override(language):
        for action in AuditAction.values:
            for outcome in AuditOutcome.values:
                record = AuditRecord(action=action, outcome=outcome)
                assert choice_label(record, "action") == record.get_action_display()
                assert choice_label(record, "outcome") == record.get_outcome_display()
        for sex, _label in Resident._meta.get_field("sex").flatchoices:
            person = Resident(sex=sex)
            assert choice_label(person, "sex") == person.get_sex_display()


def test_the_label_follows_the_language_of_the_request():
    record = AuditRecord(action=AuditAction.LOGIN)
    with translation.override("en"):
        english = choice_label(record, "action")
    with translation.override("zh-hans"):
        chinese = choice_label(record, "action")
    assert english == "Log in" and chinese == "登录"


def test_a_value_outside_the_choices_shows_as_it_is():
    record = AuditRecord(action="retired")
    assert choice_label(record, "action") == record.get_action_display() == "retired"


def test_in_a_template_it_is_escaped_like_any_value():
    record = AuditRecord(action="<b>")
    html = Template('{% load choices %}{{ record|choice_label:"action" }}').render(
        Context({"record": record})
    )
    assert html == "&lt;b&gt;"


def test_no_record_shows_nothing():
    html = Template('{% load choices %}[{{ record|choice_label:"action" }}]').render(
        Context({"record": None})
    )
    assert html == "[]"
