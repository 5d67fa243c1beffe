from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.http import Http404

from investdesk.emergency import selectors, services
from investdesk.emergency.models import Donation
from investdesk.emergency.selectors import DonationFilter, Scope
from investdesk.emergency.tests.conftest import day
from investdesk.enterprises import services as enterprise_services
from investdesk.lib.money import format_cny

M = Decimal(1_000_000)
ENTERPRISE, CHAMBER, PERSON = (str(label) for label in Donation.DonorKind.labels)


def _gift(actor, incident, *, on, received=(), **fields):
    donation = services.donation_pledge(actor=actor, incident=incident, pledged_on=on, **fields)
    for received_on, quantity in received:
        services.receipt_add(actor=actor, donation=donation, received_on=received_on, quantity=quantity)
    donation.refresh_from_db()
    return donation


@pytest.fixture
def relief(owner, outsider, incident, chambers, chengdu_enterprise, mianyang_enterprise, industry):
    """Five gifts to the Luding earthquake (yuan):

    | donor            | kind   | pledged   | received  | recorded by | mobilised by |
    | Toyota           | money  | 6,000,000 | 6,000,000 | Chengdu     |              |
    | BYD              | money  | 5,000,000 | 2,000,000 | Chengdu     | 川商总会     |
    | 陈泽民 (person)  | money  | 3,000,000 | 0         | Chengdu     | 河南省四川商会 |
    | 川商总会 (own)   | money  | 1,000,000 | 1,000,000 | Chengdu     |              |
    | 长虹: 30吨 饼干  | goods  |   300,000 | 100,000   | Mianyang    |              |
    """
    toyota = enterprise_services.enterprise_create(
        actor=owner, name="丰田汽车（中国）投资有限公司", city="chengdu", industry=industry
    )
    money = dict(kind="money")
    return SimpleNamespace(
        toyota=_gift(
            owner,
            incident,
            on=day(6),
            donor_kind="enterprise",
            enterprise=toyota,
            amount=6 * M,
            received=[(day(8), 6 * M)],
            **money,
        ),
        byd=_gift(
            owner,
            incident,
            on=day(6),
            donor_kind="enterprise",
            enterprise=chengdu_enterprise,
            mobilised_by=chambers.sichuan,
            amount=5 * M,
            received=[(day(9), 2 * M)],
            **money,
        ),
        chen=_gift(
            owner,
            incident,
            on=day(7),
            donor_kind="person",
            donor_name="陈泽民",
            donor_title="名誉会长",
            mobilised_by=chambers.henan,
            amount=3 * M,
            **money,
        ),
        chamber=_gift(
            owner,
            incident,
            on=day(8),
            donor_kind="chamber",
            chamber=chambers.sichuan,
            amount=1 * M,
            received=[(day(8), 1 * M)],
            **money,
        ),
        biscuits=_gift(
            outsider,
            incident,
            on=day(9),
            donor_kind="enterprise",
            enterprise=mianyang_enterprise,
            kind="goods",
            item="饼干",
            quantity=Decimal(30),
            measure="吨",
            value=Decimal(300_000),
            received=[(day(10), Decimal(10))],
        ),
    )


# --- donation totals ------------------------------------------------------------------------------


def test_donation_totals_on_a_known_set(relief, leader):
    totals = selectors.donation_totals(user=leader)
    assert totals.count == 5
    assert totals.pledged == Decimal("15300000.00") and totals.received == Decimal("9100000.00")
    assert (totals.money_pledged, totals.money_received) == (15 * M, 9 * M)
    assert (totals.goods_pledged, totals.goods_received) == (Decimal(300_000), Decimal(100_000))
    assert totals.only_pledged == Decimal("6200000.00")
    assert totals.only_pledged_share == pytest.approx(6.2 / 15.3)
    assert totals.not_fully_received == 3 and totals.incomplete is True
    # Each gift counts once in the total.
    gifts = [relief.toyota, relief.byd, relief.chen, relief.chamber, relief.biscuits]
    assert totals.pledged == sum(g.value for g in gifts)
    assert totals.received == sum(g.received_value for g in gifts)
    # As a report shows them.
    assert (format_cny(totals.pledged), format_cny(totals.received)) == ("1530万元", "910万元")
    assert format_cny(totals.only_pledged) == "620万元"


