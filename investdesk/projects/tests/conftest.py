import datetime
from decimal import Decimal

import pytest

from investdesk.projects import services


@pytest.fixture
def project(owner, chengdu_enterprise):
    """A Chengdu bureau project, confidential as every project is by default."""
    return services.project_create(
        actor=owner,
        name="比亚迪成都基地项目",
        investor=chengdu_enterprise,
        amount=Decimal("5000000000"),
        city="chengdu",
        expected_signing_on=datetime.date(2022, 10, 1),
    )
