from django import forms
from django.utils.translation import gettext_lazy as _

from investdesk.core.forms import BootstrapForm, DatePicker, VersionedForm
from investdesk.core.models import Unit
from investdesk.enterprises.forms import PeopleChoiceField, PersonChoiceField, _people
from investdesk.enterprises.models import Enterprise, Industry
from investdesk.lib.money import CURRENCIES
from investdesk.lib.regions import CITY_CHOICES
from investdesk.projects.models import FollowUp, Project, PromotionEvent, Stage


class ProjectForm(VersionedForm):
    name = forms.CharField(label=_("Project name"), max_length=120)
    investor = forms.ModelChoiceField(label=_("Investor"), queryset=Enterprise.objects.none())
    industry = forms.ModelChoiceField(
        label=_("Industry"), queryset=Industry.objects.filter(is_active=True), required=False
    )
    amount = forms.DecimalField(
        label=_("Investment amount"), max_digits=18, decimal_places=2, required=False, min_value=0
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=CURRENCIES, initial="CNY")
    fx_rate = forms.DecimalField(
        label=_("Exchange rate (yuan per unit)"), max_digits=12, decimal_places=6, initial=1, required=False
    )
    city = forms.ChoiceField(label=_("Landing city/prefecture"), choices=[("", "—"), *CITY_CHOICES], required=False)
    owner = PersonChoiceField(label=_("Owner"), queryset=_people(), required=False)
    leader = PersonChoiceField(label=_("Bureau leader following it"), queryset=_people(), required=False)
    method = forms.ChoiceField(
        label=_("Promotion method"), choices=[("", "—"), *Project.Method.choices], required=False
    )
    kind = forms.ChoiceField(label=_("Project type"), choices=Project.Kind.choices)
    likelihood = forms.ChoiceField(
        label=_("Likelihood to land"), choices=[("", "—"), *Project.Likelihood.choices], required=False
    )
    new_jobs = forms.IntegerField(label=_("New jobs"), min_value=0, required=False)
    expected_signing_on = forms.DateField(label=_("Expected signing date"), required=False, widget=DatePicker())
    expected_start_on = forms.DateField(label=_("Expected start date"), required=False, widget=DatePicker())
    is_watched = forms.BooleanField(label=_("Watch list (重点盯)"), required=False)
    watch_reason = forms.CharField(label=_("Why it is watched"), max_length=200, required=False)
    event = forms.ModelChoiceField(
        label=_("Promotion event"),
        queryset=PromotionEvent.objects.none(),
        required=False,
        help_text=_("The event the project came from or was signed at."),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, investors, events, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["investor"].queryset = investors
        self.fields["event"].queryset = events


class MoveForm(VersionedForm):
    """The move dialog: only the fields the target stage still needs are shown; the service checks."""

    stage = forms.ChoiceField(label=_("Stage"), choices=Stage.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)
    owner = PersonChoiceField(label=_("Owner"), queryset=_people(), required=False)
    expected_signing_on = forms.DateField(label=_("Expected signing date"), required=False, widget=DatePicker())
    amount = forms.DecimalField(
        label=_("Investment amount (yuan)"), max_digits=18, decimal_places=2, required=False, min_value=0
    )
    signed_on = forms.DateField(label=_("Signing date"), required=False, widget=DatePicker())
    contract_amount_cny = forms.DecimalField(
        label=_("Contract amount (yuan)"), max_digits=18, decimal_places=2, required=False, min_value=0
    )
    started_on = forms.DateField(label=_("Start date"), required=False, widget=DatePicker())
    producing_on = forms.DateField(label=_("Production date"), required=False, widget=DatePicker())


class StatusForm(VersionedForm):
    status = forms.ChoiceField(label=_("Status"), choices=Project.Status.choices)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200)
    lost_to = forms.CharField(label=_("Lost to (region)"), required=False, max_length=60)


class FollowUpForm(BootstrapForm):
    on = forms.DateField(label=_("Date"), widget=DatePicker())
    mode = forms.ChoiceField(label=_("Mode"), choices=FollowUp.Mode.choices)
    participants = PeopleChoiceField(
        label=_("Who took part"), queryset=_people(), required=False, widget=forms.SelectMultiple(attrs={"size": 4})
    )
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 2}))
    next_step = forms.CharField(label=_("Next step"), max_length=200, required=False)
    next_step_on = forms.DateField(label=_("Next step by"), required=False, widget=DatePicker())


