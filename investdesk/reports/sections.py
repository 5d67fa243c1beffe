"""The modules' sections of the dashboard and the bulletin. Each computes its figures from its
module's selectors (scoped by the policy) and drafts its bulletin sentences with {tokens} that stay
linked to the figures. Outreach adds its section when that module lands."""

import datetime
import statistics
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Min, Q, Sum
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from investdesk.core import policy
from investdesk.core.models import Unit
from investdesk.lib.localdays import days_filter
from investdesk.lib.workdays import workdays_between
from investdesk.reports.figures import Figure, Scope, Section, SectionResult, register

STALE_DAYS = 30  # "enterprises not contacted in N days"


@dataclass
class Records:
    """The rows behind a figure, for the "where does this number come from" page."""

    queryset: object
    columns: list  # [(header, function(row) -> value)]
    link: object = None  # function(row) -> url


def _unit(scope: Scope) -> Unit | None:
    return Unit.objects.filter(pk=scope.unit_id).first() if scope.unit_id else None


def _in_unit(qs, scope: Scope, field: str):
    return policy.within_unit(qs, scope.unit_id, field)


def _day(d: datetime.date) -> str:
    return f"{d.month}月{d.day}日"


def _period_text(scope: Scope) -> str:
    if scope.start.year == scope.end.year:
        if scope.start == datetime.date(scope.end.year, 1, 1):
            return f"{scope.end.year}年以来（截至{_day(scope.end)}）"
        return f"{_day(scope.start)}至{_day(scope.end)}"
    return f"{scope.start:%Y年}{_day(scope.start)}至{scope.end:%Y年}{_day(scope.end)}"


# --- aftercare ------------------------------------------------------------------------------------


def _visits(user, scope: Scope):
    from investdesk.enterprises.models import Visit

    qs = policy.visible(user, Visit.objects.filter(status=Visit.Status.COMPLETED))
    qs = qs.filter(visited_on__gte=scope.start, visited_on__lte=scope.end)
    return _in_unit(qs, scope, "owner_unit")


def _cases(user, scope: Scope):
    from investdesk.cases.selectors import cases_registered

    return cases_registered(user=user, start=scope.start, end=scope.end, unit=_unit(scope))


def _stale(user, scope: Scope):
    from investdesk.enterprises.models import Enterprise

    qs = policy.visible(user, Enterprise.objects.filter(status=Enterprise.Status.OPERATING, merged_into__isnull=True))
    cutoff = scope.end - datetime.timedelta(days=STALE_DAYS)
    qs = qs.filter(Q(last_visit_on__lt=cutoff) | Q(last_visit_on__isnull=True))
    return _in_unit(qs, scope, "owner_unit")


def _visit_records(user, scope):
    return Records(
        _visits(user, scope).select_related("enterprise", "owner_unit").order_by("-visited_on", "-id"),
        [(_("Date"), lambda v: v.visited_on), (_("Enterprise"), lambda v: v.enterprise.name),
         (_("Mode"), lambda v: v.get_mode_display()), (_("Unit"), lambda v: v.owner_unit.name)],
        lambda v: reverse("enterprises:visit", args=[v.pk]),
    )  # fmt: skip


def _visited_records(user, scope):
    from investdesk.enterprises.models import Enterprise

    ids = _visits(user, scope).values("enterprise_id")
    return Records(
        Enterprise.objects.filter(pk__in=ids).select_related("owner_unit").order_by("name_key"),
        [(_("Enterprise"), lambda e: e.name), (_("Last visit"), lambda e: e.last_visit_on),
         (_("Owning unit"), lambda e: e.owner_unit.name)],
        lambda e: reverse("enterprises:detail", args=[e.pk]),
    )  # fmt: skip


def _problem_records(user, scope):
    from investdesk.enterprises.models import VisitProblem

    return Records(
        VisitProblem.objects.filter(visit__in=_visits(user, scope))
        .select_related("visit__enterprise")
        .order_by("-visit__visited_on", "-id"),
        [(_("Date"), lambda p: p.visit.visited_on), (_("Enterprise"), lambda p: p.visit.enterprise.name),
         (_("Problem"), lambda p: p.description[:80])],
        lambda p: reverse("enterprises:visit", args=[p.visit_id]),
    )  # fmt: skip


