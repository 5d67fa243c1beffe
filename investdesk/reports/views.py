"""The leaders' dashboard, the records behind a figure, and work bulletins."""

import datetime
import json
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from investdesk.core import policy
from investdesk.core.audit import audit_log
from investdesk.core.errors import DomainError
from investdesk.core.exports import xlsx_export
from investdesk.core.forms import apply_domain_error
from investdesk.core.models import AuditEntry
from investdesk.lib.excel import attachment
from investdesk.lib.paging import page_of
from investdesk.reports import documents, selectors, services
from investdesk.reports.figures import Scope, SectionResult, period_bounds
from investdesk.reports.forms import BulletinDraftForm, BulletinEditForm, ScopeForm
from investdesk.reports.models import Bulletin

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def scope_from(form) -> Scope:
    """The scope of a (bound) scope form; a bad value falls back to this year up to today."""
    today = timezone.localdate()
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    period = data.get("period") or "year"
    start, end = period_bounds(period, today)
    if period == "custom" or data.get("start") or data.get("end"):
        start, end = data.get("start") or start, data.get("end") or end
    unit, incident = data.get("unit"), data.get("incident")
    return Scope(start=start, end=end, unit_id=unit.pk if unit else None, incident_id=incident.pk if incident else None)


@login_required
def dashboard(request):
    form = ScopeForm(request.GET or None)
    scope = scope_from(form)
    # 刷新 recomputes every section now. Otherwise the figures may be up to FIGURES_MAX_AGE old (the
    # page says so), and a section with no snapshot yet (the first view of a scope: seconds at a
    # million enterprises) is not computed here: its panel fetches it (`dashboard_section`), so the
    # page and the other panels show at once and the sections compute side by side.
    refresh = bool(request.GET.get("refresh"))
    results = selectors.dashboard(
        user=request.user, scope=scope, max_age=0 if refresh else None, compute_missing=refresh
    )
    ready = [r for r in results if isinstance(r, SectionResult)]
    return render(
        request,
        "reports/dashboard.html",
        {
            "form": form,
            "scope": scope,
            "results": [_with_charts(r) if isinstance(r, SectionResult) else _Pending(r.key, r.title) for r in results],
            "big": request.GET.get("big") == "1",
            "computed_at": min((r.computed_at for r in ready if r.computed_at), default=None),
            "refresh_query": _without(request.GET, "refresh"),
        },
    )


@login_required
def dashboard_section(request, key: str):
    """One panel of the dashboard, which the page fetches when the section had no snapshot to show."""
    scope = scope_from(ScopeForm(request.GET or None))
    result = selectors.dashboard_section(user=request.user, scope=scope, key=key)
    return render(request, "reports/dashboard.html#panel", {"r": _with_charts(result), "scope": scope})


@dataclass(frozen=True)
class _Pending:
    """A panel whose section the page fetches by itself."""

    key: str
    title: str
    pending: bool = True


def _with_charts(result: SectionResult) -> SectionResult:
    """Each chart gets the id of the element it is drawn in, and the panel its charts' options as JSON
    (Decimal amounts as plain numbers), which reports/dashboard.js draws with ECharts. In an attribute,
    not a JSON script block: htmx drops script elements from the panels it fetches (allowScriptTags)."""
    for i, chart in enumerate(result.charts):
        chart["id"] = f"chart-{result.key}-{i}"
    result.charts_json = json.dumps([{"id": c["id"], "option": c["option"]} for c in result.charts], default=float)
    return result


def _without(query, name: str) -> str:
    query = query.copy()
    query.pop(name, None)
    return query.urlencode()


@login_required
def figure(request, key: str):
    """Where does this number come from: what it counts, and the records behind it."""
    scope = scope_from(ScopeForm(request.GET or None))
    fig, records = selectors.figure_of(user=request.user, scope=scope, key=key)
    return _figure_page(request, fig.label, fig.display(), fig.query, scope, records, key=key)


@login_required
def figure_export(request, key: str):
    """The records behind a figure as .xlsx, with the same scope."""
    scope = scope_from(ScopeForm(request.GET or None))
    fig, records = selectors.figure_of(user=request.user, scope=scope, key=key)
    if records is None:
        raise Http404
    rows = [[_cell(fn(row)) for _h, fn in records.columns] for row in records.queryset.iterator()]
    return xlsx_export(
        actor=request.user, title=fig.label, headers=[str(h) for h, _fn in records.columns], rows=rows,
        note=f"figure {key}", name=f"{fig.label}-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}",
    )  # fmt: skip


def _cell(value):
    return value if isinstance(value, int | float | Decimal | datetime.date) or value is None else str(value)


def _figure_page(request, label, value, query, scope, records, saved=None, key=""):
    page = page_of(records.queryset, request.GET.get("page")) if records else None
    rows = [
        ([fn(row) for _h, fn in records.columns], records.link(row) if records.link else None) for row in page or []
    ]
    return render(
        request,
        "reports/figure.html",
        {
            "label": label,
            "value": value,
            "query": query,
            "scope": scope,
            "records": records,
            "headers": [h for h, _fn in records.columns] if records else [],
            "rows": rows,
            "page": page,
            "saved": saved,
            "key": key,
        },
    )


# --- bulletins ------------------------------------------------------------------------------------