def test_donation_totals_by_donor_kind(relief, leader):
    totals = selectors.donation_totals(user=leader)
    assert [(key, count, pledged, received) for key, _, count, pledged, received in totals.by_donor_kind] == [
        ("enterprise", 3, Decimal("11300000.00"), Decimal("8100000.00")),
        ("chamber", 1, 1 * M, 1 * M),
        ("person", 1, 3 * M, 0),
    ]
    assert [label for _, label, *_ in totals.by_donor_kind] == [ENTERPRISE, CHAMBER, PERSON]


def test_a_chamber_is_credited_with_its_own_gifts_and_those_it_mobilised(relief, leader, chambers):
    totals = selectors.donation_totals(user=leader)
    assert totals.chambers == [
        (chambers.sichuan.pk, "川商总会", 1 * M, 5 * M, 6 * M),
        (chambers.henan.pk, "河南省四川商会", 0, 3 * M, 3 * M),
    ]
    credit = sum(row[4] for row in totals.chambers)
    gifts = sum(g.value for g in vars(relief).values())
    assert totals.pledged == gifts != gifts + credit
    credited = selectors.donations_for_user(user=leader, filters=DonationFilter(credited_to=chambers.sichuan.pk))
    assert set(credited) == {relief.byd, relief.chamber}


def test_the_leaderboard_orders_donors_by_pledge(relief, leader, owner, incident):
    totals = selectors.donation_totals(user=leader)
    assert [(name, str(kind), pledged, received) for name, kind, pledged, received in totals.leaderboard] == [
        ("丰田汽车（中国）投资有限公司", ENTERPRISE, 6 * M, 6 * M),
        ("比亚迪股份有限公司", ENTERPRISE, 5 * M, 2 * M),
        ("陈泽民", PERSON, 3 * M, 0),
        ("川商总会", CHAMBER, 1 * M, 1 * M),
        ("四川长虹电器股份有限公司", ENTERPRISE, Decimal(300_000), Decimal(100_000)),
    ]
    # A donor's gifts add up; `top` cuts the list.
    _gift(owner, incident, on=day(10), donor_kind="person", donor_name="陈泽民", kind="money", amount=4 * M)
    top = selectors.donation_totals(user=leader, top=2).leaderboard
    assert [(name, pledged) for name, _, pledged, _ in top] == [
        ("陈泽民", 7 * M),
        ("丰田汽车（中国）投资有限公司", 6 * M),
    ]


def test_totals_are_complete_once_every_pledge_arrived(relief, leader, owner, outsider):
    services.receipt_add(actor=owner, donation=relief.byd, received_on=day(12), quantity=3 * M)
    services.receipt_add(actor=owner, donation=relief.chen, received_on=day(12), quantity=3 * M)
    assert selectors.donation_totals(user=leader).incomplete is True
    services.receipt_add(actor=outsider, donation=relief.biscuits, received_on=day(12), quantity=Decimal(20))
    totals = selectors.donation_totals(user=leader)
    assert totals.received == totals.pledged == Decimal("15300000.00")
    assert (totals.not_fully_received, totals.incomplete, totals.only_pledged_share) == (0, False, 0.0)


def test_donation_totals_by_period_and_unit(relief, leader, owner, outsider, units, incident, lockdown):
    period = selectors.donation_totals(user=leader, scope=Scope(start=day(7), end=day(8)))
    assert (period.count, period.pledged, period.received) == (2, 4 * M, 1 * M)
    assert selectors.donation_totals(user=leader, scope=Scope(end=day(6))).pledged == 11 * M
    assert selectors.donation_totals(user=leader, scope=Scope(start=day(9))).pledged == Decimal(300_000)

    chengdu = selectors.donation_totals(user=leader, scope=Scope(unit=units.chengdu.pk))
    assert (chengdu.count, chengdu.pledged, chengdu.received, chengdu.goods_pledged) == (4, 15 * M, 9 * M, 0)
    bureau = selectors.donation_totals(user=leader, scope=Scope(unit=units.bureau.pk))
    assert bureau.pledged == Decimal("15300000.00")  # the bureau's subtree holds both cities
    assert selectors.donation_totals(user=leader, scope=Scope(unit=units.mianyang.pk)).pledged == Decimal(300_000)
    assert selectors.donation_totals(user=leader, scope=Scope(unit=987654)).count == 0
    assert selectors.donation_totals(user=leader, scope=Scope(incident=incident.pk)).count == 5
    assert selectors.donation_totals(user=leader, scope=Scope(incident=lockdown.pk)).count == 0

    # What each city bureau sees is its own.
    mine = selectors.donation_totals(user=owner)
    assert (mine.count, mine.pledged) == (4, 15 * M)
    theirs = selectors.donation_totals(user=outsider)
    assert (theirs.count, theirs.pledged, theirs.chambers) == (1, Decimal(300_000), [])