def _case_records(where=None):
    def records(user, scope):
        qs = _cases(user, scope)
        if where is not None:
            qs = qs.filter(where)
        return Records(
            qs.select_related("enterprise", "lead_unit").order_by("-registered_at"),
            [(_("Number"), lambda c: c.number), (_("Registered"), lambda c: timezone.localtime(c.registered_at).date()),
             (_("Enterprise"), lambda c: c.enterprise.name),
             (pgettext_lazy("heading", "Title"), lambda c: c.title),
             (_("Status"), lambda c: c.get_status_display()),
             (_("Lead unit"), lambda c: c.lead_unit.name if c.lead_unit else "—")],
            lambda c: reverse("cases:detail", args=[c.pk]),
        )  # fmt: skip

    return records


def _stale_records(user, scope):
    return Records(
        _stale(user, scope).select_related("owner_unit", "liaison").order_by("last_visit_on", "name_key"),
        [(_("Enterprise"), lambda e: e.name), (_("Last visit"), lambda e: e.last_visit_on or "—"),
         (_("Liaison officer"), lambda e: e.liaison.name if e.liaison_id else "—"),
         (_("Owning unit"), lambda e: e.owner_unit.name)],
        lambda e: reverse("enterprises:detail", args=[e.pk]),
    )  # fmt: skip


def _median_first_response(cases) -> float | None:
    """Working days from registration to the handling unit's first action (accept, progress or resolve)."""
    from investdesk.cases.models import CaseEvent

    firsts = (
        CaseEvent.objects.filter(case__in=cases, action__in=["accept", "progress", "resolve"])
        .values("case_id", "case__registered_at")
        .annotate(registered=TruncDate("case__registered_at"), first=TruncDate(Min("at")))
    )
    # The local dates come from SQL; the calendar is walked once per distinct pair of dates.
    pairs = Counter((r["registered"], r["first"]) for r in firsts)
    days = [d for (registered, first), n in pairs.items() for d in [workdays_between(registered, first)] * n]
    return statistics.median(days) if days else None


