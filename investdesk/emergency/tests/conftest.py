import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from investdesk.core.models import Unit
from investdesk.core.tests.factories import UnitFactory
from investdesk.emergency import services
from investdesk.emergency.models import Incident
from investdesk.enterprises.models import Chamber

LUDING = datetime.date(2022, 9, 5)  # 泸定6.8级地震
LOCKDOWN = datetime.date(2022, 9, 1)  # 成都全域静默、全员核酸


def day(d: int) -> datetime.date:
    """A day of September 2022."""
    return datetime.date(2022, 9, d)


@pytest.fixture
def incident(leader):
    """The Luding earthquake: relief donations and shipments belong to it."""
    return services.incident_create(
        actor=leader, name="泸定6.8级地震", kind=Incident.Kind.EARTHQUAKE, starts_on=LUDING, areas="甘孜州泸定县"
    )


@pytest.fixture
def lockdown(leader):
    """The Chengdu lockdown: volunteer stints and critical enterprises belong to it."""
    return services.incident_create(
        actor=leader, name="成都疫情静默管理", kind=Incident.Kind.EPIDEMIC, starts_on=LOCKDOWN, areas="成都市"
    )


@pytest.fixture
def chambers(units):
    """川商总会 and the Henan Sichuan-Chongqing chamber (Chen Zemin is its honorary president)."""

    return SimpleNamespace(
        sichuan=Chamber.objects.create(name="川商总会", kind=Chamber.Kind.PROVINCIAL, owner_unit=units.bureau),
        henan=Chamber.objects.create(name="河南省四川商会", kind=Chamber.Kind.OTHER_PROVINCE, owner_unit=units.bureau),
    )


@pytest.fixture
def category(db):
    from investdesk.cases.models import CaseCategory

    category, _ = CaseCategory.objects.get_or_create(code="logistics", defaults={"name": "物流运输"})
    return category


@pytest.fixture
def transport(units, settings):
    """交通运输厅: where a blocked shipment's case goes."""
    return UnitFactory(code=settings.TRANSPORT_UNIT_CODE, name="四川省交通运输厅", kind=Unit.Kind.PARTNER)


@pytest.fixture
def money_pledge(owner, incident, chengdu_enterprise):
    """BYD pledges 5,000,000 yuan (recorded by the Chengdu bureau)."""
    return services.donation_pledge(
        actor=owner,
        incident=incident,
        donor_kind="enterprise",
        enterprise=chengdu_enterprise,
        kind="money",
        amount=Decimal("5000000"),
        pledged_on=day(6),
    )


@pytest.fixture
def goods_pledge(owner, incident, chengdu_enterprise):
    """30 tonnes of biscuits valued at 300,000 yuan."""
    return services.donation_pledge(
        actor=owner,
        incident=incident,
        donor_kind="enterprise",
        enterprise=chengdu_enterprise,
        kind="goods",
        item="饼干",
        quantity=Decimal("30"),
        measure="吨",
        value=Decimal("300000"),
        pledged_on=day(7),
    )


@pytest.fixture
def shipment(owner, incident, goods_pledge):
    """The biscuits on a truck from Chengdu to Luding, planned."""
    return services.shipment_create(
        actor=owner,
        incident=incident,
        donation=goods_pledge,
        goods="饼干",
        quantity=Decimal("10"),
        measure="吨",
        origin="成都市双流区",
        destination="泸定县",
        township="磨西镇",
        plate="川A 12345",
        driver="王师傅",
        driver_phone="+86 138-1234-5678",
        at=timezone.now() - datetime.timedelta(days=1),
    )


@pytest.fixture
def critical(owner, lockdown, chengdu_enterprise):
    """BYD marked critical for the lockdown, producing normally on 2 September."""
    return services.critical_mark(
        actor=owner, incident=lockdown, enterprise=chengdu_enterprise, why="城市运行保障车辆", on=day(2)
    )
