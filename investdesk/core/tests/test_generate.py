"""Synthetic data (core/generate.py) keeps the invariants the services keep, and the key screens'
query counts do not grow with the data (the benchmark's screens, core/bench.py)."""

import datetime
import logging
from collections import Counter

import pytest
from django.db import connection
from django.db.models import F, Max
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from investdesk.cases.models import Assignment, Case, CaseEvent
from investdesk.core.audit import verify_chain
from investdesk.core.bench import Bench
from investdesk.core.fields import blind_index_q
from investdesk.core.generate import Generator, Scale, copy_text
from investdesk.core.models import AuditEntry, RecordShare
from investdesk.emergency.models import Donation, VolunteerService
from investdesk.enterprises import services as enterprise_services
from investdesk.enterprises.models import Contact, Enterprise, Industry, Visit
from investdesk.lib.identifiers import validate_uscc
from investdesk.outreach.models import Message
from investdesk.projects.models import STAGE_ORDER, Project, ProjectEvent
from investdesk.projects.services import missing_for

TINY = Scale(
    enterprises=120, contacts=240, visits=150, cases=60, projects=50, campaigns=6, messages=200, stints=60,
    donations=20, staff=40,
)  # fmt: skip
CASE_FLOW = ["registered", "assigned", "in_progress", "resolved", "followed_up", "closed"]


@pytest.mark.django_db
def test_generated_data_keeps_every_invariant():
    # Chunks of 50 enterprises, generated in a worker process: the parallel path, its id blocks
    # and the COPY text (on PostgreSQL) are checked too. One generation, every check (each ~5 s).
    generated = Generator(TINY, seed=7, processes=1, chunk_size=50, log=lambda line: None).run()
    for check in CHECKS:
        check(generated)


def _check_the_counts_are_what_was_asked_for_in_proportion(generated):
    assert generated["enterprise"] == Enterprise.objects.count() == 120
    assert Contact.objects.count() == generated["contact"] >= 120  # at least one each
    assert VolunteerService.objects.count() == 60
    assert 0 < Case.objects.count() == generated["case"]
    assert 0 < Project.objects.count() == generated["project"]
    assert 0 < Message.objects.count() == generated["message"]
    assert Donation.objects.count() == generated["donation"]
    # Enterprises are filed under the seeded industries, each with its Chinese name.
    assert not Industry.objects.filter(name=F("code")).exists()
    assert Enterprise.objects.filter(industry__isnull=True).count() == 0


def _check_enterprises_are_searchable_and_valid_as_the_services_make_them(generated):
    for enterprise in Enterprise.objects.prefetch_related("contacts"):
        validate_uscc(enterprise.uscc)
        contacts = [(c.name, c.phone) for c in enterprise.contacts.all()]
        assert enterprise.search_text == enterprise_services.search_text_for(enterprise, contacts)
        assert enterprise.name_key == enterprise_services.name_key(enterprise.name)
        last = enterprise.visits.filter(status=Visit.Status.COMPLETED).aggregate(m=Max("visited_on"))["m"]
        assert enterprise.last_visit_on == last


