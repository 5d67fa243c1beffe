"""Dashboard figures are computed once and shown many times (core/snapshots.py): a fresh snapshot
is shown as it is, a stale one is shown while one background refresh recomputes it, a very old one
is recomputed in the request; snapshots never cross permission scopes or languages."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from investdesk.core.models import Role, Snapshot
from investdesk.core.tasks import snapshot_refresh, snapshots_housekeeping
from investdesk.enterprises import services as enterprise_services
from investdesk.reports import selectors
from investdesk.reports.figures import Scope

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2022, 9, 20, 10, tzinfo=TZ)
SCOPE = Scope(start=datetime.date(2022, 9, 1), end=datetime.date(2022, 9, 20))


def _visit(actor, enterprise, day=10):
    enterprise_services.visit_create(
        actor=actor, enterprise=enterprise, visited_on=datetime.date(2022, 9, day), mode="online", staff=[actor],
        status="completed",
    )  # fmt: skip


def _visits(user, **kwargs) -> int:
    [aftercare] = selectors.dashboard(user=user, scope=SCOPE, keys=["aftercare"], **kwargs)
    return aftercare.figures["visits"].value


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def test_a_fresh_snapshot_is_shown_as_it_is_and_refresh_recomputes(clock, settings, owner, chengdu_enterprise):
    settings.FIGURES_MAX_AGE = 300
    _visit(owner, chengdu_enterprise)
    assert _visits(owner) == 1
    _visit(owner, chengdu_enterprise, day=11)
    clock.shift(60)
    assert _visits(owner) == 1  # a minute old: shown as it is
    assert _visits(owner, max_age=0) == 2  # 刷新
    assert _visits(owner) == 2  # and the snapshot was replaced
    assert Snapshot.objects.count() == 1


def test_a_stale_snapshot_is_shown_while_one_refresh_recomputes_it(
    clock, settings, owner, colleague, chengdu_enterprise, django_capture_on_commit_callbacks
):
    settings.FIGURES_MAX_AGE, settings.FIGURES_MAX_STALE = 300, 3600
    _visit(owner, chengdu_enterprise)
    assert _visits(owner) == 1
    _visit(owner, chengdu_enterprise, day=11)
    clock.shift(600)
    with django_capture_on_commit_callbacks() as callbacks:
        assert _visits(owner) == 1  # stale, still shown at once…
        assert _visits(colleague) == 1  # …to everyone with the same view, and refreshed once
    assert len(callbacks) == 1
    snapshot = Snapshot.objects.get()
    assert snapshot.refresh_queued_at is not None
    assert snapshot_refresh.call(snapshot.pk) == "refreshed"  # what the worker does
    snapshot.refresh_from_db()
    assert snapshot.refresh_queued_at is None and snapshot.computed_at == NOW + datetime.timedelta(seconds=600)
    assert _visits(colleague) == 2


def test_a_refresh_claim_is_taken_again_when_the_worker_never_ran_it(
    clock, settings, owner, chengdu_enterprise, django_capture_on_commit_callbacks
):
    settings.FIGURES_MAX_AGE, settings.FIGURES_MAX_STALE = 300, 3600
    _visits(owner)
    clock.shift(400)
    with django_capture_on_commit_callbacks() as callbacks:
        _visits(owner)
        clock.shift(100)
        _visits(owner)  # claimed 100 s ago: the worker may still be on it
        clock.shift(300)
        _visits(owner)  # claimed 400 s ago: claimed again
    assert len(callbacks) == 2


def test_a_snapshot_older_than_max_stale_is_recomputed_in_the_request(clock, settings, owner, chengdu_enterprise):
    settings.FIGURES_MAX_AGE, settings.FIGURES_MAX_STALE = 300, 3600
    assert _visits(owner) == 0
    _visit(owner, chengdu_enterprise)
    clock.shift(3601)
    assert _visits(owner) == 1


def test_snapshots_never_cross_permission_scopes(clock, owner, colleague, outsider, leader, dispatcher,
                                                 chengdu_enterprise, mianyang_enterprise):  # fmt: skip
    _visit(owner, chengdu_enterprise)
    _visit(outsider, mianyang_enterprise)
    assert _visits(owner) == 1
    assert _visits(colleague) == 1  # same unit: the same snapshot
    assert _visits(outsider) == 1  # Mianyang's own, not Chengdu's
    assert _visits(leader) == 2
    assert _visits(dispatcher) == 2  # visits are open records
    keys = sorted(Snapshot.objects.values_list("key", flat=True))
    assert [k.split("|")[1] for k in keys] == sorted(
        ["all", f"open:{dispatcher.unit_id}", f"unit:{owner.unit_id}", f"unit:{outsider.unit_id}"]
    )


def test_the_refresh_drops_a_snapshot_whose_person_changed_scope(clock, settings, owner, chengdu_enterprise):
    settings.FIGURES_MAX_AGE = 300
    _visits(owner)
    owner.role = Role.LEADER
    owner.save()
    snapshot = Snapshot.objects.get()
    assert snapshot_refresh.call(snapshot.pk) == "dropped"
    assert not Snapshot.objects.exists()
    assert snapshot_refresh.call(snapshot.pk) == "gone"


def test_each_language_has_its_own_snapshot(clock, owner):
    with translation.override("en"):
        [en] = selectors.dashboard(user=owner, scope=SCOPE, keys=["aftercare"])
    with translation.override("zh-hans"):
        [zh] = selectors.dashboard(user=owner, scope=SCOPE, keys=["aftercare"])
        [again] = selectors.dashboard(user=owner, scope=SCOPE, keys=["aftercare"])
    assert en.title == "Aftercare and cases" and zh.title == again.title == "企业服务和诉求办理"
    assert Snapshot.objects.count() == 2


def test_a_warm_dashboard_is_one_query_for_its_figures(clock, leader):
    selectors.dashboard(user=leader, scope=SCOPE)
    with CaptureQueriesContext(connection) as queries:
        results = selectors.dashboard(user=leader, scope=SCOPE)
    assert len(queries) == 1 and len(results) == 4


def test_the_page_says_when_the_figures_were_computed_and_refreshes(clock, client, owner, chengdu_enterprise):
    client.force_login(owner)
    client.get("/reports/?period=month&refresh=1")
    _visit(owner, chengdu_enterprise)
    clock.shift(120)
    page = client.get("/reports/?period=month").content.decode()
    assert ">数据更新于 10:00<" in page and "?period=month&amp;refresh=1" in page
    refreshed = client.get("/reports/?period=month&refresh=1").content.decode()
    assert ">数据更新于 10:02<" in refreshed


def test_the_stats_api_says_when_and_can_ask_for_fresh_figures(clock, client, owner, chengdu_enterprise):
    from investdesk.core.services import api_token_create

    _token, secret = api_token_create(user=owner, name="t", days_valid=1)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {secret}"}
    url = "/api/v1/stats/aftercare?from=2022-09-01&to=2022-09-20"
    first = client.get(url, secure=True, **auth).json()
    _visit(owner, chengdu_enterprise)
    clock.shift(30)
    again = client.get(url, secure=True, **auth).json()
    fresh = client.get(url + "&fresh=true", secure=True, **auth).json()
    assert first["figures"]["visits"]["value"] == again["figures"]["visits"]["value"] == 0
    assert fresh["figures"]["visits"]["value"] == 1
    assert again["computed_at"] == first["computed_at"] != fresh["computed_at"]


def test_housekeeping_forgets_snapshots_too_old_to_show(clock, settings, owner):
    settings.FIGURES_MAX_STALE = 3600
    _visits(owner)
    clock.shift(1800)
    selectors.dashboard(user=owner, scope=Scope(start=SCOPE.start, end=SCOPE.end, unit_id=None), keys=["pipeline"])
    clock.shift(1900)
    assert snapshots_housekeeping.call() == "removed 1 figures snapshots"
    assert list(Snapshot.objects.values_list("name", flat=True)) == ["section.pipeline"]


def test_a_write_to_what_a_section_counts_makes_it_stale_and_one_refresh_follows(
    clock, settings, owner, chengdu_enterprise, django_capture_on_commit_callbacks
):
    settings.FIGURES_MAX_AGE = 300
    assert _visits(owner) == 0
    selectors.dashboard(user=owner, scope=SCOPE, keys=["emergency"])
    _visit(owner, chengdu_enterprise)  # an audited write to enterprises: aftercare counts it
    assert list(Snapshot.objects.filter(stale=True).values_list("name", flat=True)) == ["section.aftercare"]
    with django_capture_on_commit_callbacks() as callbacks:
        assert _visits(owner) == 0  # shown once more, at once…
    assert len(callbacks) == 1  # …while the worker recomputes it
    snapshot_refresh.call(Snapshot.objects.get(name="section.aftercare").pk)
    assert not Snapshot.objects.filter(stale=True).exists()
    assert _visits(owner) == 1


def test_a_project_write_drops_the_targets_page_so_the_next_view_counts_it(clock, owner, leader, units,
                                                                          chengdu_enterprise):  # fmt: skip
    from investdesk.projects import selectors as project_selectors
    from investdesk.projects import services as project_services

    as_of = datetime.date(2022, 9, 20)
    page = project_selectors.targets_page(user=leader, year=2022, as_of=as_of)
    assert page.rows == [] and Snapshot.objects.filter(name="projects.targets").exists()
    project_services.target_set(actor=leader, unit=units.chengdu, year=2022, signed_projects=3)
    assert not Snapshot.objects.filter(name="projects.targets").exists()
    [row] = project_selectors.targets_page(user=leader, year=2022, as_of=as_of).rows
    assert row.unit == units.chengdu and row.signed_projects.target == 3


def test_reading_records_does_not_make_snapshots_stale(clock, owner, chengdu_enterprise):
    from investdesk.core.audit import audit_log
    from investdesk.core.models import AuditEntry

    _visits(owner)
    audit_log(actor=owner, action=AuditEntry.Action.VIEW_PERSONAL, target=chengdu_enterprise)  # a read, audited
    audit_log(actor=owner, action=AuditEntry.Action.EXPORT, target=chengdu_enterprise)
    assert not Snapshot.objects.filter(stale=True).exists()
    audit_log(actor=owner, action=AuditEntry.Action.UPDATE, target=chengdu_enterprise)
    assert Snapshot.objects.filter(stale=True).exists()
