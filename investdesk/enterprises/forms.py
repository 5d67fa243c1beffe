from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from investdesk.core.forms import BootstrapForm, DatePicker, MobileField, UnitChoiceField, VersionedForm
from investdesk.core.models import Unit, User
from investdesk.enterprises.models import Chamber, Contact, Enterprise, Industry, Visit
from investdesk.enterprises.selectors import ORDERINGS
from investdesk.lib.params import int_or_none
from investdesk.lib.regions import CITY_CHOICES


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.name}（{obj.unit.label if obj.unit else ''}）"


class PeopleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.name}（{obj.unit.label if obj.unit else ''}）"


def _people():
    # A drop-down shows names and units: the mobile (SM4-encrypted, decrypted as each row is read) is
    # not read for a few thousand options.
    return User.objects.filter(is_active=True).select_related("unit").defer("mobile").order_by("unit__path", "name")


class EnterpriseFilterForm(BootstrapForm):
    q = forms.CharField(label=_("Search"), required=False)
    city = forms.ChoiceField(label=_("City/prefecture"), required=False)
    industry = forms.ModelChoiceField(
        label=_("Industry"),
        queryset=Industry.objects.filter(is_active=True),
        required=False,
        empty_label=_("All industries"),
    )
    ownership = forms.ChoiceField(label=_("Ownership"), required=False)
    status = forms.ChoiceField(label=_("Status"), required=False)
    flags = forms.MultipleChoiceField(
        label=_("Flags"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[
            ("key", _("Key enterprise")),
            ("city_support", _("City-operation support")),
            ("fortune500", _("Fortune Global 500")),
            ("listed", _("Listed")),
        ],
    )
    unit = UnitChoiceField(
        label=_("Unit"), queryset=Unit.objects.filter(is_active=True), required=False, empty_label=_("All units")
    )
    liaison = PersonChoiceField(
        label=_("Liaison officer"), queryset=_people(), required=False, empty_label=_("Any liaison officer")
    )
    action = forms.IntegerField(required=False, widget=forms.HiddenInput)
    visited_since = forms.DateField(label=_("Visited since"), required=False, widget=DatePicker())
    not_visited_since = forms.DateField(label=_("Not visited since"), required=False, widget=DatePicker())
    order = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("-updated_at", _("Recently updated")),
            ("name", _("Name")),
            ("-last_visit_on", _("Recently visited")),
            ("last_visit_on", _("Longest without a visit")),
            ("-employees", _("Most employees")),
        ],
    )

    def __init__(self, *args, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        if viewer is not None:
            # The drop-down offers the viewer's own unit's people (and the one chosen), not every person
            # of the agency: thousands of options cost more to render than the page of enterprises.
            # Any active person is still accepted (links name a liaison by id).
            liaison = self.fields["liaison"]
            chosen = int_or_none(self.data.get("liaison")) if self.data else None
            chosen = chosen if chosen and 0 < chosen < 2**63 else 0
            # Values, not User objects: 600 people of a city bureau, on every page of the list.
            people = _people().filter(Q(unit_id=viewer.unit_id) | Q(pk=chosen))
            rows = people.values_list("pk", "name", "unit__short_name", "unit__name")
            liaison.widget.choices = [("", liaison.empty_label)] + [
                (pk, f"{name}（{short or unit or ''}）") for pk, name, short, unit in rows
            ]
        self.fields["city"].choices = [("", _("All cities")), *CITY_CHOICES]
        self.fields["ownership"].choices = [("", _("Any ownership")), *Enterprise.Ownership.choices]
        self.fields["status"].choices = [("", _("Any status")), *Enterprise.Status.choices]
        self.fields["flags"].widget.attrs["class"] = ""

    def filters(self):
        from investdesk.enterprises.selectors import EnterpriseFilter

        if not self.is_valid():
            return EnterpriseFilter(q=self.data.get("q"))
        data = self.cleaned_data
        order = data.get("order") or "-updated_at"
        return EnterpriseFilter(
            q=data.get("q") or None,
            city=data.get("city") or None,
            industry=data["industry"].pk if data.get("industry") else None,
            ownership=data.get("ownership") or None,
            status=data.get("status") or None,
            flags=data.get("flags") or [],
            unit=data["unit"].pk if data.get("unit") else None,
            liaison=data["liaison"].pk if data.get("liaison") else None,
            action=data.get("action"),
            visited_since=data.get("visited_since"),
            not_visited_since=data.get("not_visited_since"),
            order=order if order in ORDERINGS else "-updated_at",
        )


class EnterpriseForm(VersionedForm):
    name = forms.CharField(label=_("Chinese name"), max_length=120)
    name_en = forms.CharField(label=_("English name"), max_length=200, required=False)
    uscc = forms.CharField(
        label=_("Unified social credit code"),
        max_length=30,
        required=False,
        help_text=_("18 characters; may be empty for foreign or prospective investors."),
    )
    city = forms.ChoiceField(label=_("City/prefecture"), required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)
    industry = forms.ModelChoiceField(
        label=_("Industry"), queryset=Industry.objects.filter(is_active=True), required=False
    )
    ownership = forms.ChoiceField(label=_("Ownership"), choices=Enterprise.Ownership.choices)
    investor_country = forms.CharField(
        label=_("Investor country/region"),
        max_length=40,
        required=False,
        help_text=_("Required for foreign and Hong Kong/Macao/Taiwan investment."),
    )
    is_key = forms.BooleanField(label=_("Key enterprise"), required=False)
    is_city_support = forms.BooleanField(label=_("City-operation support"), required=False)
    is_fortune500 = forms.BooleanField(label=_("Fortune Global 500"), required=False)
    is_listed = forms.BooleanField(label=_("Listed"), required=False)
    employees = forms.IntegerField(label=_("Employees"), min_value=0, required=False)
    status = forms.ChoiceField(label=_("Status"), choices=Enterprise.Status.choices)
    liaison = PersonChoiceField(label=_("Liaison officer"), queryset=_people(), required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["city"].choices = [("", "—"), *CITY_CHOICES]


class ContactForm(VersionedForm):
    name = forms.CharField(label=_("Name"), max_length=60)
    title = forms.CharField(label=_("Title"), max_length=60, required=False)
    mobile = MobileField()
    phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    wechat = forms.CharField(label=_("WeChat ID"), max_length=60, required=False)
    preferred_channel = forms.ChoiceField(label=_("Preferred channel"), choices=Contact.Channel.choices)
    is_primary = forms.BooleanField(label=_("Primary contact"), required=False)


class VisitForm(VersionedForm):
    visited_on = forms.DateField(label=_("Date"), widget=DatePicker())
    mode = forms.ChoiceField(label=_("Mode"), choices=Visit.Mode.choices)
    staff = PeopleChoiceField(
        label=_("Visit staff"),
        queryset=_people(),
        help_text=_("Everyone who took part; a joint province–city visit names staff of both."),
    )
    contacts = forms.ModelMultipleChoiceField(
        label=_("Contacts met"), queryset=Contact.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )
    action = forms.ModelChoiceField(label=_("Service action"), queryset=None, required=False)
    summary = forms.CharField(label=_("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    problems = forms.CharField(
        label=_("Problems raised"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One problem per line. Each can then become a case."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=Visit.Status.choices)

    def __init__(self, *args, enterprise: Enterprise, actions, questions=(), editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacts"].queryset = enterprise.contacts.all()
        self.fields["contacts"].widget.attrs["class"] = ""
        self.fields["action"].queryset = actions
        if editing:
            del self.fields["action"]
        self.questions = list(questions)
        for question in self.questions:
            self.fields[f"q{question.pk}"] = forms.CharField(
                label=question.text, required=False, widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"})
            )

    def answers(self) -> dict[int, str]:
        return {q.pk: self.cleaned_data.get(f"q{q.pk}", "") for q in self.questions}

    def problem_list(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("problems", "").splitlines() if line.strip()]


class ImportForm(BootstrapForm):
    file = forms.FileField(
        label=_("Spreadsheet (.xlsx or .csv)"),
        help_text=_(
            "The first row holds the column names, e.g. 企业名称, 统一社会信用代码, "
            "所在市州, 联系人, 手机. At most 20 MB."
        ),
    )


class MergeForm(BootstrapForm):
    survivor = forms.IntegerField(widget=forms.HiddenInput)
    duplicate = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=200)


class ServiceActionForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    starts_on = forms.DateField(label=_("Starts on"), widget=DatePicker())
    ends_on = forms.DateField(label=_("Ends on"), widget=DatePicker())
    units = forms.ModelMultipleChoiceField(
        label=_("Units responsible"),
        queryset=Unit.objects.filter(is_active=True).order_by("path"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    questions = forms.CharField(
        label=_("Visit questions"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One per line; every visit of the action answers them (e.g. the five questions of 进千企)."),
    )

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The action cannot end before it starts."))
        return data


class TargetsForm(BootstrapForm):
    file = forms.FileField(
        label=_("List of enterprises (.xlsx or .csv)"),
        required=False,
        help_text=_("A column 企业名称 or 统一社会信用代码."),
    )
    from_filter = forms.CharField(required=False, widget=forms.HiddenInput)


class ChamberForm(VersionedForm):
    name = forms.CharField(label=_("Name"), max_length=120)
    kind = forms.ChoiceField(label=_("Kind"), choices=Chamber.Kind.choices)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    people = forms.CharField(
        label=_("Key people"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: name, position and, if known, mobile (e.g. 陈泽民，名誉会长，13800000000)."),
    )

    def clean_people(self) -> list[tuple[str, str, str]]:
        rows = []
        for number, line in enumerate(self.cleaned_data["people"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            if len(parts) < 2 or not parts[0] or not parts[1]:
                raise forms.ValidationError(
                    _("Line %(n)d: write the name, a comma, then the position.") % {"n": number}
                )
            rows.append((parts[0], parts[1], parts[2] if len(parts) > 2 else ""))
        return rows


class MembersForm(BootstrapForm):
    file = forms.FileField(
        label=_("List of enterprises (.xlsx or .csv)"), help_text=_("A column 企业名称 or 统一社会信用代码.")
    )
