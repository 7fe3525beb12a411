"""The transition table every stateful record declares (core.workflow)."""

import pytest
from django.core.exceptions import ValidationError
from django.db.models import TextChoices
from django.utils import translation
from django.utils.translation import gettext_lazy

from linli.core.workflow import ILLEGAL_TRANSITION, TransitionTable


class Light(TextChoices):
    RED = "red", "red light"
    GREEN = "green", "green light"
    BROKEN = "broken", "broken"


TABLE = TransitionTable(
    transitions={
        (Light.RED, "go"): Light.GREEN,
        (Light.GREEN, "stop"): Light.RED,
        (Light.RED, "break"): Light.BROKEN,
        (Light.GREEN, "break"): Light.BROKEN,
    },
    states=Light,
    action_labels={"go": "go on", "stop": "stop now"},
    refused=gettext_lazy("“%(action)s” is not possible for an application that is “%(state)s”."),
)


def test_allowed_actions_follow_the_table_in_order():
    assert TABLE.allowed_actions(Light.RED) == ["go", "break"]
    assert TABLE.allowed_actions(Light.BROKEN) == []
    assert TABLE.allowed_actions("no such state") == []


def test_next_moves_along_the_table():
    assert TABLE.next(Light.RED, "go") == Light.GREEN
    assert TABLE.allows(Light.GREEN, "stop")
    assert not TABLE.allows(Light.RED, "stop")


def test_an_action_not_in_the_table_is_refused_naming_both():
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        TABLE.next(Light.RED, "stop")
    assert refused.value.code == ILLEGAL_TRANSITION
    assert refused.value.messages == [
        "“stop now” is not possible for an application that is “red light”."
    ]


def test_the_refusal_is_said_in_the_language_of_the_request():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        TABLE.next(Light.BROKEN, "go")
    message = refused.value.messages[0]
    assert "go on" in message and "broken" in message
    assert "is not possible" not in message


def test_states_from_and_final_states():
    assert TABLE.states_from("break") == {Light.RED, Light.GREEN}
    assert TABLE.final_states() == {Light.BROKEN}