def aftercare(user, scope: Scope) -> SectionResult:
    from investdesk.cases.models import Case
    from investdesk.cases.selectors import case_figures
    from investdesk.enterprises.models import VisitProblem

    visits = _visits(user, scope)
    cf = case_figures(user=user, start=scope.start, end=scope.end, unit=_unit(scope))
    cases = _cases(user, scope)
    resolved = Q(status__in=["resolved", "followed_up", "closed"])
    f = {
        "enterprises_visited": Figure("aftercare.enterprises_visited", _("Enterprises visited"),
                                      visits.values("enterprise").distinct().count(), measure="家",
                                      query=_("Distinct enterprises with a completed visit in the period."),
                                      records=_visited_records),
        "visits": Figure("aftercare.visits", _("Visits"), visits.count(), measure="次",
                         query=_("Completed visits dated in the period."), records=_visit_records),
        "problems": Figure("aftercare.problems", _("Problems found"),
                           VisitProblem.objects.filter(visit__in=visits).count(), measure="个",
                           query=_("Problems recorded in those visits."), records=_problem_records),
        "cases": Figure("aftercare.cases", _("Cases registered"), cf.total, measure="件",
                        query=_("Cases registered in the period."), records=_case_records()),
        "cases_resolved": Figure("aftercare.cases_resolved", _("Cases resolved"), cf.resolved, measure="件",
                                 query=_("Of those, resolved, followed up or closed."),
                                 records=_case_records(resolved)),
        "cases_open": Figure("aftercare.cases_open", _("Cases still open"), cf.total - cf.resolved, measure="件",
                             query=_("Of those, not yet resolved."), records=_case_records(~resolved)),
        "resolution_rate": Figure("aftercare.resolution_rate", _("Resolution rate"), cf.resolution_rate, "rate",
                                  query=_("Resolved over registered.")),
        "on_time_rate": Figure("aftercare.on_time_rate", _("On-time rate"), cf.on_time_rate, "rate",
                               query=_("Resolved by their deadline, over resolved.")),
        "satisfaction_rate": Figure("aftercare.satisfaction_rate", _("Satisfaction"), cf.satisfaction_rate, "rate",
                                    query=_("Satisfied or basically satisfied, over cases with a follow-up answer.")),
        "first_response_days": Figure("aftercare.first_response_days", _("Working days to first response (median)"),
                                      _median_first_response(cases), "days",
                                      query=_("From registration to the handling unit's first action.")),
        "resolution_days": Figure("aftercare.resolution_days", _("Working days to resolution (median)"),
                                  cf.median_workdays, "days", query=_("From registration to resolution.")),
        "stale": Figure("aftercare.stale", _("Enterprises not contacted in %(n)d days") % {"n": STALE_DAYS},
                        _stale(user, scope).count(), measure="家",
                        query=_("Operating enterprises without a visit in the %(n)d days before the end of the period.")
                        % {"n": STALE_DAYS}, records=_stale_records),
    }  # fmt: skip
    statuses = [(str(label), cf.by_status.get(key, 0)) for key, label in Case.Status.choices]
    charts = [{
        "title": str(_("Cases by status")),
        "option": {"tooltip": {}, "grid": {"left": 90, "right": 20, "top": 10, "bottom": 20},
                   "xAxis": {"type": "value", "minInterval": 1},
                   "yAxis": {"type": "category", "data": [s for s, _n in statuses]},
                   "series": [{"type": "bar", "data": [n for _s, n in statuses], "itemStyle": {"color": "#0d6efd"}}]},
    }]  # fmt: skip
    sentences = [
        f"{_period_text(scope)}，走访服务企业{{aftercare.enterprises_visited}}家、{{aftercare.visits}}次，"
        "发现堵点难点问题{aftercare.problems}个；受理企业诉求{aftercare.cases}件，已办结{aftercare.cases_resolved}件，"
        "办结率{aftercare.resolution_rate}，按期办结率{aftercare.on_time_rate}，企业满意率{aftercare.satisfaction_rate}。",
        "诉求受理至首次响应平均用时（中位数）{aftercare.first_response_days}个工作日，至办结{aftercare.resolution_days}个工作日；"
        f"超过{STALE_DAYS}天未联系的企业{{aftercare.stale}}家，需及时回访。",
    ]
    return SectionResult("aftercare", str(_("Aftercare and cases")), f, charts, sentences=sentences)


# --- pipeline -------------------------------------------------------------------------------------


def _projects(user, scope: Scope):
    from investdesk.projects.models import Project

    return _in_unit(policy.visible(user, Project.objects.all()), scope, "owner_unit")


def _project_records(where):
    def records(user, scope):
        qs = _projects(user, scope).filter(where(scope))
        return Records(
            qs.select_related("investor", "owner_unit").order_by("-signed_on", "expected_signing_on", "name"),
            [(_("Project name"), lambda p: p.name), (_("Investor"), lambda p: p.investor.name),
             (_("Stage"), lambda p: p.get_stage_display()), (_("Amount"), lambda p: p.amount_cny),
             (_("Signing date"), lambda p: p.signed_on or "—"), (_("Owning unit"), lambda p: p.owner_unit.name)],
            lambda p: reverse("projects:detail", args=[p.pk]),
        )  # fmt: skip

    return records


def _signed(scope):
    return Q(signed_on__gte=scope.start, signed_on__lte=scope.end)


def _started(scope):
    return Q(started_on__gte=scope.start, started_on__lte=scope.end)


def _closing(scope):
    from investdesk.projects.selectors import closing

    return closing(scope.end)


