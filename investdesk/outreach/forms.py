from django import forms
from django.utils.translation import gettext_lazy as _

from investdesk.core.forms import BootstrapForm, DatePicker, VersionedForm
from investdesk.core.models import Unit
from investdesk.enterprises.models import Enterprise
from investdesk.outreach.models import Campaign, Message, Response


class CampaignForm(VersionedForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    audience = forms.ChoiceField(label=_("Audience"), choices=Campaign.Audience.choices)
    subject = forms.CharField(label=_("Subject"), max_length=150)
    body = forms.CharField(
        label=_("Letter"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_("Paragraphs separated by a blank line. Merge fields: {{企业名称}} {{联系人}} {{联系人职务}} "
                    "{{包联干部}} {{包联干部电话}} {{所在市州}}; for staff {{姓名}} {{单位}}."),
    )  # fmt: skip
    attachment = forms.FileField(label=_("Attachment (e.g. the signed letter as PDF)"), required=False)
    filters = forms.CharField(
        label=_("Enterprises matching the registry's filters"),
        required=False,
        max_length=500,
        help_text=_("The address of a filtered enterprise list, e.g. status=operating&flags=key (use "
                    "“Write to these” on the enterprise list)."),
    )  # fmt: skip
    listed = forms.FileField(
        label=_("Or a list of enterprises (.xlsx or .csv)"),
        required=False,
        help_text=_("A column 企业名称 or 统一社会信用代码."),
    )
    units = forms.ModelMultipleChoiceField(
        label=_("Units whose staff receive the notice"),
        queryset=Unit.objects.filter(is_active=True).order_by("path"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    scheduled_at = forms.DateTimeField(
        label=_("Send at (empty: when approved)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def clean_filters(self):
        value = (self.cleaned_data.get("filters") or "").strip()
        return value.split("?", 1)[1] if "?" in value else value


class ResponseForm(BootstrapForm):
    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none())
    who = forms.CharField(label=_("Who answered"), max_length=100)
    received_on = forms.DateField(label=_("Received on"), widget=DatePicker())
    via = forms.ChoiceField(label=_("Received by"), choices=Response.Via.choices)
    summary = forms.CharField(label=_("What they answered"), widget=forms.Textarea(attrs={"rows": 3}))
    sentiment = forms.ChoiceField(label=_("Sentiment"), choices=Response.Sentiment.choices)
    needs_follow_up = forms.BooleanField(label=_("Needs follow-up"), required=False)

    def __init__(self, *args, enterprises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises


class CallForm(BootstrapForm):
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Message.Outcome.choices)
    note = forms.CharField(label=_("What they said"), max_length=300, required=False)
    call_back_at = forms.DateTimeField(
        label=_("Call back at"), required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )  # fmt: skip


class CaseCategoryForm(BootstrapForm):
    category = forms.ModelChoiceField(label=_("Category"), queryset=None)

    def __init__(self, *args, **kwargs):
        from investdesk.cases.models import CaseCategory

        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = CaseCategory.objects.filter(is_active=True)
