import datetime
from decimal import Decimal

from investdesk.core.models import User
from investdesk.emergency import selectors
from investdesk.emergency.models import CriticalEnterprise, Donation, Incident, Shipment
from investdesk.emergency.selectors import Scope


def check_emergency_story():
    """The emergency story of the brief with its exact figures. Called by the one test that loads
    the whole demo (core/tests/test_commands.py), so the demo is loaded once in the suite."""
    leader = User.objects.get(username="leader")
    lockdown = Incident.objects.get(name="成都疫情静默管理", kind=Incident.Kind.EPIDEMIC)
    quake = Incident.objects.get(name="泸定6.8级地震", kind=Incident.Kind.EARTHQUAKE)

    # Story 2: as of 14 September, 182 person-times in 42 communities, and the three sums.
    figures = selectors.volunteer_figures(
        user=leader, scope=Scope(incident=lockdown.pk, end=datetime.date(2022, 9, 14))
    )
    assert (
        figures.person_times,
        figures.communities,
        figures.tests_assisted,
        figures.records_entered,
        figures.households_surveyed,
    ) == (182, 42, 50_785, 13_854, 1_013)

    # Story 3: about 3.4亿元 of money and goods (exactly, in the demo), by incomplete count.
    totals = selectors.donation_totals(user=leader, scope=Scope(incident=quake.pk))
    assert totals.pledged == Decimal(340_000_000)
    assert totals.incomplete and 0 < totals.received < totals.pledged
    gifts = {
        (d.donor_name, d.kind): d
        for d in Donation.objects.filter(incident=quake).select_related("mobilised_by", "chamber")
    }
    for name, amount in [
        ("丰田汽车（中国）投资有限公司", 6_000_000),
        ("比亚迪股份有限公司", 5_000_000),
        ("拼多多（成都）科技有限公司", 3_000_000),
        ("陈泽民", 3_000_000),
    ]:
        assert gifts[name, Donation.Kind.MONEY].amount == Decimal(amount)
    chen = gifts["陈泽民", Donation.Kind.MONEY]
    assert chen.donor_kind == Donation.DonorKind.PERSON and chen.donor_title == "河南省四川重庆商会名誉会长"
    assert chen.mobilised_by.name == "河南省四川重庆商会"
    biscuits = gifts["广东嘉士利食品集团有限公司", Donation.Kind.GOODS]
    assert (biscuits.item, biscuits.quantity, biscuits.measure) == ("饼干", Decimal(30), "吨")
    credited = {name for _, name, _, _, _ in totals.chambers}
    assert {"四川省川商总会", "四川省异地商会联合会", "四川省归国人士企业联合会"} <= credited
    assert set(Donation.objects.values_list("state", flat=True)) == set(Donation.State.values)

    # Relief shipments in every state, one blocked lorry raised as a case for the transport department.
    counts = selectors.shipment_counts(user=leader, scope=Scope(incident=quake.pk))
    assert all(counts.values()) and counts[Shipment.State.BLOCKED] == 2
    blocked = Shipment.objects.get(donation=biscuits, state=Shipment.State.BLOCKED)
    assert blocked.case is not None and blocked.case.lead_unit.code == "jiaotong"
    assert blocked.case.number.startswith("SQ2022")

    # Story 1: key enterprises kept producing, two partly stopped and one stopped.
    production = selectors.critical_counts(user=leader, scope=Scope(incident=lockdown.pk))
    assert production == {"normal": 6, "partly": 2, "stopped": 1}
    assert CriticalEnterprise.objects.get(status="stopped").reason == "物流受阻，原材料无法运入"
