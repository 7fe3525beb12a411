"""Forms of the votes pages 表决. They parse what a person typed; the services decide what is
allowed (`add_service_errors` puts their messages under the fields they name)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from linli.core.forms import BootstrapFormMixin

from ..choices import CastingMethod, Majority, VoterBody
from ..models import MatterOption
from .services import QUESTION_LENGTH, WITNESS_LENGTH


class VoteForm(BootstrapFormMixin, forms.Form):
    """准备表决 — a draft's rules and choices."""

    question = forms.CharField(label=_("Question put to the vote"), max_length=QUESTION_LENGTH)
    body = forms.ChoiceField(label=_("Who may vote"), choices=VoterBody.choices)
    quorum_percent = forms.IntegerField(
        label=_("Quorum: percent of the roll who must vote"), min_value=1, max_value=100, initial=50
    )
    majority = forms.ChoiceField(label=_("Majority needed"), choices=Majority.choices)
    secret = forms.BooleanField(label=_("Secret ballot"), required=False, initial=True)
    method = forms.ChoiceField(label=_("How ballots are cast"), choices=CastingMethod.choices)
    closes_at = forms.DateTimeField(
        label=_("Closes at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    options = forms.ModelMultipleChoiceField(
        label=_("The panel's options as the choices"),
        queryset=MatterOption.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for the choices below."),
    )
    choices = forms.CharField(
        label=_("Choices, one a line"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Empty: For / Against."),
    )

    def __init__(self, *args, matter, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["options"].queryset = MatterOption.objects.filter(matter=matter)
        if not self.fields["options"].queryset.exists():
            del self.fields["options"]

    def rules(self) -> dict:
        data = dict(self.cleaned_data)
        lines = [line.strip() for line in data.pop("choices", "").splitlines() if line.strip()]
        options = list(data.pop("options", []) or [])
        data["choices"] = lines or None
        data["options"] = options or None
        return data


class BallotForm(forms.Form):
    """投票 — the resident's choice, then the confirmation."""

    choice = forms.IntegerField(min_value=1)
    confirmed = forms.BooleanField(required=False)


class HandsForm(BootstrapFormMixin, forms.Form):
    """举手表决录入 — the witness; each voter's choice comes as `voter-<id>` fields."""

    witness = forms.CharField(label=_("Witness (监票人)"), max_length=WITNESS_LENGTH)

    def hands(self, data) -> dict[int, int]:
        chosen = {}
        for key, value in data.items():
            if key.startswith("voter-") and value.isdigit() and key[6:].isdigit():
                chosen[int(key[6:])] = int(value)
        return chosen
