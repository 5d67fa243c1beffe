"""Pages of the core app: sign-in, home, account, directory, and the administrators' pages."""

import base64
import json
import sys
import time
from functools import wraps

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from investdesk.core import policy, selectors, services
from investdesk.core.audit import audit_log, verify_and_record
from investdesk.core.errors import DomainError
from investdesk.core.exports import xlsx_export
from investdesk.core.forms import (
    AuditFilterForm,
    LoginForm,
    MyDetailsForm,
    OtpTokenForm,
    PasswordChangeForm,
    PersonForm,
    ReauthForm,
    ResetPasswordForm,
    RoleForm,
    TokenForm,
    UnitForm,
    apply_domain_error,
)
from investdesk.core.middleware import (
    AUTH_AT,
    database_error_in,
    database_unavailable,
    mark_authenticated,
    password_expired,
)
from investdesk.core.models import ADMIN_ROLES, ApiToken, AuditEntry, LoginSession, Role, Unit
from investdesk.core.personal import Withheld
from investdesk.lib.params import int_or_none

PAGE_SIZE = 50


def _page(request, qs, size: int = PAGE_SIZE):
    return Paginator(qs, size).get_page(request.GET.get("page"))


# --- health and sign-in -------------------------------------------------------------------------


@require_GET
@never_cache
def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return HttpResponse(
            f"database unavailable: {exc.__class__.__name__}\n",
            status=503,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


# A database gone away outside a view answers 503 as one inside a view does (core/middleware.py
# DatabaseUnavailableMiddleware), not 500 or 400. Django has logged the exception with its traceback.


def server_error(request):
    """The 500 handler (e.g. the session could not be loaded). Django calls it while handling the
    exception, so sys.exc_info() names it."""
    if database_error_in(sys.exc_info()[1]):
        return database_unavailable(request)
    return defaults.server_error(request)


def bad_request(request, exception):
    """The 400 handler: Django reports a session it could not save after the view as deleted
    (SessionInterrupted), whatever the database error was."""
    if database_error_in(exception):
        return database_unavailable(request)
    return defaults.bad_request(request, exception)


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True


def lockout(request, credentials, *args, **kwargs):
    """django-axes calls this when an account+IP pair is locked out."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked.html", {"minutes": minutes}, status=429)


@login_required
@never_cache
def otp_verify(request):
    device = TOTPDevice.objects.filter(user=request.user, confirmed=True).first()
    if device is None or request.user.is_verified():
        return redirect("home")
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        # verify_token refuses a code already used (TOTPDevice remembers the last time step).
        if device.verify_token(form.cleaned_data["token"]):
            otp_login(request, device)
            return redirect(request.GET.get("next") or "home")
        audit_log(
            actor=request.user,
            action=AuditEntry.Action.LOGIN_FAILED,
            target=request.user,
            note="wrong second-factor code",
        )
        form.add_error("token", _("This code is wrong or was already used. Wait for the next one."))
    return render(request, "registration/otp_verify.html", {"form": form})


# --- home ---------------------------------------------------------------------------------------


@login_required
def home(request):
    return render(
        request,
        "core/home.html",
        {
            "panels": selectors.home_panels(user=request.user),
            "activity": selectors.recent_activity_for_user(user=request.user),
            "colleagues": selectors.people_for_directory(user=request.user).filter(unit=request.user.unit_id).count(),
        },
    )


# --- account ------------------------------------------------------------------------------------


def recent_auth(view):
    """Ask for the password again when it was last proven more than REAUTH_MINUTES ago: changing
    one's mobile, second factor or API tokens must not be possible from an unattended session."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        proven = request.session.get(AUTH_AT) or 0
        if time.time() - proven > settings.REAUTH_MINUTES * 60:
            return redirect(f"{reverse('reauth')}?next={request.get_full_path()}")
        return view(request, *args, **kwargs)

    return wrapper


@login_required
@never_cache
def reauth(request):
    form = ReauthForm(request.user, request.POST or None)
    next_url = request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("account")
    if request.method == "POST" and form.is_valid():
        mark_authenticated(request)
        return redirect(next_url)
    if request.method == "POST":
        audit_log(
            actor=request.user,
            action=AuditEntry.Action.LOGIN_FAILED,
            target=request.user,
            note="wrong password when confirming identity",
        )
    return render(request, "core/reauth.html", {"form": form, "next": next_url}, status=400 if form.errors else 200)


@login_required
@recent_auth
def my_details(request):
    user = request.user
    initial = {"mobile": user.mobile, "office_phone": user.office_phone, "email": user.email, "version": user.version}
    form = MyDetailsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_update_own_details(user=user, version=data.pop("version"), **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Your contact details have been saved."))
            return redirect("account")
    return render(request, "core/my_details.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@never_cache
def password_change(request):
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_change_own_password(user=request.user, password=form.cleaned_data["new_password1"])
        from django.contrib.auth import update_session_auth_hash

        update_session_auth_hash(request, request.user)
        messages.success(request, _("Your password has been changed."))
        return redirect("home")
    return render(
        request,
        "core/password_change.html",
        {"form": form, "expired": password_expired(request.user), "max_age": settings.PASSWORD_MAX_AGE_DAYS},
    )


@login_required
def account(request):
    return render(
        request,
        "core/account.html",
        {
            "tokens": selectors.api_tokens_of(user=request.user),
            "has_otp": user_has_device(request.user),
            "token_form": TokenForm(),
        },
    )


@login_required
@never_cache
@recent_auth
def otp_setup(request):
    device, _created = TOTPDevice.objects.get_or_create(
        user=request.user, confirmed=False, defaults={"name": "authenticator"}
    )
    if user_has_device(request.user):
        messages.info(request, _("Two-factor sign-in is already on."))
        return redirect("account")
    form = OtpTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit_log(
                actor=request.user,
                action=AuditEntry.Action.UPDATE,
                target=request.user,
                note="two-factor sign-in enabled",
            )
            messages.success(request, _("Two-factor sign-in is on. You will be asked for a code at each sign-in."))
            return redirect("account")
        form.add_error("token", _("This code does not match. Check the phone's clock and try the next code."))
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4)
    return render(
        request,
        "core/otp_setup.html",
        {
            "form": form,
            "qr_svg": qr_svg,
            "secret": base64.b32encode(device.bin_key).decode(),
            "settings_required": settings.OTP_REQUIRED_FOR_ADMINS and request.user.role in ADMIN_ROLES,
        },
    )


@login_required
@require_POST
@recent_auth
def otp_disable(request):
    if settings.OTP_REQUIRED_FOR_ADMINS and request.user.role in ADMIN_ROLES:
        messages.error(request, _("Administrators must keep two-factor sign-in on."))
        return redirect("account")
    TOTPDevice.objects.filter(user=request.user).delete()
    audit_log(
        actor=request.user,
        action=AuditEntry.Action.UPDATE,
        target=request.user,
        note="two-factor sign-in disabled",
    )
    messages.success(request, _("Two-factor sign-in is off."))
    return redirect("account")


@login_required
@require_POST
@recent_auth
def token_create(request):
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            token, key = services.api_token_create(user=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return render(request, "core/token_created.html", {"token": token, "key": key})
    return render(
        request,
        "core/account.html",
        {
            "tokens": selectors.api_tokens_of(user=request.user),
            "has_otp": user_has_device(request.user),
            "token_form": form,
        },
        status=400,
    )


@login_required
@require_POST
def token_revoke(request, token_id: int):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    services.api_token_revoke(user=request.user, token=token)
    messages.success(request, _("The token has been revoked."))
    return redirect("account")


# --- directory (通讯录) ---------------------------------------------------------------------------


@login_required
def directory(request):
    people = selectors.people_for_directory(
        user=request.user, q=request.GET.get("q"), unit_id=int_or_none(request.GET.get("unit"))
    )
    template = "core/directory.html#rows" if request.htmx else "core/directory.html"
    return render(
        request,
        template,
        {"page": _page(request, people), "q": request.GET.get("q", ""), "units": selectors.units_all()},
    )


@login_required
def person_detail(request, person_id: int):
    person = selectors.person_get_for_user(user=request.user, person_id=person_id)
    unmasked = person.pk == request.user.pk or policy.can(request.user, policy.Capability.VIEW_PERSONAL)
    if person.mobile and unmasked and person.pk != request.user.pk:
        audit_log(actor=request.user, action=AuditEntry.Action.VIEW_PERSONAL, target=person, note="mobile")
    return render(request, "core/person_detail.html", {"person": person, "unmasked": unmasked})


@login_required
def directory_export(request):
    q = request.GET.get("q")
    people = selectors.people_for_directory(user=request.user, q=q, unit_id=int_or_none(request.GET.get("unit")))
    rows = [
        (
            p.name,
            p.unit.name if p.unit else "",
            p.title,
            p.get_role_display(),
            p.masked_mobile,
            p.office_phone,
            p.email,
        )
        for p in people
    ]
    return xlsx_export(
        actor=request.user,
        title=_("Directory"),
        headers=[
            _("Full name"),
            _("Unit"),
            _("Job title"),
            _("Role"),
            _("Mobile"),
            _("Office phone"),
            _("Email"),
        ],
        rows=rows,
        widths=[12, 28, 16, 14, 16, 16, 28],
        note=f"directory q={q or ''}",
    )


# --- administrators: units ----------------------------------------------------------------------


@login_required
def manage_units(request):
    return render(request, "core/manage_units.html", {"units": selectors.units_with_counts(user=request.user)})


@login_required
def unit_form(request, unit_id: int | None = None):
    policy.require(request.user, policy.Capability.MANAGE_UNITS)
    unit = get_object_or_404(Unit, pk=unit_id) if unit_id else None
    initial = {}
    if unit:
        initial = {
            f: getattr(unit, f)
            for f in ("name", "short_name", "code", "kind", "parent", "sort_order", "is_active", "version")
        }
    form = UnitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        version = data.pop("version")
        try:
            if unit:
                services.unit_update(actor=request.user, unit=unit, version=version, **data)
            else:
                data.pop("is_active")
                unit = services.unit_create(actor=request.user, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Unit “%(name)s” saved.") % {"name": unit.name})
            return redirect("manage_units")
    return render(request, "core/unit_form.html", {"form": form, "unit": unit}, status=400 if form.errors else 200)


# --- administrators: people ---------------------------------------------------------------------


@login_required
def manage_people(request):
    active = {"1": True, "0": False}.get(request.GET.get("active", "1"))
    people = selectors.people_for_admin(
        user=request.user,
        q=request.GET.get("q"),
        unit_id=int_or_none(request.GET.get("unit")),
        role=request.GET.get("role") or None,
        active=active,
    )
    template = "core/manage_people.html#rows" if request.htmx else "core/manage_people.html"
    return render(
        request,
        template,
        {
            "page": _page(request, people),
            "units": selectors.units_all(),
            "roles": Role.choices,
            "filters": request.GET,
            "can_manage_people": policy.can(request.user, policy.Capability.MANAGE_PEOPLE),
            "can_manage_roles": policy.can(request.user, policy.Capability.MANAGE_ROLES),
        },
    )


@login_required
def person_form(request, person_id: int | None = None):
    policy.require(request.user, policy.Capability.MANAGE_PEOPLE)
    person = selectors.person_get_for_admin(user=request.user, person_id=person_id) if person_id else None
    initial = {}
    if person:
        fields = ("username", "name", "unit", "title", "mobile", "office_phone", "email", "is_active", "version")
        initial = {f: getattr(person, f) for f in fields}
    # Administrators manage accounts, not personal data: they may replace a mobile, not read it.
    withheld = Withheld(request, person, ["mobile"], initial, note="mobile (admin)")
    form = PersonForm(request.POST or None, initial=initial, creating=person is None)
    withheld.explain(form)
    if request.method == "POST" and form.is_valid():
        data = withheld.keep_blank(form.cleaned_data)
        version = data.pop("version")
        try:
            if person:
                data.pop("username")
                services.user_update(actor=request.user, user=person, version=version, **data)
            else:
                person = services.user_create(actor=request.user, **data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s saved.") % {"name": person.name})
            return redirect("manage_people")
    return render(
        request,
        "core/person_form.html",
        {
            "form": form,
            "person": person,
            "reset_form": ResetPasswordForm(),
            "sessions": LoginSession.objects.filter(user=person) if person else [],
        },
        status=400 if form.errors else 200,
    )


@login_required
def person_role(request, person_id: int):
    """The security administrator's page: a person's role and grants."""
    policy.require(request.user, policy.Capability.MANAGE_ROLES)
    person = selectors.person_get_for_admin(user=request.user, person_id=person_id)
    initial = {"role": person.role, "grants": person.grants, "version": person.version}
    form = RoleForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.user_set_role(
                actor=request.user, user=person, version=data["version"], role=data["role"], grants=data["grants"]
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("%(name)s: role and grants saved.") % {"name": person.name})
            return redirect("manage_people")
    return render(
        request, "core/person_role.html", {"form": form, "person": person}, status=400 if form.errors else 200
    )


@login_required
@require_POST
def person_end_sessions(request, person_id: int):
    policy.require(request.user, policy.Capability.MANAGE_PEOPLE)
    person = selectors.person_get_for_admin(user=request.user, person_id=person_id)
    ended = services.sessions_end_for_user(actor=request.user, user=person)
    messages.success(request, _("%(count)d sessions of %(name)s ended.") % {"count": ended, "name": person.name})
    return redirect("person_edit", person_id=person.pk)


@login_required
@require_POST
def person_reset_password(request, person_id: int):
    person = selectors.person_get_for_admin(user=request.user, person_id=person_id)
    form = ResetPasswordForm(request.POST)
    if form.is_valid():
        try:
            services.user_reset_password(actor=request.user, user=person, password=form.cleaned_data["password"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("New initial password set for %(name)s; all their sessions were ended.") % {"name": person.name},
            )
    else:
        messages.error(request, _("Enter the new initial password."))
    return redirect("person_edit", person_id=person.pk)


@login_required
@require_POST
def person_unlock(request, person_id: int):
    from axes.utils import reset

    person = selectors.person_get_for_admin(user=request.user, person_id=person_id)
    count = reset(username=person.username)
    audit_log(
        actor=request.user,
        action=AuditEntry.Action.UPDATE,
        target=person,
        note=f"unlocked ({count} attempts)",
    )
    messages.success(request, _("%(name)s can sign in again.") % {"name": person.name})
    return redirect("person_edit", person_id=person.pk)


# --- administrators: audit ----------------------------------------------------------------------


def _audit_filters(request) -> tuple[AuditFilterForm, dict]:
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    return form, {k: v for k, v in filters.items() if v}


@login_required
def audit_log_view(request):
    form, filters = _audit_filters(request)
    entries = selectors.audit_entries(user=request.user, **filters)
    page = _page(request, entries)
    # The audit administrator's reading is itself audited (a page of the log, with its filter).
    audit_log(actor=request.user, action=AuditEntry.Action.AUDIT, note=f"read {request.GET.urlencode()}"[:300])
    template = "core/audit_log.html#rows" if request.htmx else "core/audit_log.html"
    return render(
        request,
        template,
        {"form": form, "page": page, "last_check": selectors.audit_last_verification(user=request.user)},
    )


@login_required
def audit_log_export(request):
    _form, filters = _audit_filters(request)
    entries = selectors.audit_entries(user=request.user, **filters)
    rows = (
        (
            timezone.localtime(e.at).replace(tzinfo=None),
            e.actor_username,
            e.actor_unit.name if e.actor_unit else "",
            e.get_action_display(),
            e.target_type,
            e.target_id,
            e.target_repr,
            json.dumps(e.changes, ensure_ascii=False) if e.changes else "",
            e.note,
            e.ip or "",
            e.hash,
        )
        for e in entries.iterator(chunk_size=2000)
    )
    return xlsx_export(
        actor=request.user,
        title=_("Audit log"),
        headers=[
            _("Time"),
            _("Username"),
            _("Unit"),
            _("Action"),
            _("Record type"),
            "ID",
            _("Record"),
            _("Changes"),
            _("Note"),
            _("IP address"),
            _("Hash"),
        ],
        rows=rows,
        widths=[18, 14, 20, 14, 20, 8, 30, 50, 30, 16, 66],
        note=f"audit log {request.GET.urlencode()}",
    )


@login_required
@require_POST
def audit_log_verify(request):
    policy.require(request.user, policy.Capability.READ_AUDIT)
    report = verify_and_record(actor=request.user)
    if report.ok:
        messages.success(
            request,
            _("The audit log's %(algorithm)s chain is intact: %(count)d entries checked.")
            % {"algorithm": report.algorithm, "count": report.checked},
        )
    else:
        messages.error(
            request,
            _("The audit log's chain is broken at entry %(id)d (%(at)s): %(reason)s")
            % {"id": report.broken_id, "at": timezone.localtime(report.broken_at), "reason": report.reason},
        )
    return redirect("audit_log")


# --- notifications ------------------------------------------------------------------------------


@login_required
def notifications(request):
    if request.method == "POST":
        ids = [int(i) for i in request.POST.getlist("id") if i.isdigit()] or None
        services.notifications_mark_read(user=request.user, ids=ids)
        return redirect("notifications")
    page = _page(request, selectors.notifications_of(user=request.user))
    return render(request, "core/notifications.html", {"page": page})
