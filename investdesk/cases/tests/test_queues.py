"""The queue tabs' counts, computed together, against each queue's own list; the queue's pages."""

import datetime
import itertools

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from investdesk.cases import selectors
from investdesk.cases.models import QUEUE_STATUSES, Case, CaseEvent, Extension
from investdesk.core.models import RecordShare
from investdesk.core.tests.factories import UserFactory
from investdesk.lib.paging import page_of_joined

S = Case.Status


@pytest.fixture
def many_cases(units, owner, dispatcher, chengdu_enterprise, mianyang_enterprise, category):
    """Every combination that decides a queue: status, due date (none, past, today, within two
    working days, later), lead unit (none, mine, another), supervision, the registering unit; some
    returned once or twice, some with one or two pending extensions and some decided ones, one
    shared with the partner department."""
    today = datetime.date(2022, 9, 1)  # the clock of the cases' conftest: a Thursday
    dues = [None, today - datetime.timedelta(days=3), today, datetime.date(2022, 9, 5), today + datetime.timedelta(30)]
    leads = [None, units.chengdu, units.mianyang, units.jingxin]
    cases = []
    combinations = itertools.product(S.values, dues, leads, [False, True])
    for i, (status, due_on, lead, supervised) in enumerate(combinations):
        enterprise = chengdu_enterprise if i % 3 else mianyang_enterprise
        cases.append(
            Case(
                number=f"T{i:05d}",
                enterprise=enterprise,
                title=f"问题{i}",
                description="d",
                category=category,
                status=status,
                due_on=due_on,
                lead_unit=lead,
                is_supervised=supervised,
                owner_unit=enterprise.owner_unit,
            )
        )
    cases = Case.objects.bulk_create(cases)
    for n, case in enumerate(cases[::7]):
        CaseEvent.objects.bulk_create([CaseEvent(case=case, action="return")] * (1 + n % 2))
    for n, case in enumerate(cases[3::11]):
        status = [Extension.Status.PENDING, Extension.Status.APPROVED, Extension.Status.REFUSED][n % 3]
        for _ in range(1 + n % 2):
            Extension.objects.create(case=case, requested_by=owner, new_due_on=today, reason="r", status=status)
    RecordShare.objects.create(
        content_type=ContentType.objects.get_for_model(Case), object_id=cases[5].pk, unit=units.jingxin
    )
    return cases


def test_the_counts_are_each_queues_own_count(many_cases, units, owner, dispatcher, leader, partner, outsider):
    nobody = UserFactory(username="unitless", unit=None)
    for user in (owner, dispatcher, leader, partner, outsider, nobody):
        counts = selectors.queue_counts(user=user)
        assert counts == {
            name: selectors.case_queue(user=user, queue=name).count() for name in selectors.COUNTED_QUEUES
        }, user.username
        # And each queue's count is what its list shows, one row per case.
        for name in selectors.COUNTED_QUEUES:
            listed = [c.pk for c in selectors.case_queue(user=user, queue=name)]
            assert len(listed) == len(set(listed)) == counts[name], (user.username, name)
    # Not a vacuous equality: the data set puts cases in every queue for someone.
    dispatcher_counts, owner_counts = selectors.queue_counts(user=dispatcher), selectors.queue_counts(user=owner)
    assert all(dispatcher_counts[q] for q in ("overdue", "unassigned", "returned", "extensions", "supervised"))
    assert all(owner_counts[q] for q in ("to_accept", "in_progress", "due_soon"))
    assert selectors.queue_counts(user=nobody) == dict.fromkeys(selectors.COUNTED_QUEUES, 0)


def test_a_returned_or_extended_case_counts_once(many_cases, dispatcher):
    returned = Case.objects.filter(status=S.REGISTERED, events__action="return").distinct().count()
    pending = Case.objects.filter(extensions__status=Extension.Status.PENDING).distinct().count()
    counts = selectors.queue_counts(user=dispatcher)
    assert (counts["returned"], counts["extensions"]) == (returned, pending)


def test_the_counts_are_two_queries(many_cases, owner, dispatcher):
    """One conditional count per queue over the cases in the queues' statuses, and one for the
    extension requests (a queue of any status), whatever the number of cases."""
    for user in (owner, dispatcher):
        user.unit  # noqa: B018  (the user's unit is loaded once per request by the session, not here)
        with CaptureQueriesContext(connection) as captured:
            selectors.queue_counts(user=user)
        assert len(captured) == 2, [q["sql"] for q in captured.captured_queries]


def test_the_partial_index_holds_the_queues_statuses(owner):
    """`case_queues` is a partial index on QUEUE_STATUSES: the counts read it only if the statuses
    the queues name are those (PostgreSQL uses a partial index only when the query implies it)."""
    queues = selectors._queues(user=owner, today=datetime.date(2022, 9, 1))
    named = {status for statuses, _ in queues.values() if statuses for status in statuses}
    assert sorted(named) == sorted(QUEUE_STATUSES)
    assert [name for name, (statuses, _) in queues.items() if statuses is None] == ["extensions"]


def test_the_queue_page_runs_as_many_queries_whatever_the_cases(client_for, many_cases, dispatcher):
    client = client_for(dispatcher)
    client.get("/cases/?queue=in_progress")
    with CaptureQueriesContext(connection) as before:
        client.get("/cases/?queue=in_progress")
    Case.objects.filter(pk__in=[c.pk for c in many_cases[::2]]).delete()
    with CaptureQueriesContext(connection) as after:
        client.get("/cases/?queue=in_progress")
    assert len(before) == len(after)


def test_a_page_chosen_first_and_joined_after_is_the_plain_slice(many_cases, owner, dispatcher):
    for user in (owner, dispatcher):
        for name in selectors.QUEUES:
            cases = selectors.case_queue(user=user, queue=name)
            for number in (1, 2, 3):
                page = page_of_joined(cases, number, size=7)
                assert page.items == list(cases[(number - 1) * 7 : number * 7]), (user.username, name, number)
                assert page.has_next == cases[number * 7 :].exists()