@login_required
def bulletins(request):
    return render(
        request,
        "reports/bulletins.html",
        {"page": page_of(selectors.bulletins_for_user(user=request.user), request.GET.get("page"))},
    )


@login_required
def bulletin_new(request):
    policy.require(request.user, policy.Capability.EDIT_RECORDS)
    form = BulletinDraftForm(request.POST or None, initial={"period": "month"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bulletin = services.bulletin_draft(
                actor=request.user,
                scope=scope_from(form),
                keys=data["keys"],
                title=data["title"],
                name=data["name"],
                rounded=data["rounded"],
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            return redirect("reports:bulletin", bulletin_id=bulletin.pk)
    return render(request, "reports/bulletin_new.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def bulletin_detail(request, bulletin_id: int):
    bulletin = selectors.bulletin_get_for_user(user=request.user, bulletin_id=bulletin_id)
    can_edit = bulletin.status == Bulletin.Status.DRAFT and policy.can_edit(request.user, bulletin)
    initial = {"name": bulletin.name, "title": bulletin.title, "rounded": bulletin.rounded, "send_to": bulletin.send_to,
               "copy_to": bulletin.copy_to, "version": bulletin.version,
               **{f"text_{s['key']}": s["text"] for s in bulletin.sections}}  # fmt: skip
    form = BulletinEditForm(request.POST or None, initial=initial, bulletin=bulletin)
    if request.method == "POST":
        if not can_edit:
            return HttpResponse(status=403)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.bulletin_update(
                    actor=request.user,
                    bulletin=bulletin,
                    version=data["version"],
                    title=data["title"],
                    name=data["name"],
                    rounded=data["rounded"],
                    send_to=data["send_to"],
                    copy_to=data["copy_to"],
                    texts={s["key"]: data[f"text_{s['key']}"] for s in bulletin.sections},
                )
            except DomainError as exc:
                apply_domain_error(form, exc)
            else:
                messages.success(request, _("Bulletin saved."))
                return redirect("reports:bulletin", bulletin_id=bulletin.pk)
    figures = sorted(bulletin.figures.items())
    return render(
        request,
        "reports/bulletin.html",
        {
            "bulletin": bulletin,
            "form": form,
            "can_edit": can_edit,
            "rendered": [(s["heading"], documents.render_html(bulletin, s["text"])) for s in bulletin.sections],
            "figures": [(key, f, documents.figure_text(bulletin, key)) for key, f in figures],
        },
        status=400 if form.errors else 200,
    )


def _act(request, bulletin_id, action):
    bulletin = policy.get_editable_or_404(request.user, Bulletin.objects.all(), pk=bulletin_id)
    try:
        version = int(request.POST.get("version") or 0) or None
    except ValueError:
        version = None
    try:
        return action(bulletin, version)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("reports:bulletin", bulletin_id=bulletin_id)


@login_required
@require_POST
def bulletin_refresh(request, bulletin_id: int):
    def refresh(bulletin, version):
        services.bulletin_refresh(actor=request.user, bulletin=bulletin, version=version)
        messages.success(request, _("Figures refreshed from the records."))
        return redirect("reports:bulletin", bulletin_id=bulletin_id)

    return _act(request, bulletin_id, refresh)


@login_required
@require_POST
def bulletin_issue(request, bulletin_id: int):
    def issue(bulletin, version):
        bulletin = services.bulletin_issue(actor=request.user, bulletin=bulletin, version=version)
        messages.success(
            request, _("Issued as number %(n)s; its text and figures are kept as they are.") % {"n": bulletin.number}
        )
        return redirect("reports:bulletin", bulletin_id=bulletin_id)

    return _act(request, bulletin_id, issue)


@login_required
@require_POST
def bulletin_delete(request, bulletin_id: int):
    def delete(bulletin, version):
        services.bulletin_delete(actor=request.user, bulletin=bulletin)
        messages.success(request, _("Draft deleted."))
        return redirect("reports:bulletins")

    return _act(request, bulletin_id, delete)


@login_required
def bulletin_download(request, bulletin_id: int, fmt: str):
    if fmt not in ("docx", "pdf"):
        raise Http404
    bulletin = selectors.bulletin_get_for_user(user=request.user, bulletin_id=bulletin_id)
    audit_log(actor=request.user, action=AuditEntry.Action.EXPORT, target=bulletin, note=fmt)
    number = f"第{bulletin.number}期" if bulletin.number else "草稿"
    filename = f"{bulletin.name}{bulletin.year}年{number}"
    if fmt == "pdf":
        return attachment(documents.bulletin_pdf(bulletin), filename=f"{filename}.pdf", content_type="application/pdf")
    return attachment(documents.bulletin_docx(bulletin), filename=f"{filename}.docx", content_type=DOCX)


@login_required
def bulletin_figure(request, bulletin_id: int, key: str):
    """A figure of a saved bulletin: its value as saved, what it counts, and the records behind it now."""
    bulletin = selectors.bulletin_get_for_user(user=request.user, bulletin_id=bulletin_id)
    saved = bulletin.figures.get(key)
    if saved is None:
        raise Http404
    scope = services.scope_of(bulletin)
    current, records = selectors.figure_of(user=request.user, scope=scope, key=key)
    return _figure_page(
        request,
        saved["label"],
        documents.figure_text(bulletin, key),
        saved["query"],
        scope,
        records,
        saved={"bulletin": bulletin, "now": current.display(), "at": bulletin.figures_at},
    )
