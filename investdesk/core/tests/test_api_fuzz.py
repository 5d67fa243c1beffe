"""Fuzzing /api/v1 from its own OpenAPI document (schemathesis): whatever a client sends, the API
never answers 5xx, and every answer is one the document declares, with the declared content type
and body schema (errors included: {"detail", "errors": [{"field", "message", "code"}]}).

Bounded for CI: a fixed number of generated requests per operation, derandomized so that every run
sends the same requests, on the in-process WSGI app (no server, no network). A failure prints the
request as a curl command; turn it into a plain test in the app's tests/test_api.py when fixing it.
"""

import datetime
from decimal import Decimal

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings

from investdesk.api import api
from investdesk.cases import services as case_services
from investdesk.cases.models import CaseCategory
from investdesk.core import services
from investdesk.emergency import services as emergency_services
from investdesk.enterprises import services as enterprise_services
from investdesk.outreach import services as outreach_services
from investdesk.projects import services as project_services
from investdesk.wsgi import application

# Loaded from the NinjaAPI object itself (no request, no database at collection time); the requests
# go to the whole WSGI application, middleware included, as a real client's would.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = application

settings.register_profile(
    "api-fuzz",
    max_examples=25,  # per operation and generation phase
    deadline=None,  # the first request of an operation warms caches; timing is not what we test
    derandomize=True,  # the same requests on every run: a CI failure reproduces locally
    database=None,  # nothing saved to .hypothesis/ between runs
    suppress_health_check=list(HealthCheck),  # one set of records serves all examples of an operation
)

# No 5xx, and every answer declared with its content type and body schema: the error answers (400,
# 401, 403, 404, 422, and 409 where a `version` is sent) are declared for every operation in
# investdesk/api.py. Schemathesis' other default checks (stateful ones, negative_data_rejection...)
# are left out. Besides the fuzzing phase, schemathesis' deterministic coverage phase sends the boundary
# values of each parameter: about 80 requests an operation in all, ~6,000 for the 74 operations.
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]


@pytest.fixture(autouse=True)
def _keep_the_test_transaction():
    """As Django's test client does: the end of a request must not close the connection that holds the
    test's transaction (on PostgreSQL it would, and every later request would fail)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def bearer(leader, owner, chengdu_enterprise):
    """Demo-like records of every module, and the token of a bureau leader, who sees them all."""
    category, _ = CaseCategory.objects.get_or_create(code="logistics", defaults={"name": "物流运输"})
    visit = enterprise_services.visit_create(
        actor=owner,
        enterprise=chengdu_enterprise,
        visited_on=datetime.date(2022, 9, 1),
        mode="video",
        staff=[owner],
        status="completed",
        problems=["跨省运输受阻，原材料无法进厂"],
    )
    problem = visit.problems.get()
    case_services.case_register(
        actor=owner, enterprise=chengdu_enterprise, problem=problem, title="", description="", category=category
    )
    project_services.project_create(
        actor=owner,
        name="比亚迪成都基地项目",
        investor=chengdu_enterprise,
        amount=Decimal("5000000000"),
        city="chengdu",
    )
    incident = emergency_services.incident_create(
        actor=leader, name="泸定6.8级地震", kind="earthquake", starts_on=datetime.date(2022, 9, 5)
    )
    emergency_services.donation_pledge(
        actor=owner,
        incident=incident,
        donor_kind="enterprise",
        enterprise=chengdu_enterprise,
        kind="money",
        pledged_on=datetime.date(2022, 9, 6),
        amount=Decimal(5_000_000),
    )
    emergency_services.shipment_create(
        actor=owner, incident=incident, goods="帐篷", quantity=Decimal(200), measure="顶", origin="德阳",
        destination="泸定县",
    )  # fmt: skip
    outreach_services.campaign_create(
        actor=owner, enterprises=[chengdu_enterprise], name="中秋问候", subject="中秋问候", body="祝中秋快乐"
    )
    _token, key = services.api_token_create(user=leader, name="api fuzzing")
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.django_db
@schema.parametrize()
@settings(settings.get_profile("api-fuzz"))
def test_api_never_fails_and_matches_its_schema(case, bearer):
    case.call_and_validate(headers=bearer, checks=CHECKS)