def _check_mobiles_are_encrypted_with_their_blind_index(generated):
    contact = Contact.objects.order_by("id").first()
    with connection.cursor() as cursor:
        cursor.execute("SELECT mobile FROM enterprises_contact WHERE id = %s", [contact.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("sm4:") and contact.mobile not in stored
    assert len(contact.mobile) == 11
    assert list(Contact.objects.filter(blind_index_q(Contact, "mobile", contact.mobile))) == [contact]


def _check_cases_carry_the_trail_of_their_status(generated):
    numbers = list(Case.objects.values_list("number", flat=True))
    assert len(set(numbers)) == len(numbers) and all(n.startswith("SQ") and len(n) == 11 for n in numbers)
    for case in Case.objects.prefetch_related("events", "assignments"):
        trail = [(e.from_status, e.to_status) for e in case.events.order_by("at", "id")]
        step = CASE_FLOW.index(case.status)
        assert trail == list(zip(["", *CASE_FLOW[:step]], CASE_FLOW[: step + 1], strict=True))
        if step >= 1:
            [lead] = [a for a in case.assignments.all() if a.role == Assignment.Role.LEAD and a.is_active]
            assert lead.unit_id == case.lead_unit_id and case.due_on and case.due_on.weekday() < 5
            if case.lead_unit_id != case.owner_unit_id:  # the lead unit sees the case through a share
                assert RecordShare.objects.filter(object_id=case.pk, unit_id=case.lead_unit_id).exists()
        if case.resolved_at:
            assert case.resolved_on_time == (timezone.localtime(case.resolved_at).date() <= case.due_on)
    assert CaseEvent.objects.count() >= Case.objects.count()


def _check_projects_have_what_their_stage_needs_and_a_history_to_it(generated):
    for project in Project.objects.prefetch_related("events"):
        assert missing_for(project, project.stage) == []
        stages = [e.to_value for e in project.events.all() if e.kind in ("created", "stage")]
        assert stages == STAGE_ORDER[: STAGE_ORDER.index(project.stage) + 1]
        if project.amount is not None:
            assert project.amount_cny == (project.amount * project.fx_rate).quantize(project.amount_cny)
    assert ProjectEvent.objects.filter(kind="stage").exists()


def _check_at_most_one_message_per_campaign_and_contact_and_unique_keys(generated):
    pairs = Counter(Message.objects.values_list("campaign_id", "contact_id"))
    assert max(pairs.values()) == 1
    assert Message.objects.values("key").distinct().count() == Message.objects.count()
    message = Message.objects.first()
    assert message.address.endswith("@example.cn")


def _check_the_generation_is_one_entry_of_an_intact_audit_chain(generated):
    entry = AuditEntry.objects.get(note__startswith="synthetic data")
    assert entry.changes["enterprise"] == 120
    assert verify_chain().ok


def test_the_same_seed_gives_the_same_rows():
    generator = Generator(TINY, seed=3, processes=0, log=lambda line: None)
    ctx = _context_stub()
    first = generator.chunk_rows(generator.chunk_context(ctx, 2), 30)
    again = generator.chunk_rows(generator.chunk_context(ctx, 2), 30)
    assert first["enterprise"] == again["enterprise"] and first["case"] == again["case"]
    other = Generator(TINY, seed=4, processes=0, log=lambda line: None)
    assert other.chunk_rows(other.chunk_context(ctx, 2), 30)["enterprise"] != first["enterprise"]


def test_copy_text_escapes_what_would_break_a_row():
    assert copy_text(None) == "\\N" and copy_text(True) == "t"
    assert copy_text("a\tb\nc\\d") == "a\\tb\\nc\\\\d"
    assert copy_text({"k": "值"}) == '{"k": "值"}'
    assert copy_text(datetime.date(2026, 1, 2)) == "2026-01-02"


def _check_generate_refuses_a_database_with_enterprises(generated):
    with pytest.raises(RuntimeError, match="without enterprises"):
        Generator(TINY, seed=7, log=lambda line: None).run()


@pytest.mark.django_db
def test_no_screen_runs_more_queries_when_the_data_grows(settings):
    """Every screen of the benchmark, before and after the data grows fourfold: same query count."""
    logging.getLogger("django.request").setLevel(logging.ERROR)
    Generator(TINY, seed=1, processes=0, log=lambda line: None).run()
    before = _query_counts()
    bigger = Scale(**{**TINY.__dict__, "enterprises": 360, "contacts": 720, "cases": 180, "messages": 600})
    Generator(bigger, seed=2, processes=0, append=True, log=lambda line: None).run()
    after = _query_counts()
    assert Enterprise.objects.count() == 480
    assert after == before


def _query_counts() -> dict[str, int]:
    bench = Bench(repeat=1, log=lambda line: None)
    counts = {}
    for name, url, who, _admin in bench.plan():
        client, headers = bench.client(who)
        client.get(url, secure=True, **headers)  # the session and caches warm
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, secure=True, **headers)
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = len(captured.captured_queries)
    return counts


def _context_stub():
    """A context for chunk_rows without a database (ids, units and people as plain values)."""
    import random
    from types import SimpleNamespace

    from investdesk.core.generate import Context
    from investdesk.lib.regions import SICHUAN_CITIES

    units = {code: SimpleNamespace(pk=i + 1, code=code) for i, (code, _n, _c) in enumerate(SICHUAN_CITIES)}
    owner_units = list(units.values())
    return Context(
        rng=random.Random(0),
        today=datetime.date(2026, 11, 29),
        cities=list(SICHUAN_CITIES),
        city_weights=[1.0] * len(SICHUAN_CITIES),
        units_by_city=units,
        owner_units=owner_units,
        owner_weights=[1.0] * len(owner_units),
        staff_by_unit={u.pk: [100 + u.pk] for u in owner_units},
        departments=owner_units[:3],
        industries={"electronic-information": 1},
        categories=[1],
        dispatcher_id=1,
        incident_ids=[1],
        campaign_ids=[1, 2, 3, 4],
        campaign_weights=[4, 3, 2, 1],
        case_ct=1,
        ids={"enterprise": 1, "contact": 1, "visit": 1, "case": 1, "project": 1},
    )


CHECKS = [
    _check_the_counts_are_what_was_asked_for_in_proportion,
    _check_enterprises_are_searchable_and_valid_as_the_services_make_them,
    _check_mobiles_are_encrypted_with_their_blind_index,
    _check_cases_carry_the_trail_of_their_status,
    _check_projects_have_what_their_stage_needs_and_a_history_to_it,
    _check_at_most_one_message_per_campaign_and_contact_and_unique_keys,
    _check_the_generation_is_one_entry_of_an_intact_audit_chain,
    _check_generate_refuses_a_database_with_enterprises,
]


@pytest.mark.django_db(transaction=True)
def test_after_a_committed_load_the_search_indexes_are_built_side_by_side_and_searched():
    """Outside a transaction (as `investdesk generate` runs) the dropped search indexes are built on
    their own connections after the load commits, then VACUUM ANALYZE."""
    from investdesk.core.generate import SEARCH_INDEXES

    if connection.vendor != "postgresql":
        pytest.skip("the search indexes exist on PostgreSQL only")
    lines = []
    Generator(TINY, seed=11, processes=0, log=lines.append).run()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)", [list(SEARCH_INDEXES)])
        assert sorted(r[0] for r in cursor.fetchall()) == sorted(SEARCH_INDEXES)
        cursor.execute("SELECT last_vacuum FROM pg_stat_user_tables WHERE relname = 'enterprises_enterprise'")
        assert cursor.fetchone()[0] is not None
    assert any(line.startswith("  search indexes built in") for line in lines)
    name = Enterprise.objects.order_by("id").values_list("name", flat=True).first()
    assert Enterprise.objects.filter(search_text__contains=name[:2]).exists()