def test_a_total_of_340_million_reads_3_4_yi(owner, leader, incident, chambers):
    _gift(owner, incident, on=day(6), donor_kind="chamber", chamber=chambers.sichuan, kind="money", amount=334 * M)
    _gift(owner, incident, on=day(6), donor_kind="person", donor_name="某企业家", kind="money", amount=6 * M)
    totals = selectors.donation_totals(user=leader)
    assert totals.pledged == 340 * M and format_cny(totals.pledged) == "3.4亿元"
    assert format_cny(totals.leaderboard[1][2]) == "600万元"
    assert format_cny(totals.received) == "0元"


def test_an_empty_scope_has_zero_totals(leader, incident):
    totals = selectors.donation_totals(user=leader)
    assert (totals.count, totals.pledged, totals.only_pledged_share, totals.incomplete) == (0, 0, 0.0, False)
    assert totals.chambers == [] and totals.leaderboard == []
    assert [row[2] for row in totals.by_donor_kind] == [0, 0, 0]


def test_donation_lists_and_filters(relief, leader, chengdu_enterprise):
    everything = selectors.donations_for_user(user=leader)
    # Newest pledge first; on the same day, the later entry first.
    assert list(everything) == [relief.biscuits, relief.chamber, relief.chen, relief.byd, relief.toyota]
    assert set(selectors.donations_for_user(user=leader, filters=DonationFilter(kind="goods"))) == {relief.biscuits}
    assert set(selectors.donations_for_user(user=leader, filters=DonationFilter(state="received"))) == {
        relief.toyota,
        relief.chamber,
    }
    assert set(selectors.donations_for_user(user=leader, filters=DonationFilter(donor_kind="person"))) == {relief.chen}
    assert set(selectors.donations_for_user(user=leader, filters=DonationFilter(q="陈泽民"))) == {relief.chen}
    assert list(selectors.donor_donations(user=leader, donation=relief.byd)) == [relief.byd]


# --- visibility -----------------------------------------------------------------------------------


@pytest.fixture
def chengdu_records(owner, incident, lockdown, money_pledge, goods_pledge, shipment, critical):
    """One of each record, all of the Chengdu bureau."""
    stint = services.volunteer_log(
        actor=owner,
        incident=lockdown,
        on=day(3),
        district="高新区",
        community="桂溪社区",
        hours=Decimal(4),
        tasks=["testing"],
        tests_assisted=100,
    )
    return SimpleNamespace(
        donations=[goods_pledge, money_pledge], donation=money_pledge, shipment=shipment, stint=stint, critical=critical
    )


def test_another_units_records_are_invisible(chengdu_records, outsider):
    r = chengdu_records
    assert not selectors.donations_for_user(user=outsider).exists()
    assert not selectors.shipments_for_user(user=outsider).exists()
    assert not selectors.volunteer_for_user(user=outsider).exists()
    assert not selectors.critical_for_user(user=outsider).exists()
    assert selectors.donation_totals(user=outsider).count == 0
    assert selectors.volunteer_figures(user=outsider).person_times == 0
    assert set(selectors.shipment_counts(user=outsider).values()) == {0}
    assert set(selectors.critical_counts(user=outsider).values()) == {0}
    assert all(not shipments for _, _, shipments in selectors.shipment_board(user=outsider))
    with pytest.raises(Http404):
        selectors.donation_get_for_user(user=outsider, donation_id=r.donation.pk)
    with pytest.raises(Http404):
        selectors.shipment_get_for_user(user=outsider, shipment_id=r.shipment.pk)
    with pytest.raises(Http404):
        selectors.critical_get_for_user(user=outsider, critical_id=r.critical.pk)


@pytest.mark.parametrize("who", ["owner", "colleague", "leader", "dispatcher"])
def test_the_unit_leaders_and_dispatchers_read_them(chengdu_records, who, request):
    user = request.getfixturevalue(who)
    r = chengdu_records
    assert list(selectors.donations_for_user(user=user)) == r.donations
    assert list(selectors.shipments_for_user(user=user)) == [r.shipment]
    assert list(selectors.volunteer_for_user(user=user)) == [r.stint]
    assert list(selectors.critical_for_user(user=user)) == [r.critical]
    assert selectors.donation_get_for_user(user=user, donation_id=r.donation.pk) == r.donation
    assert selectors.shipment_get_for_user(user=user, shipment_id=r.shipment.pk) == r.shipment
    assert selectors.critical_get_for_user(user=user, critical_id=r.critical.pk) == r.critical
    assert selectors.volunteer_figures(user=user).tests_assisted == 100


