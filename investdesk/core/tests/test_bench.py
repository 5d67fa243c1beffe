"""The benchmark command runs end to end on generated data and leaves the database as it was."""

import io
import json

import pytest
from django.core.management import call_command

from investdesk.core.generate import Generator, Scale
from investdesk.core.models import ApiToken, AuditEntry, User
from investdesk.enterprises.models import Enterprise
from investdesk.outreach.models import Campaign, Message

TINY = Scale(
    enterprises=60, contacts=120, visits=60, cases=30, projects=30, campaigns=3, messages=60, stints=20,
    donations=10, staff=30,
)  # fmt: skip


@pytest.mark.django_db
def test_bench_measures_every_screen_and_job_and_rolls_the_jobs_back(tmp_path):
    Generator(TINY, seed=5, processes=0, log=lambda line: None).run()
    before = (Enterprise.objects.count(), Campaign.objects.count(), Message.objects.count(), User.objects.count(),
              ApiToken.objects.count(), AuditEntry.objects.filter(action="create").count())  # fmt: skip
    out = tmp_path / "bench.json"
    table = tmp_path / "bench.md"
    call_command(
        "bench", "--scale", "tiny", "--repeat", "2", "--import-rows", "15", "--campaign-recipients", "20",
        "--smtp-messages", "12", "--json", str(out), "--markdown", str(table), stdout=io.StringIO(),
    )  # fmt: skip
    data = json.loads(out.read_text())
    screens = {s["name"]: s for s in data["screens"]}
    assert len(screens) == 15
    for screen in screens.values():
        assert screen["page"]["n"] == 2 and screen["page"]["p50_ms"] > 0 and screen["queries"] > 0
        assert screen["raw_sql"]["p50_ms"] >= 0 and screen["vs_raw"] > 0
    assert screens["企业列表（全省）enterprise list, province"]["admin"]["p50_ms"] > 0
    jobs = {j["name"]: j for j in data["jobs"]}
    assert jobs["导入 xlsx import (preview + apply)"]["items"] == 15
    assert "'new': 15" in jobs["导入 xlsx import (preview + apply)"]["note"]
    assert "'update': 15" in jobs["再次导入 xlsx re-import, every row an update"]["note"]
    assert jobs["群发准备 campaign preparation (submit + approve)"]["items"] == 20
    assert jobs["SMTP 投递 delivery (unthrottled)"]["items"] == 12  # all reached the local SMTP server
    assert "| 工作台 dashboard |" in table.read_text()
    after = (Enterprise.objects.count(), Campaign.objects.count(), Message.objects.count(), User.objects.count(),
             ApiToken.objects.count(), AuditEntry.objects.filter(action="create").count())  # fmt: skip
    assert after == before


def test_the_served_app_keeps_start_up_out_of_full_collections():
    """investdesk/wsgi.py freezes what start-up made (docs/performance.md, "Fix: garbage collection")."""
    import gc
    import importlib

    import investdesk.wsgi

    try:
        gc.unfreeze()
        importlib.reload(investdesk.wsgi)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