def pipeline(user, scope: Scope) -> SectionResult:
    from investdesk.projects.models import STAGE_ORDER, FundsInPlace, Stage
    from investdesk.projects.selectors import target_progress

    projects = _projects(user, scope)
    live = projects.filter(status__in=["ongoing", "delayed"])
    by_stage = dict(live.values_list("stage").annotate(n=Count("id")))
    signed = projects.filter(_signed(scope))
    signed_totals = signed.aggregate(n=Count("id"), amount=Sum("contract_amount_cny"))
    funds = FundsInPlace.objects.filter(project__in=projects, on__gte=scope.start, on__lte=scope.end).aggregate(
        total=Sum("amount_cny")
    )["total"] or Decimal(0)
    started = projects.filter(_started(scope))
    lags = [(s - g).days for g, s in started.exclude(signed_on__isnull=True).values_list("signed_on", "started_on")]
    f = {
        "live": Figure("pipeline.live", _("Projects being pursued"), sum(by_stage.values()), measure="个",
                       query=_("Ongoing or delayed projects, at any stage."),
                       records=_project_records(lambda s: Q(status__in=["ongoing", "delayed"]))),
        "negotiating": Figure("pipeline.negotiating", _("In negotiation or about to sign"),
                              by_stage.get(Stage.NEGOTIATING, 0) + by_stage.get(Stage.ABOUT_TO_SIGN, 0), measure="个",
                              query=_("Ongoing projects at 在谈 or 拟签约."),
                              records=_project_records(lambda s: Q(status__in=["ongoing", "delayed"],
                                                                   stage__in=["negotiating", "about_to_sign"]))),
        "signed": Figure("pipeline.signed", _("Projects signed"), signed_totals["n"], measure="个",
                         query=_("Signing date in the period."), records=_project_records(_signed)),
        "signed_amount": Figure("pipeline.signed_amount", _("Contract amount signed"),
                                signed_totals["amount"] or Decimal(0), "yuan",
                                query=_("Contract amounts of the projects signed in the period."),
                                records=_project_records(_signed)),
        "funds": Figure("pipeline.funds", _("Funds in place"), funds, "yuan",
                        query=_("Funds in place (到位资金) recorded in the period.")),
        "started": Figure("pipeline.started", _("Projects started"), started.count(), measure="个",
                          query=_("Start date in the period."), records=_project_records(_started)),
        "closing": Figure("pipeline.closing", _("Close to signing"), live.filter(_closing(scope)).count(),
                          measure="个",
                          query=_("Ongoing, at 拟签约 or expected to sign within 30 days of the period's end."),
                          records=_project_records(_closing)),
        "signing_to_start_days": Figure("pipeline.signing_to_start_days", _("Days from signing to start (median)"),
                                        statistics.median(lags) if lags else None, "days",
                                        query=_("Over the projects started in the period.")),
    }  # fmt: skip
    labels = dict(Stage.choices)
    charts = [{
        "title": str(_("Pipeline by stage")),
        "option": {"tooltip": {"trigger": "item"},
                   "series": [{"type": "funnel", "sort": "none", "left": "10%", "width": "80%",
                               "label": {"position": "inside", "formatter": "{b} {c}", "color": "#fff"},
                               "data": [{"name": str(labels[s]), "value": by_stage.get(s, 0)} for s in STAGE_ORDER]}]},
    }]  # fmt: skip
    rows = []
    for unit_row in (
        projects.values("owner_unit__name", "owner_unit__kind")
        .annotate(
            n=Count("id", filter=Q(status__in=["ongoing", "delayed"])),
            signed=Count("id", filter=_signed(scope)),
            amount=Sum("contract_amount_cny", filter=_signed(scope)),
        )
        .filter(owner_unit__kind__in=["office", "city"])
        .order_by("owner_unit__kind", "-n")
    ):
        rows.append([unit_row["owner_unit__name"], unit_row["n"], unit_row["signed"], unit_row["amount"] or 0])
    tables = [{"title": str(_("By office and city")), "kind": ["text", "count", "count", "yuan"],
               "headers": [str(_("Unit")), str(_("Being pursued")), str(_("Signed")), str(_("Contract amount"))],
               "rows": rows}]  # fmt: skip
    progress = target_progress(user=user, year=scope.end.year, as_of=scope.end)
    if scope.unit_id:
        unit = _unit(scope)
        progress = [p for p in progress if unit and p.unit.path.startswith(unit.path)]
    if progress:
        tables.append({
            "title": str(_("Targets %(year)s: signed amount against target (due by now)") % {"year": scope.end.year}),
            "kind": ["text", "yuan", "yuan", "rate", "rate"],
            "headers": [str(_("Unit")), str(_("Target")), str(_("Actual")), str(_("Achieved")), str(_("Due by now"))],
            "rows": [[p.unit.name, p.signed_amount.target, p.signed_amount.actual, p.signed_amount.rate, p.expected]
                     for p in progress],
        })  # fmt: skip
    sentences = [
        f"{_period_text(scope)}，新签约项目{{pipeline.signed}}个，合同金额{{pipeline.signed_amount}}，"
        "新开工项目{pipeline.started}个，到位资金{pipeline.funds}。",
        "目前在推项目{pipeline.live}个，其中在谈和拟签约项目{pipeline.negotiating}个，近期可签约项目{pipeline.closing}个，"
        "局领导和相关处室重点盯办，推动项目不降温。",
    ]
    if lags:
        sentences.append("项目从签约到开工平均用时（中位数）{pipeline.signing_to_start_days}天。")
    return SectionResult("pipeline", str(_("Investment pipeline")), f, charts, tables, sentences)


