from django import forms
from django.utils.translation import gettext_lazy as _

from investdesk.core.forms import BootstrapForm, DatePicker, VersionedForm
from investdesk.emergency.models import CriticalEnterprise, Donation, Incident, Shipment, VolunteerService
from investdesk.enterprises.models import Chamber, Enterprise


class IncidentForm(VersionedForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Incident.Kind.choices)
    starts_on = forms.DateField(label=_("Starts on"), widget=DatePicker())
    ends_on = forms.DateField(label=_("Ends on"), required=False, widget=DatePicker())
    areas = forms.CharField(label=_("Affected areas"), max_length=200, required=False)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class DonationForm(VersionedForm):
    """Money in yuan (exact); goods with their quantity, measure and estimated value."""

    donor_kind = forms.ChoiceField(label=_("Donor type"), choices=Donation.DonorKind.choices)
    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none(), required=False)
    chamber = forms.ModelChoiceField(label=_("Chamber or association"), queryset=Chamber.objects.none(), required=False)
    donor_name = forms.CharField(
        label=_("Donor's name (a person)"), max_length=120, required=False, help_text=_("Only for a person.")
    )
    donor_title = forms.CharField(label=_("Donor's position"), max_length=100, required=False)
    mobilised_by = forms.ModelChoiceField(
        label=_("Mobilised by (chamber)"),
        queryset=Chamber.objects.none(),
        required=False,
        help_text=_("The chamber credited for this gift (soft credit); totals count the gift once."),
    )
    kind = forms.ChoiceField(label=_("Money or goods"), choices=Donation.Kind.choices)
    pledged_on = forms.DateField(label=_("Pledged on"), widget=DatePicker())
    amount = forms.DecimalField(label=_("Amount (yuan)"), max_digits=16, decimal_places=2, min_value=0, required=False)
    item = forms.CharField(label=_("Goods"), max_length=100, required=False)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=2, min_value=0, required=False)
    measure = forms.CharField(label=_("Unit of measure"), max_length=10, required=False, help_text=_("吨, 箱, 件, …"))
    value = forms.DecimalField(
        label=_("Estimated value of the goods (yuan)"), max_digits=16, decimal_places=2, min_value=0, required=False
    )
    recipient = forms.CharField(label=_("Recipient"), max_length=120, required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, enterprises, chambers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises
        self.fields["chamber"].queryset = chambers
        self.fields["mobilised_by"].queryset = chambers


class ReceiptForm(BootstrapForm):
    received_on = forms.DateField(label=_("Received on"), widget=DatePicker())
    quantity = forms.DecimalField(
        label=_("Amount or quantity received"),
        max_digits=16,
        decimal_places=2,
        min_value=0,
        help_text=_("Yuan for money, the pledge's measure for goods."),
    )
    voucher = forms.FileField(label=_("Voucher"), required=False, help_text=_("PDF or image of the receipt."))
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class ShipmentForm(VersionedForm):
    donation = forms.ModelChoiceField(label=_("In-kind donation"), queryset=Donation.objects.none(), required=False)
    goods = forms.CharField(label=_("Goods"), max_length=100)
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=14, decimal_places=2, min_value=0)
    measure = forms.CharField(label=_("Unit of measure"), max_length=10)
    origin = forms.CharField(label=_("Origin"), max_length=100)
    destination = forms.CharField(label=_("Destination (county)"), max_length=60)
    township = forms.CharField(label=_("Township"), max_length=60, required=False)
    carrier = forms.CharField(label=_("Carrier"), max_length=100, required=False)
    plate = forms.CharField(label=_("Vehicle plate"), max_length=20, required=False)
    driver = forms.CharField(label=_("Driver"), max_length=30, required=False)
    driver_phone = forms.CharField(label=_("Driver's phone"), max_length=20, required=False)
    driver_id_number = forms.CharField(
        label=_("Driver's ID number"),
        max_length=20,
        required=False,
        help_text=_("The resident ID number (18 characters), needed to apply for a transit pass."),
    )
    transit_pass = forms.ChoiceField(label=_("Transit pass"), choices=Shipment.Pass.choices)

    def __init__(self, *args, donations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["donation"].queryset = donations


class ShipmentMoveForm(VersionedForm):
    state = forms.ChoiceField(label=_("New state"), choices=Shipment.State.choices)
    reason = forms.CharField(label=_("Reason (when blocked)"), max_length=200, required=False)


class RaiseCaseForm(BootstrapForm):
    enterprise = forms.ModelChoiceField(label=_("Enterprise concerned"), queryset=Enterprise.objects.none())

    def __init__(self, *args, enterprises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises


class VolunteerForm(BootstrapForm):
    """The quick form staff fill on a phone: today, their community, what they did."""

    on = forms.DateField(label=_("Date"), widget=DatePicker())
    district = forms.CharField(label=_("District"), max_length=30)
    community = forms.CharField(label=_("Community"), max_length=60)
    hours = forms.DecimalField(label=_("Hours"), max_digits=4, decimal_places=1, min_value=0, initial=4)
    tasks = forms.MultipleChoiceField(
        label=_("Tasks"), choices=VolunteerService.Task.choices, widget=forms.CheckboxSelectMultiple
    )
    tests_assisted = forms.IntegerField(label=_("Testing person-times assisted"), min_value=0, required=False)
    records_entered = forms.IntegerField(label=_("Records entered"), min_value=0, required=False)
    households_surveyed = forms.IntegerField(label=_("Households surveyed"), min_value=0, required=False)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tasks"].widget.attrs["class"] = "form-check-input"
        for name in ("tests_assisted", "records_entered", "households_surveyed", "hours"):
            self.fields[name].widget.attrs["inputmode"] = "decimal" if name == "hours" else "numeric"


class CriticalForm(BootstrapForm):
    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.none())
    why = forms.CharField(label=_("Why it is critical"), max_length=200)
    status = forms.ChoiceField(label=_("Production"), choices=CriticalEnterprise.Production.choices)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, enterprises, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["enterprise"].queryset = enterprises


class ProductionForm(VersionedForm):
    on = forms.DateField(label=_("Date"), widget=DatePicker())
    status = forms.ChoiceField(label=_("Production"), choices=CriticalEnterprise.Production.choices)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class CriticalCaseForm(BootstrapForm):
    title = forms.CharField(label=_("Problem"), max_length=100)
    category = forms.ModelChoiceField(label=_("Category"), queryset=None)
    description = forms.CharField(label=_("Details"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        from investdesk.cases.models import CaseCategory

        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = CaseCategory.objects.filter(is_active=True)
