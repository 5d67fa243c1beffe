from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from investdesk.core.forms import BootstrapForm, DatePicker, UnitChoiceField, VersionedForm
from investdesk.core.models import Unit
from investdesk.reports.figures import PERIODS, sections


class ScopeForm(BootstrapForm):
    """Period (a preset up to today, or custom dates), unit and incident of the dashboard."""

    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, initial="year", required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DatePicker())
    end = forms.DateField(label=_("To"), required=False, widget=DatePicker())
    unit = UnitChoiceField(
        label=_("Unit"), queryset=Unit.objects.filter(is_active=True).order_by("path"), required=False,
        empty_label=_("Whole agency (in your scope)"),
    )  # fmt: skip
    incident = forms.ModelChoiceField(
        label=_("Incident"), queryset=None, required=False, empty_label=_("All incidents")
    )

    def __init__(self, *args, **kwargs):
        from investdesk.emergency.models import Incident

        super().__init__(*args, **kwargs)
        self.fields["incident"].queryset = Incident.objects.all()

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end cannot be before the start."))
        return data


class BulletinDraftForm(ScopeForm):
    title = forms.CharField(label=pgettext_lazy("heading", "Title"), max_length=120, required=False,
                            help_text=_("Left empty, the title names the unit and the period."))  # fmt: skip
    name = forms.CharField(label=_("Bulletin name"), max_length=60, initial="工作简报")
    keys = forms.MultipleChoiceField(label=_("Sections"), widget=forms.CheckboxSelectMultiple, choices=())
    rounded = forms.BooleanField(label=_("Round counts down and say 余 (e.g. 130余家)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keys"].choices = [(s.key, s.title) for s in sections()]
        self.fields["keys"].initial = [s.key for s in sections()]
        self.fields["keys"].widget.attrs["class"] = "form-check-input"


class BulletinEditForm(VersionedForm):
    name = forms.CharField(label=_("Bulletin name"), max_length=60)
    title = forms.CharField(label=pgettext_lazy("heading", "Title"), max_length=120)
    rounded = forms.BooleanField(label=_("Round counts down and say 余 (e.g. 130余家)"), required=False)
    send_to = forms.CharField(label=_("报 (sent up to)"), max_length=200, required=False)
    copy_to = forms.CharField(label=_("送 (copied to)"), max_length=200, required=False)

    def __init__(self, *args, bulletin, **kwargs):
        super().__init__(*args, **kwargs)
        for section in bulletin.sections:
            self.fields[f"text_{section['key']}"] = forms.CharField(
                label=section["heading"],
                required=False,
                widget=forms.Textarea(attrs={"rows": 6, "class": "form-control"}),
            )