# --- emergency ------------------------------------------------------------------------------------


def emergency(user, scope: Scope) -> SectionResult:
    from investdesk.emergency import selectors as es
    from investdesk.emergency.models import Donation, Incident, Shipment

    incident = Incident.objects.filter(pk=scope.incident_id).first() if scope.incident_id else None
    # Within an incident, its figures are counted from its start up to the end of the period.
    start = incident.starts_on if incident else scope.start
    es_scope = es.Scope(incident=incident.pk if incident else None, unit=scope.unit_id, start=start, end=scope.end)
    totals = es.donation_totals(user=user, scope=es_scope)
    volunteer = es.volunteer_figures(user=user, scope=es_scope)
    shipments = es.shipment_counts(user=user, scope=es.Scope(incident=es_scope.incident, unit=scope.unit_id))
    critical = es.critical_counts(user=user, scope=es.Scope(incident=es_scope.incident, unit=scope.unit_id))

    def donations(where=None):
        def records(user_, scope_):
            qs = es.donations_for_user(user=user_, scope=es_scope)
            qs = qs.filter(where) if where is not None else qs
            return Records(
                qs,
                [(_("Pledged on"), lambda d: d.pledged_on), (_("Donor"), lambda d: d.donor_name),
                 (_("Gift"), lambda d: d.description), (_("Pledged"), lambda d: d.value),
                 (_("Received"), lambda d: d.received_value), (_("State"), lambda d: d.get_state_display())],
                lambda d: reverse("emergency:donation", args=[d.pk]),
            )  # fmt: skip

        return records

    def stints(user_, scope_):
        return Records(
            es.volunteer_for_user(user=user_, scope=es_scope),
            [(_("Date"), lambda s: s.on), (_("Person"), lambda s: s.person.name),
             (_("Community"), lambda s: f"{s.district}{s.community}"), (_("Tests"), lambda s: s.tests_assisted),
             (_("Records"), lambda s: s.records_entered), (_("Households"), lambda s: s.households_surveyed)],
        )  # fmt: skip

    def not_producing(user_, scope_):
        return Records(
            es.critical_for_user(user=user_, scope=es_scope, not_normal=True),
            [(_("Enterprise"), lambda c: c.enterprise.name), (_("Production"), lambda c: c.get_status_display()),
             (_("Reason"), lambda c: c.reason), (_("As of"), lambda c: c.status_on)],
            lambda c: reverse("emergency:critical", args=[c.pk]),
        )  # fmt: skip

    f = {
        "donations_pledged": Figure("emergency.donations_pledged", _("Donations pledged (money and goods)"),
                                    totals.pledged, "yuan", query=_("Money pledged plus the estimated value of goods."),
                                    records=donations()),
        "donations_received": Figure("emergency.donations_received", _("Donations received"), totals.received, "yuan",
                                     query=_("What has arrived of those pledges."), records=donations()),
        "donations_money": Figure("emergency.donations_money", _("Money pledged"), totals.money_pledged, "yuan",
                                  records=donations(Q(kind=Donation.Kind.MONEY))),
        "donations_goods": Figure("emergency.donations_goods", _("Goods pledged (estimated value)"),
                                  totals.goods_pledged, "yuan", records=donations(Q(kind=Donation.Kind.GOODS))),
        "donors": Figure("emergency.donors", _("Gifts"), totals.count, measure="笔", records=donations()),
        "person_times": Figure("emergency.person_times", _("Person-times of volunteer service"),
                               volunteer.person_times, measure="人次", query=_("One per person, day and community."),
                               records=stints),
        "communities": Figure("emergency.communities", _("Communities served"), volunteer.communities, measure="个",
                              query=_("Distinct (district, community) pairs."), records=stints),
        "tests_assisted": Figure("emergency.tests_assisted", _("Testing person-times assisted"),
                                 volunteer.tests_assisted, measure="人次", records=stints),
        "records_entered": Figure("emergency.records_entered", _("Records entered"), volunteer.records_entered,
                                  measure="条", records=stints),
        "households_surveyed": Figure("emergency.households_surveyed", _("Households surveyed"),
                                      volunteer.households_surveyed, measure="户", records=stints),
        "shipments_delivered": Figure("emergency.shipments_delivered", _("Shipments delivered"),
                                      shipments[Shipment.State.DELIVERED], measure="批"),
        "shipments_blocked": Figure("emergency.shipments_blocked", _("Shipments blocked"),
                                    shipments[Shipment.State.BLOCKED], measure="批"),
        "critical_not_normal": Figure("emergency.critical_not_normal", _("Critical enterprises not producing normally"),
                                      critical["partly"] + critical["stopped"], measure="家", records=not_producing),
    }  # fmt: skip
    charts = []
    if totals.count:
        charts.append({
            "title": str(_("Donations by donor type")),
            "option": {"tooltip": {"trigger": "item"},
                       "series": [{"type": "pie", "radius": ["35%", "65%"],
                                   "data": [{"name": str(label), "value": float(p)}
                                            for _k, label, _n, p, _r in totals.by_donor_kind if p]}]},
        })  # fmt: skip
    if sum(shipments.values()):
        labels = dict(Shipment.State.choices)
        charts.append({
            "title": str(_("Shipments by state")),
            "option": {"tooltip": {}, "xAxis": {"type": "category", "data": [str(labels[k]) for k in shipments]},
                       "yAxis": {"type": "value", "minInterval": 1},
                       "series": [{"type": "bar", "data": list(shipments.values()),
                                   "itemStyle": {"color": "#dc3545"}}]},
        })  # fmt: skip
    sentences = []
    since = f"{incident.name}发生以来" if incident else _period_text(scope)
    if volunteer.person_times:
        sentences.append(
            f"截至{_day(scope.end)}，共开展志愿服务{{emergency.person_times}}人次，服务社区{{emergency.communities}}个，"
            "协助完成核酸检测{emergency.tests_assisted}人次，协助录入信息{emergency.records_entered}条，"
            "入户调查{emergency.households_surveyed}户。"
        )
    if totals.count:
        lead = "据不完全统计，" if totals.incomplete else ""
        sentences.append(
            f"{lead}{since}，动员在川投资企业和商协会捐款捐物{{emergency.donations_pledged}}，"
            "其中捐款{emergency.donations_money}、捐物折合{emergency.donations_goods}，已到账到货{emergency.donations_received}。"
        )
    if sum(shipments.values()):
        sentences.append(
            "协调救灾物资运输，已送达{emergency.shipments_delivered}批，"
            "受阻{emergency.shipments_blocked}批已转交通运输部门协调解决。"
        )
    if sum(critical.values()):
        sentences.append("保供重点企业中未正常生产的{emergency.critical_not_normal}家，正逐户协调解决生产经营困难。")
    empty = not (volunteer.person_times or totals.count or sum(shipments.values()) or sum(critical.values()))
    return SectionResult(
        "emergency",
        str(_("Emergency response")) + (f"：{incident.name}" if incident else ""),
        f,
        charts,
        sentences=sentences,
        empty=empty,
    )