def test_an_observer_of_another_division_reads_nothing_of_chengdu(chengdu_records, observer):
    assert not selectors.donations_for_user(user=observer).exists()
    with pytest.raises(Http404):
        selectors.donation_get_for_user(user=observer, donation_id=chengdu_records.donation.pk)


# --- shipments ------------------------------------------------------------------------------------


def test_shipments_by_state(shipment, owner, leader, incident):
    trip = dict(
        goods="矿泉水", quantity=Decimal(500), measure="箱", origin="成都", destination="石棉县", plate="川A88888"
    )
    water = services.shipment_create(actor=owner, incident=incident, **trip)
    services.shipment_move(actor=owner, shipment=water, to="blocked", version=None, reason="道路塌方")
    assert selectors.shipment_counts(user=leader) == {
        "planned": 1,
        "loading": 0,
        "in_transit": 0,
        "delivered": 0,
        "blocked": 1,
    }
    board = {key: [s.pk for s in rows] for key, _, rows in selectors.shipment_board(user=leader)}
    assert board["planned"] == [shipment.pk] and board["blocked"] == [water.pk] and board["delivered"] == []
    assert list(selectors.shipments_for_user(user=leader, state="blocked")) == [water]
    assert list(selectors.shipments_for_user(user=leader, q="石棉")) == [water]
    assert list(selectors.shipments_for_user(user=leader, q="a12345")) == [shipment]
    assert selectors.shipment_counts(user=leader, scope=Scope(incident=incident.pk + 1000))["blocked"] == 0


# --- volunteer figures ----------------------------------------------------------------------------


@pytest.fixture
def stints(owner, colleague, dispatcher, outsider, lockdown, incident):
    """Five stints of the lockdown by three people; 高新区 and 武侯区 each have a 桂溪社区.

    | who        | day | district | community  | tests | records | households | hours |
    | owner      |  2  | 高新区   | 桂溪社区   |  100  |   10    |     0      |  4    |
    | owner      |  3  | 武侯区   | 桂溪社区   |  200  |   20    |     5      |  3.5  |
    | colleague  |  3  | 高新区   | 桂溪社区   |   50  |    0    |    10      |  2    |
    | colleague  | 10  | 锦江区   | 书院街社区 |    0  |   30    |    20      |  6    |
    | dispatcher | 14  | 高新区   | 芳草社区   |   80  |    5    |     3      |  1.5  |

    And one stint of Mianyang for the earthquake (another incident).
    """
    rows = [
        (owner, 2, "高新区", "桂溪社区", 100, 10, 0, "4"),
        (owner, 3, "武侯区", "桂溪社区", 200, 20, 5, "3.5"),
        (colleague, 3, "高新区", "桂溪社区", 50, 0, 10, "2"),
        (colleague, 10, "锦江区", "书院街社区", 0, 30, 20, "6"),
        (dispatcher, 14, "高新区", "芳草社区", 80, 5, 3, "1.5"),
    ]
    for person, d, district, community, tests, records, households, hours in rows:
        services.volunteer_log(
            actor=person,
            incident=lockdown,
            on=day(d),
            district=district,
            community=community,
            hours=Decimal(hours),
            tasks=["testing", "data_entry", "survey"],
            tests_assisted=tests,
            records_entered=records,
            households_surveyed=households,
        )
    services.volunteer_log(
        actor=outsider,
        incident=incident,
        on=day(6),
        district="涪城区",
        community="桂溪社区",
        hours=Decimal(8),
        tasks=["supplies"],
        tests_assisted=1000,
    )


def _figures(user, **scope):
    f = selectors.volunteer_figures(user=user, scope=Scope(**scope))
    return (
        f.person_times,
        f.people,
        f.communities,
        f.tests_assisted,
        f.records_entered,
        f.households_surveyed,
        f.hours,
    )


def test_volunteer_figures_count_person_times_and_distinct_places(stints, leader, lockdown):
    assert _figures(leader, incident=lockdown.pk) == (5, 3, 4, 430, 65, 38, Decimal("17.0"))
    # 4 (district, community) places, though only 3 community names.
    names = set(selectors.volunteer_for_user(user=leader, scope=Scope(incident=lockdown.pk)).values_list("community"))
    assert len(names) == 3
    assert _figures(leader) == (6, 4, 5, 1430, 65, 38, Decimal("25.0"))