class FundsForm(BootstrapForm):
    on = forms.DateField(label=_("Date"), widget=DatePicker())
    amount_cny = forms.DecimalField(label=_("Amount (yuan)"), max_digits=18, decimal_places=2, min_value=0)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ProjectFilterForm(BootstrapForm):
    q = forms.CharField(label=_("Search"), required=False)
    stage = forms.ChoiceField(label=_("Stage"), choices=[("", _("All stages")), *Stage.choices], required=False)
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("Any status")), *Project.Status.choices], required=False
    )
    unit = forms.ModelChoiceField(
        label=_("Unit"), queryset=Unit.objects.filter(is_active=True), required=False, empty_label=_("All units")
    )
    city = forms.ChoiceField(label=_("City/prefecture"), choices=[("", _("All cities")), *CITY_CHOICES], required=False)
    industry = forms.ModelChoiceField(
        label=_("Industry"),
        queryset=Industry.objects.filter(is_active=True),
        required=False,
        empty_label=_("All industries"),
    )
    watched = forms.BooleanField(label=_("Watch list only"), required=False)
    min_wan = forms.DecimalField(label=_("From (万元)"), required=False, min_value=0)
    max_wan = forms.DecimalField(label=_("To (万元)"), required=False, min_value=0)
    signing_within_days = forms.IntegerField(label=_("Signing within (days)"), required=False, min_value=0)
    likelihood = forms.ChoiceField(
        label=_("Likelihood to land"),
        choices=[("", _("Any likelihood")), *Project.Likelihood.choices, ("none", _("Not assessed"))],
        required=False,
    )
    signing_overdue = forms.BooleanField(label=_("Past expected signing date"), required=False)
    signed_year = forms.IntegerField(required=False, widget=forms.HiddenInput)
    started_year = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def filters(self):
        from investdesk.projects.selectors import ProjectFilter

        if not self.is_valid():
            return ProjectFilter()
        d = self.cleaned_data
        return ProjectFilter(
            q=d["q"] or None, stage=d["stage"] or None, status=d["status"] or None,
            unit=d["unit"].pk if d["unit"] else None, city=d["city"] or None,
            industry=d["industry"].pk if d["industry"] else None, watched=d["watched"],
            min_amount=d["min_wan"] * 10000 if d["min_wan"] is not None else None,
            max_amount=d["max_wan"] * 10000 if d["max_wan"] is not None else None,
            signing_within_days=d["signing_within_days"], signed_year=d["signed_year"],
            started_year=d["started_year"], likelihood=d["likelihood"] or None,
            signing_overdue=d["signing_overdue"],
        )  # fmt: skip


class TargetForm(BootstrapForm):
    """Amounts are entered in 万元, as targets are written."""

    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.filter(is_active=True).order_by("path"))
    signed_projects = forms.IntegerField(label=_("Signed projects"), min_value=0, initial=0)
    signed_amount_wan = forms.DecimalField(label=_("Signed amount (万元)"), min_value=0, decimal_places=2, initial=0)
    funds_in_place_wan = forms.DecimalField(label=_("Funds in place (万元)"), min_value=0, decimal_places=2, initial=0)
    started_projects = forms.IntegerField(label=_("Projects started"), min_value=0, initial=0)
    q1_pct = forms.IntegerField(
        label=_("Due by end of Q1 (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_(
            "Optional quarterly split, cumulative; leave the three empty to use the elapsed share of the year."
        ),
    )
    q2_pct = forms.IntegerField(label=_("Due by end of Q2 (%)"), min_value=0, max_value=100, required=False)
    q3_pct = forms.IntegerField(label=_("Due by end of Q3 (%)"), min_value=0, max_value=100, required=False)


class EventForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=PromotionEvent.Kind.choices)
    starts_on = forms.DateField(label=_("Starts on"), widget=DatePicker())
    ends_on = forms.DateField(label=_("Ends on"), widget=DatePicker())
    place = forms.CharField(label=_("City"), max_length=40)
    industries = forms.ModelMultipleChoiceField(
        label=_("Industries"),
        required=False,
        queryset=Industry.objects.filter(is_active=True),
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    status = forms.ChoiceField(label=_("Status"), choices=PromotionEvent.Status.choices)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ParticipantsForm(BootstrapForm):
    file = forms.FileField(
        label=_("List of enterprises (.xlsx or .csv)"), help_text=_("A column 企业名称 or 统一社会信用代码.")
    )


class PlanForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    industry = forms.ModelChoiceField(
        label=_("Industry"), queryset=Industry.objects.filter(is_active=True), required=False
    )
    event = forms.ModelChoiceField(label=_("Promotion event"), queryset=PromotionEvent.objects.none(), required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, events, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = events


class PlanTargetsForm(BootstrapForm):
    prospects = forms.CharField(
        label=_("New prospective investors"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One name per line; they are added to the registry as prospective."),
    )
    file = forms.FileField(
        label=_("…or investors of the registry (.xlsx or .csv)"),
        required=False,
        help_text=_("A column 企业名称 or 统一社会信用代码."),
    )