# --- outreach -------------------------------------------------------------------------------------


def _sent_messages(user, scope: Scope):
    from investdesk.outreach.models import Campaign, Message

    campaigns = _in_unit(policy.visible(user, Campaign.objects.filter(audience="enterprises")), scope, "owner_unit")
    return Message.objects.filter(
        campaign__in=campaigns.values("pk"), state=Message.State.SENT, **days_filter("sent_at", scope.start, scope.end)
    )


def _responses(user, scope: Scope):
    from investdesk.outreach.models import Campaign, Response

    campaigns = _in_unit(policy.visible(user, Campaign.objects.all()), scope, "owner_unit")
    return Response.objects.filter(
        campaign__in=campaigns.values("pk"), received_on__gte=scope.start, received_on__lte=scope.end
    )


def outreach(user, scope: Scope) -> SectionResult:
    from investdesk.outreach.models import Message

    sent = _sent_messages(user, scope)
    by_channel = dict(sent.order_by().values_list("channel").annotate(n=Count("id")))
    responses = _responses(user, scope)

    def message_records(channel=None):
        def records(user_, scope_):
            qs = _sent_messages(user_, scope_).select_related("campaign", "enterprise")
            qs = qs.filter(channel=channel) if channel else qs
            return Records(
                qs.order_by("-sent_at"),
                [(_("Enterprise"), lambda m: m.enterprise.name if m.enterprise else "—"), (_("Name"), lambda m: m.name),
                 (_("Channel"), lambda m: m.get_channel_display()), (_("Campaign"), lambda m: m.campaign.name),
                 (_("Sent"), lambda m: timezone.localtime(m.sent_at).date())],
                lambda m: reverse("outreach:campaign", args=[m.campaign_id]),
            )  # fmt: skip

        return records

    def response_records(where=None):
        def records(user_, scope_):
            qs = _responses(user_, scope_).select_related("enterprise", "campaign")
            qs = qs.filter(where) if where is not None else qs
            return Records(
                qs,
                [(_("Received on"), lambda r: r.received_on), (_("Enterprise"), lambda r: r.enterprise.name),
                 (_("Who answered"), lambda r: r.who), (_("Sentiment"), lambda r: r.get_sentiment_display()),
                 (_("Summary"), lambda r: r.summary[:80])],
                lambda r: reverse("outreach:campaign", args=[r.campaign_id]),
            )  # fmt: skip

        return records

    f = {
        "enterprises_reached": Figure("outreach.enterprises_reached", _("Enterprises reached"),
                                      sent.exclude(enterprise=None).values("enterprise").distinct().count(),
                                      measure="家",
                                      query=_("Distinct enterprises with a letter delivered in the period.")),
        "messages": Figure("outreach.messages", _("Letters delivered"), sum(by_channel.values()), measure="封",
                           query=_("Messages delivered (sent, or the call reached) in the period."),
                           records=message_records()),
        "responses": Figure("outreach.responses", _("Responses"), responses.count(), measure="条",
                            query=_("Answers recorded, by the day they were received."), records=response_records()),
        "positive": Figure("outreach.positive", _("Positive responses"), responses.filter(sentiment="positive").count(),
                           measure="条", records=response_records(Q(sentiment="positive"))),
    }  # fmt: skip
    for key, label in Message.Channel.choices:
        if key != "inapp":
            f[f"by_{key}"] = Figure(f"outreach.by_{key}", label, by_channel.get(key, 0), measure="封",
                                    records=message_records(key))  # fmt: skip
    labels = dict(Message.Channel.choices)
    charts = []
    if by_channel:
        charts.append({
            "title": str(_("Letters delivered by channel")),
            "option": {"tooltip": {"trigger": "item"},
                       "series": [{"type": "pie", "radius": ["35%", "65%"],
                                   "data": [{"name": str(labels.get(k, k)), "value": n}
                                            for k, n in by_channel.items()]}]},
        })  # fmt: skip
    sentences = []
    if by_channel:
        sentences.append(
            f"{_period_text(scope)}，一对一向{{outreach.enterprises_reached}}家企业送达信函{{outreach.messages}}封"
            "（邮件{outreach.by_email}封、企业微信{outreach.by_wecom}条、短信{outreach.by_sms}条、电话{outreach.by_phone}通），"
            "收到企业回复{outreach.responses}条，其中积极回应{outreach.positive}条。"
        )
    return SectionResult("outreach", str(_("Outreach")), f, charts, sentences=sentences, empty=not f["messages"].value
                         and not f["responses"].value)  # fmt: skip


register(Section("outreach", _("Outreach"), outreach, order=30, depends_on=("outreach",)))
register(Section("aftercare", _("Aftercare and cases"), aftercare, order=10, depends_on=("enterprises", "cases")))
register(Section("pipeline", _("Investment pipeline"), pipeline, order=20, depends_on=("projects",)))
register(Section("emergency", _("Emergency response"), emergency, order=40, depends_on=("emergency",)))
