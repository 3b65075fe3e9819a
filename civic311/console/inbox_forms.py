"""The inbox's forms: the list's filters and an item's actions. They only read what was posted; the rules
(who may hand an item to whom, what a reply may say) live in `inbox.services`."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civic311.inbox import selectors
from civic311.inbox.models import REPLY_MAX_CHARS, InboxChannel, InboxItem
from civic311.inbox.services.working import DISMISS_REASON_MAX
from civic311.people.models import Team, User
from civic311.text_intelligence.models import Sentiment, TextKind

TEAM_PREFIX = "team-"
# The assignment form's agent list (only a supervisor's form has it).
AGENT_FIELD = "agent"


class InboxFilterForm(forms.Form):
    """The list's filters, from the query string (GET); anything unreadable falls back to the default."""

    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Every channel")), *InboxChannel.choices]
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            (selectors.STATUS_OPEN, _("Open (not done)")),
            *InboxItem.Status.choices,
            (selectors.STATUS_ALL, _("Any status")),
        ],
    )
    assigned = forms.ChoiceField(label=_("Assigned to"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    kind = forms.ChoiceField(
        label=pgettext_lazy("kind of text", "Kind"),
        required=False,
        choices=[("", pgettext_lazy("kind of text", "Any kind")), *TextKind.choices],
    )
    sentiment = forms.ChoiceField(
        label=_("Sentiment"), required=False, choices=[("", _("Any sentiment")), *Sentiment.choices]
    )

    def __init__(self, data=None, *, teams: list[Team]) -> None:
        super().__init__(data)
        assigned = self.fields["assigned"]
        assert isinstance(assigned, forms.ChoiceField)
        assigned.choices = [
            ("", _("Anyone")),
            (selectors.ASSIGNED_ME, _("Me")),
            (selectors.ASSIGNED_NOBODY, _("Nobody")),
            *[(f"{TEAM_PREFIX}{team.pk}", team.name) for team in teams],
        ]

    def filters(self) -> selectors.InboxFilters:
        if not self.is_valid():
            return selectors.InboxFilters()
        data = self.cleaned_data
        assigned = data.get("assigned") or ""
        team_id = int(assigned.removeprefix(TEAM_PREFIX)) if assigned.startswith(TEAM_PREFIX) else None
        return selectors.InboxFilters(
            channel=data.get("channel") or "",
            status=data.get("status") or selectors.STATUS_OPEN,
            assigned="" if team_id is not None else assigned,
            team_id=team_id,
            overdue_only=bool(data.get("overdue")),
            text_kind=data.get("kind") or "",
            sentiment=data.get("sentiment") or "",
        )


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Reply"),
        max_length=REPLY_MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Write the reply.")},
    )

    def __init__(self, *args, limit: int = REPLY_MAX_CHARS, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        text = self.fields["text"]
        assert isinstance(text, forms.CharField)
        text.max_length = limit
        text.validators = [MaxLengthValidator(limit)]
        self.limit = limit


class AssignForm(forms.Form):
    """To an agent (a supervisor's choice) and/or a team; both empty takes the item off everyone."""

    agent = forms.ModelChoiceField(
        queryset=User.objects.none(), label=_("Agent"), required=False, empty_label=_("Nobody")
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), label=_("Team"), required=False, empty_label=_("No team")
    )

    def __init__(self, *args, agents, teams, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        agent, team = self.fields["agent"], self.fields["team"]
        assert isinstance(agent, forms.ModelChoiceField) and isinstance(team, forms.ModelChoiceField)
        agent.queryset = agents
        team.queryset = teams


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=InboxItem.Status.choices)


class DismissForm(forms.Form):
    reason = forms.CharField(
        label=_("Why it needs nothing from the city"),
        max_length=DISMISS_REASON_MAX,
        error_messages={"required": _("Say why the item needs nothing from the city.")},
    )
