from django import forms
from django.utils.translation import gettext_lazy as _

from investdesk.cases.models import Case, CaseCategory
from investdesk.core.forms import BootstrapForm, DatePicker, UnitChoiceField, VersionedForm
from investdesk.core.models import Unit
from investdesk.enterprises.forms import PersonChoiceField, _people


class CaseForm(BootstrapForm):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}))
    category = forms.ModelChoiceField(label=_("Category"), queryset=CaseCategory.objects.filter(is_active=True))
    source = forms.ChoiceField(label=_("Source"), choices=Case.Source.choices)
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Case.Urgency.choices, initial=Case.Urgency.NORMAL)


class ActionForm(VersionedForm):
    """One form for every action; the view shows the fields each action needs and the service
    checks them."""

    action = forms.CharField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    lead_unit = UnitChoiceField(label=_("Lead unit"), queryset=Unit.objects.filter(is_active=True), required=False)
    lead_handler = PersonChoiceField(label=_("Handler"), queryset=_people(), required=False)
    co_units = forms.ModelMultipleChoiceField(
        label=_("Co-handling units"),
        required=False,
        queryset=Unit.objects.filter(is_active=True).order_by("path"),
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )
    outside_bodies = forms.CharField(
        label=_("Outside bodies"),
        required=False,
        help_text=_("Bodies without accounts, one per line (e.g. 重庆市交通局)."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    urgency = forms.ChoiceField(label=_("Urgency"), choices=[("", "—"), *Case.Urgency.choices], required=False)
    rating = forms.ChoiceField(label=_("Progress"), choices=[("", "—"), *Case.Rating.choices], required=False)
    waiting_on = forms.ChoiceField(label=_("Waiting on"), choices=Case.WaitingOn.choices, required=False)
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    assignment = forms.IntegerField(required=False, widget=forms.HiddenInput)
    new_due_on = forms.DateField(label=_("New due date"), required=False, widget=DatePicker())
    resolution = forms.CharField(label=_("Resolution"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    satisfaction = forms.ChoiceField(
        label=_("Satisfaction"), choices=[("", "—"), *Case.Satisfaction.choices], required=False
    )

    def action_data(self) -> dict:
        data = dict(self.cleaned_data)
        data["co_units"] = list(data.get("co_units") or [])
        data["outside_bodies"] = (data.get("outside_bodies") or "").splitlines()
        return data


class AttachmentForm(BootstrapForm):
    file = forms.FileField(label=_("File"), help_text=_("PDF, images or office files, at most 20 MB."))


class ThankYouLetterForm(BootstrapForm):
    received_on = forms.DateField(label=_("Received on"), widget=DatePicker())
    sender = forms.CharField(label=_("From"), max_length=100, help_text=_("e.g. 博世底盘控制系统中国区总裁"))
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField(label=_("Scan of the letter"), required=False)


class PublicFollowUpForm(BootstrapForm):
    solved = forms.TypedChoiceField(
        label=_("Has the problem been solved?"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("Yes")), ("no", _("No"))],
        widget=forms.RadioSelect,
    )
    satisfaction = forms.ChoiceField(
        label=_("How satisfied are you with our service?"), choices=Case.Satisfaction.choices, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )
