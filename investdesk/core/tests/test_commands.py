import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from investdesk.core.models import Role, Unit, User


def test_demo_loads_the_agency_of_the_brief_and_is_idempotent(db):
    call_command("demo", "--quiet-logins")
    call_command("demo", "--quiet-logins")
    from investdesk.emergency.tests.test_demo import check_emergency_story

    check_emergency_story()
    from investdesk.reports.tests.test_demo import check_bulletin_story

    check_bulletin_story()
    from investdesk.outreach.tests.test_demo import check_outreach_story

    check_outreach_story()
    assert Unit.objects.filter(kind=Unit.Kind.CITY).count() == 21
    assert set(Unit.objects.filter(kind=Unit.Kind.OFFICE).values_list("code", flat=True)) == {
        "shanghai",
        "guangzhou",
        "chongqing",
        "shenyang",
        "xiamen",
        "beijing",
    }
    assert set(Unit.objects.filter(kind=Unit.Kind.PARTNER).values_list("code", flat=True)) == {
        "jingxin",
        "jiaotong",
        "dashuju",
        "shangwu",
    }
    for username in ["admin", "leader", "dispatcher", "chengdu", "shanghai", "jingxin"]:
        user = User.objects.get(username=username)
        assert user.check_password("Sichuan@2022") and not user.must_change_password
    assert User.objects.get(username="leader").role == Role.LEADER
    assert User.objects.get(username="jingxin").unit.code == "jingxin"
    # The figures of the brief: a letter to 1,200+ enterprises, 130+ visited, 150+ problems and cases.
    from investdesk.cases.models import Case
    from investdesk.enterprises.models import Enterprise, ServiceAction, Visit, VisitProblem

    assert Enterprise.objects.count() > 1200
    assert Enterprise.objects.filter(name="比亚迪股份有限公司", is_fortune500=True).exists()
    jinqianqi = ServiceAction.objects.get(name="“进千企”服务活动")
    assert Visit.objects.filter(action=jinqianqi).values("enterprise").distinct().count() > 130
    assert VisitProblem.objects.count() > 150
    assert Case.objects.count() > 150 and Case.objects.values("enterprise").distinct().count() > 130
    assert set(Case.objects.values_list("status", flat=True)) == set(Case.Status.values)
    assert Case.objects.filter(reopen_count__gt=0).exists() and Case.objects.filter(is_supervised=True).exists()
    assert Case.objects.filter(assignments__unit__code="jingxin").exists()
    assert Case.objects.filter(thank_you_letters__isnull=False).exists()
    # The offices' pipelines of September 2022 and the yearly targets.
    from investdesk.projects.models import Project, Target

    assert Project.objects.filter(source_unit__code="shanghai", stage="intention").count() == 27
    assert Project.objects.filter(source_unit__code="guangzhou").count() == 41
    assert Project.objects.filter(source_unit__code="chongqing").count() == 20
    assert Project.objects.filter(stage="signed", contract_amount_cny__isnull=False).exists()
    assert Target.objects.filter(year=2022, unit__code="chengdu").exists()
    from investdesk.projects.models import PlanTarget, PromotionEvent

    assert PromotionEvent.objects.filter(place="厦门", status="held").exists()
    assert PlanTarget.objects.filter(status="project_created", project__isnull=False).count() == 4


def test_no_user_exists_after_migrate(db):
    assert not User.objects.exists()


def test_createadmin_enforces_the_password_policy(db, monkeypatch):
    monkeypatch.setenv("INVESTDESK_ADMIN_PASSWORD", "password")
    with pytest.raises(CommandError, match="password"):
        call_command("createadmin", "--username", "root")
    monkeypatch.setenv("INVESTDESK_ADMIN_PASSWORD", "Rong-Cheng-2022!")
    call_command("createadmin", "--username", "root")
    root = User.objects.get(username="root")
    assert root.role == Role.ADMIN and root.unit.kind == Unit.Kind.BUREAU


def test_check_deploy_is_clean_with_debug_off(tmp_path, holidays_known):
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "k" * 30 + "-Zx9#q" + "j" * 30,
        "VAR_DIR": str(tmp_path),
        # Keys of their own, as production must have (each missing one is a deploy warning).
        "PERSONAL_DATA_KEYS": "k1:00112233445566778899aabbccddeeff",
        "PERSONAL_DATA_INDEX_KEY": "ffeeddccbbaa99887766554433221100",
        "AUDIT_HMAC_KEY": "a" * 20 + "-audit-chain-" + "b" * 20,
        # This year's and next year's holidays known, as a deployment keeps them (lib/workdays.py).
        "HOLIDAYS_FILE": str(holidays_known),
    }
    for name in ("USE_HTTPS", "SECURE_SSL_REDIRECT", "DATABASE_URL"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "-m", "investdesk.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = {**os.environ, "DEBUG": "0", "VAR_DIR": str(tmp_path)}
    env.pop("SECRET_KEY", None)
    env.pop("SECRET_KEY_FILE", None)
    result = subprocess.run(
        [sys.executable, "-m", "investdesk.cli", "check"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