def test_volunteer_figures_as_of_a_date(stints, leader, lockdown):
    assert _figures(leader, incident=lockdown.pk, end=day(3)) == (3, 2, 2, 350, 30, 15, Decimal("9.5"))
    assert _figures(leader, incident=lockdown.pk, end=day(14)) == (5, 3, 4, 430, 65, 38, Decimal("17.0"))
    assert _figures(leader, incident=lockdown.pk, start=day(4)) == (2, 2, 2, 80, 35, 23, Decimal("7.5"))
    assert _figures(leader, incident=lockdown.pk, end=day(1)) == (0, 0, 0, 0, 0, 0, 0)


def test_volunteer_figures_by_unit(stints, leader, owner, outsider, dispatcher, units, lockdown):
    assert _figures(leader, incident=lockdown.pk, unit=units.chengdu.pk) == (4, 2, 3, 350, 60, 35, Decimal("15.5"))
    assert _figures(leader, incident=lockdown.pk, unit=units.service.pk) == (1, 1, 1, 80, 5, 3, Decimal("1.5"))
    assert _figures(leader, incident=lockdown.pk, unit=units.bureau.pk) == (5, 3, 4, 430, 65, 38, Decimal("17.0"))
    # Each city bureau sees its own; the dispatcher reads everything open.
    assert _figures(owner, incident=lockdown.pk) == (4, 2, 3, 350, 60, 35, Decimal("15.5"))
    assert _figures(outsider) == (1, 1, 1, 1000, 0, 0, Decimal("8.0"))
    assert _figures(dispatcher) == (6, 4, 5, 1430, 65, 38, Decimal("25.0"))
    rows = selectors.volunteer_by_unit(user=leader, scope=Scope(incident=lockdown.pk))
    assert [(r["unit__name"], r["n"], r["people"], r["tests"]) for r in rows] == [
        ("成都市投资促进局", 4, 2, 350),
        ("企业服务处", 1, 1, 80),
    ]
    assert selectors.volunteer_for_user(user=leader, person=owner).count() == 2


# --- production continuity ------------------------------------------------------------------------


def test_critical_enterprises_not_producing(critical, owner, leader, outsider, lockdown, mianyang_enterprise, industry):
    toyota = enterprise_services.enterprise_create(
        actor=owner, name="丰田汽车（中国）投资有限公司", city="chengdu", industry=industry
    )
    stopped = services.critical_mark(
        actor=owner, incident=lockdown, enterprise=toyota, why="整车物流", on=day(3), status="stopped", reason="停工"
    )
    changhong = services.critical_mark(
        actor=outsider, incident=lockdown, enterprise=mianyang_enterprise, why="家电保供", on=day(3)
    )
    assert set(selectors.critical_for_user(user=leader)) == {critical, stopped, changhong}
    assert list(selectors.critical_for_user(user=leader, not_normal=True)) == [stopped]
    services.production_update(actor=owner, critical=critical, on=day(5), status="partly", reason="物流受限")
    assert set(selectors.critical_for_user(user=leader, not_normal=True)) == {critical, stopped}
    # An older-dated update does not make it normal again.
    services.production_update(actor=owner, critical=critical, on=day(4), status="normal")
    assert set(selectors.critical_for_user(user=leader, not_normal=True)) == {critical, stopped}
    assert selectors.critical_counts(user=leader) == {"normal": 1, "partly": 1, "stopped": 1}
    assert selectors.critical_counts(user=owner) == {"normal": 0, "partly": 1, "stopped": 1}
    assert list(selectors.critical_for_user(user=outsider)) == [changhong]
    assert list(selectors.critical_for_user(user=leader, q="丰田")) == [stopped]
    assert selectors.critical_counts(user=leader, scope=Scope(unit=owner.unit.pk))["normal"] == 0


# --- incidents ------------------------------------------------------------------------------------


def test_the_current_incident_is_the_latest_open_one(incident, lockdown, leader, owner):
    assert selectors.current_incident() == incident  # started 5 September, after the lockdown
    services.incident_update(actor=leader, incident=incident, version=None, ends_on=day(20))
    assert selectors.current_incident() == lockdown
    assert selectors.incident_get(incident_id=lockdown.pk) == lockdown
    with pytest.raises(Http404):
        selectors.incident_get(incident_id=str(lockdown.pk))
    with pytest.raises(Http404):
        selectors.incident_get(incident_id=lockdown.pk + 1000)
    panel = selectors.home_emergency_panel(user=owner)
    assert panel["incident"] == lockdown and panel["mine"] == 0
