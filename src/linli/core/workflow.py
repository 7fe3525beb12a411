"""Transition tables 流转表: which state of a record may follow which, and on what action.

Every record with a state (applications, route steps, outreach tasks, needs, and every new one)
declares one `TransitionTable`: pure data — no database, no models — so its rules can be read
in one place and tested exhaustively. The services move a record only through `next`, which
refuses an action the table does not list for the current state with a message naming both;
the pages offer what `allows` says. Rules beyond the table (a refusal that depends on more than
the state) stay beside the table in the module's own `workflow.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import TextChoices
from django.utils.functional import Promise

ILLEGAL_TRANSITION = "illegal_transition"


@dataclass(frozen=True)
class TransitionTable:
    """(state, action) → new state for one kind of record; everything not listed is refused.

    `states` labels the states (the model's TextChoices), `action_labels` the actions;
    `refused` is the message of a refusal, with `%(action)s` and `%(state)s` placeholders,
    marked for translation lazily (it is read when the refusal is made)."""

    transitions: Mapping[tuple[str, str], str]
    states: type[TextChoices]
    action_labels: Mapping[str, str | Promise]
    refused: str | Promise
    _by_state: dict[str, tuple[str, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_state: dict[str, list[str]] = {}
        for state, action in self.transitions:
            by_state.setdefault(state, []).append(action)
        object.__setattr__(self, "_by_state", {s: tuple(a) for s, a in by_state.items()})

    def allowed_actions(self, state: str) -> list[str]:
        """The actions the table allows in `state`, in the order they are listed."""
        return list(self._by_state.get(state, ()))

    def allows(self, state: str, action: str) -> bool:
        return (state, action) in self.transitions

    def next(self, state: str, action: str) -> str:
        """The state after `action`, or a ValidationError (code "illegal_transition") saying
        why it cannot be done."""
        try:
            return self.transitions[(state, action)]
        except KeyError:
            raise ValidationError(
                str(self.refused)
                % {"state": self.label(state), "action": self.action_label(action)},
                code=ILLEGAL_TRANSITION,
            ) from None

    def label(self, state: str) -> str:
        try:
            return str(self.states(state).label)
        except ValueError:
            return state

    def action_label(self, action: str) -> str:
        return str(self.action_labels.get(action, action))

    def states_from(self, action: str) -> frozenset[str]:
        """The states in which `action` is allowed (e.g. those a record can be reopened from)."""
        return frozenset(state for (state, a) in self.transitions if a == action)

    def final_states(self) -> frozenset[str]:
        """States reached by the table from which no action leads on."""
        reached = set(self.transitions.values())
        return frozenset(s for s in reached if s not in self._by_state)
