"""Forms parse and check input; services apply the business rules and write."""

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from investdesk.core.models import Role, Unit, User
from investdesk.lib.phones import normalize_mobile


def apply_domain_error(form: forms.Form, exc) -> None:
    """Show a service's refusal (DomainError) on the form, beside the field it names when the form shows
    it. A hidden field's refusal (a stale `version`: someone else saved first) goes above the form,
    where people read it: pages do not show hidden fields' errors."""
    field = form.fields.get(exc.field) if exc.field else None
    form.add_error(exc.field if field is not None and not field.widget.is_hidden else None, exc.message)


class DatePicker(forms.DateInput):
    """The browser's date picker; it needs ISO dates whatever the language's display format."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class BootstrapForm(forms.Form):
    """Gives every widget its Bootstrap class, so templates render `{{ field }}` as is."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"

            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = (widget.attrs.get("class", "") + " " + css).strip()


class MobileField(forms.CharField):
    """A mainland mobile number, optional, normalised to its 11 digits ("138 1234 5678" → 13812345678)."""

    def __init__(self, **kwargs):
        super().__init__(**{"label": _("Mobile"), "max_length": 20, "required": False, **kwargs})

    def clean(self, value) -> str:
        value = super().clean(value)
        if value and normalize_mobile(value) is None:
            raise forms.ValidationError(_("Enter a mainland mobile number of 11 digits, e.g. 13812345678."))
        return normalize_mobile(value) if value else ""


class UnitChoiceField(forms.ModelChoiceField):
    """Units shown indented under their parents."""

    def label_from_instance(self, obj: Unit) -> str:
        return "\u3000" * obj.depth + obj.name


class VersionedForm(BootstrapForm):
    """Carries the version of the record the user opened, so a concurrent edit is detected."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class LoginForm(AuthenticationForm):
    """Django's sign-in form (django-axes watches it) with Bootstrap widgets."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["class"] = "form-control form-control-lg"

    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )


class OtpTokenForm(BootstrapForm):
    token = forms.RegexField(
        label=_("6-digit code"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the 6 digits your authenticator app shows.")},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}),
    )

    def clean_token(self) -> str:
        return self.cleaned_data["token"].strip()


class PasswordChangeForm(BootstrapForm):
    old_password = forms.CharField(
        label=_("Current password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label=_("New password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    new_password2 = forms.CharField(
        label=_("New password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, user: User, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self) -> str:
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError(_("Your current password is not correct."))
        return value

    def clean(self):
        data = super().clean()
        p1, p2 = data.get("new_password1"), data.get("new_password2")
        if p1 and p2 and p1 != p2:
            self.add_error("new_password2", _("The two new passwords differ."))
        if p1 and data.get("old_password") == p1:
            self.add_error("new_password1", _("Choose a password different from the current one."))
        if p1 and not self.errors:
            try:
                password_validation.validate_password(p1, self.user)
            except forms.ValidationError as exc:
                self.add_error("new_password1", exc)
        return data


class UnitForm(VersionedForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    short_name = forms.CharField(label=_("Short name"), max_length=30, required=False)
    code = forms.SlugField(label=_("Code"), max_length=40, help_text=_("Letters, digits and dashes, e.g. chengdu."))
    kind = forms.ChoiceField(label=_("Kind"), choices=Unit.Kind.choices)
    parent = UnitChoiceField(label=_("Parent unit"), queryset=Unit.objects.order_by("path"), required=False)
    sort_order = forms.IntegerField(label=_("Sort order"), min_value=0, max_value=9999, initial=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class PersonForm(VersionedForm):
    username = forms.RegexField(
        label=_("Username"),
        max_length=150,
        regex=r"^[A-Za-z0-9_.@+-]+$",
        help_text=_("Letters, digits and . @ + - _ only; used to sign in."),
        error_messages={"invalid": _("Use only letters, digits and . @ + - _ in the username.")},
    )
    name = forms.CharField(label=_("Full name"), max_length=60)
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.filter(is_active=True).order_by("path"))
    title = forms.CharField(label=_("Job title"), max_length=60, required=False)
    mobile = MobileField()
    office_phone = forms.CharField(label=_("Office phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    password = forms.CharField(
        label=_("Initial password"),
        strip=False,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("The person must change it at first sign-in. At least 10 characters of 3 kinds."),
    )

    def __init__(self, *args, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.creating = creating
        if creating:
            self.fields["password"].required = True
            del self.fields["is_active"]
        else:
            del self.fields["password"]
            self.fields["username"].disabled = True


class RoleForm(VersionedForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    grants = forms.MultipleChoiceField(
        label=_("Grants"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("On top of the role. Every use is audited."),
    )

    def __init__(self, *args, **kwargs):
        from investdesk.core import policy

        super().__init__(*args, **kwargs)
        labels = {
            policy.Capability.VIEW_PERSONAL: _("See mobile and ID numbers unmasked on detail pages"),
            policy.Capability.EXPORT_PERSONAL: _("Export mobile and ID numbers unmasked"),
        }
        self.fields["grants"].choices = [(str(c), labels[c]) for c in policy.GRANTABLE]
        self.fields["grants"].widget.attrs["class"] = "form-check-input me-2"


class ReauthForm(BootstrapForm):
    password = forms.CharField(
        label=_("Your password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, user: User, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        value = self.cleaned_data["password"]
        if not self.user.check_password(value):
            raise forms.ValidationError(_("This is not your current password."))
        return value


class MyDetailsForm(VersionedForm):
    mobile = MobileField()
    office_phone = forms.CharField(label=_("Office phone"), max_length=30, required=False)
    email = forms.EmailField(label=_("Email"), required=False)


class ResetPasswordForm(BootstrapForm):
    password = forms.CharField(label=_("New initial password"), strip=False, widget=forms.PasswordInput)


class TokenForm(BootstrapForm):
    name = forms.CharField(label=_("Name"), max_length=60, help_text=_("What will use it, e.g. monthly report script."))
    days_valid = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=3650, initial=365)


class AuditFilterForm(BootstrapForm):
    q = forms.CharField(label=_("Search"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DatePicker())
    date_to = forms.DateField(label=_("To"), required=False, widget=DatePicker())

    def __init__(self, *args, **kwargs):
        from investdesk.core.models import AuditEntry

        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *AuditEntry.Action.choices]
