import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from investdesk.cases.models import Case
from investdesk.core.errors import DomainError
from investdesk.core.models import AuditEntry
from investdesk.emergency import services
from investdesk.emergency.models import (
    CriticalEnterprise,
    Donation,
    Receipt,
    Shipment,
    ShipmentEvent,
    VolunteerService,
)
from investdesk.emergency.tests.conftest import LUDING, day


def tomorrow() -> datetime.date:
    """Asked when the test runs, not when the module is imported: a run that crosses midnight in
    Shanghai would otherwise call today "tomorrow"."""
    return timezone.localdate() + datetime.timedelta(days=1)


# --- pledges and receipts -------------------------------------------------------------------------


def test_a_money_pledge_is_received_in_two_parts(money_pledge, owner):
    assert (money_pledge.state, money_pledge.value, money_pledge.received_value) == ("pledged", Decimal(5_000_000), 0)
    assert money_pledge.donor_name == "比亚迪股份有限公司" and money_pledge.owner_unit == owner.unit

    services.receipt_add(actor=owner, donation=money_pledge, received_on=day(8), quantity=Decimal("2000000"))
    money_pledge.refresh_from_db()
    assert money_pledge.state == Donation.State.PARTLY
    assert money_pledge.received_value == Decimal("2000000.00")
    assert money_pledge.outstanding == Decimal("3000000.00")

    services.receipt_add(actor=owner, donation=money_pledge, received_on=day(9), quantity=Decimal("3000000"))
    money_pledge.refresh_from_db()
    assert money_pledge.state == Donation.State.RECEIVED
    assert money_pledge.received_value == money_pledge.received_quantity == Decimal("5000000.00")
    assert money_pledge.outstanding == 0


def test_more_than_is_outstanding_is_refused_and_nothing_is_saved(money_pledge, owner):
    services.receipt_add(actor=owner, donation=money_pledge, received_on=day(8), quantity=Decimal("2000000"))
    with pytest.raises(DomainError) as exc:
        services.receipt_add(actor=owner, donation=money_pledge, received_on=day(9), quantity=Decimal("3000000.01"))
    assert exc.value.field == "quantity" and "3000000" in exc.value.message
    money_pledge.refresh_from_db()
    assert Receipt.objects.filter(donation=money_pledge).count() == 1
    assert (money_pledge.state, money_pledge.received_value) == ("partly", Decimal("2000000.00"))


def test_goods_are_valued_pro_rata(goods_pledge, owner):
    assert goods_pledge.value == Decimal("300000") and goods_pledge.amount is None
    # A whole quantity keeps its zeros, freshly entered (Decimal("30")) as when read back ("30.00").
    assert goods_pledge.description == "饼干 30吨"
    assert AuditEntry.objects.get(target_type="emergency.donation").target_repr == "比亚迪股份有限公司 饼干 30吨"
    goods_pledge.refresh_from_db()
    assert goods_pledge.description == "饼干 30吨"
    receipt = services.receipt_add(actor=owner, donation=goods_pledge, received_on=day(8), quantity=Decimal("10"))
    assert receipt.value == Decimal("100000.00")
    goods_pledge.refresh_from_db()
    assert (goods_pledge.state, goods_pledge.received_quantity, goods_pledge.received_value) == (
        "partly",
        Decimal("10.00"),
        Decimal("100000.00"),
    )
    with pytest.raises(DomainError) as exc:
        services.receipt_add(actor=owner, donation=goods_pledge, received_on=day(9), quantity=Decimal("21"))
    assert exc.value.field == "quantity" and "20吨" in exc.value.message


def test_a_goods_pledge_received_in_thirds_is_received_at_its_full_value(owner, incident, chengdu_enterprise):
    """Pro rata values that do not divide evenly: once everything has arrived, the received value is
    the pledge's value, not a fen short."""
    donation = services.donation_pledge(
        actor=owner,
        incident=incident,
        donor_kind="enterprise",
        enterprise=chengdu_enterprise,
        kind="goods",
        item="帐篷",
        quantity=Decimal("3"),
        measure="批",
        value=Decimal("100000"),
        pledged_on=day(6),
    )
    for d in (7, 8, 9):
        services.receipt_add(actor=owner, donation=donation, received_on=day(d), quantity=Decimal("1"))
    donation.refresh_from_db()
    assert donation.state == Donation.State.RECEIVED
    assert donation.received_value == Decimal("100000.00")


def test_a_receipt_keeps_its_voucher(money_pledge, owner):
    pdf = SimpleUploadedFile("银行回单.pdf", b"%PDF-1.4 receipt", content_type="application/pdf")
    receipt = services.receipt_add(
        actor=owner, donation=money_pledge, received_on=day(8), quantity=Decimal(1000), voucher=pdf
    )
    assert receipt.voucher.name.startswith(f"vouchers/{money_pledge.pk}/") and receipt.voucher.name.endswith(".pdf")
    fake = SimpleUploadedFile("回单.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(DomainError) as exc:
        services.receipt_add(actor=owner, donation=money_pledge, received_on=day(8), quantity=Decimal(1), voucher=fake)
    assert exc.value.field == "voucher"
    assert Receipt.objects.count() == 1


def test_receipt_dates(money_pledge, owner):
    with pytest.raises(DomainError) as exc:
        services.receipt_add(actor=owner, donation=money_pledge, received_on=day(5), quantity=Decimal(1))
    assert exc.value.field == "received_on"
    with pytest.raises(DomainError) as exc:
        services.receipt_add(actor=owner, donation=money_pledge, received_on=tomorrow(), quantity=Decimal(1))
    assert exc.value.field == "received_on"
    with pytest.raises(DomainError) as exc:
        services.receipt_add(actor=owner, donation=money_pledge, received_on=day(8), quantity=Decimal(0))
    assert exc.value.field == "quantity"
    assert not Receipt.objects.exists()
    # The day of the pledge itself is fine.
    services.receipt_add(actor=owner, donation=money_pledge, received_on=day(6), quantity=Decimal(1))


def test_pledge_dates(owner, incident, chengdu_enterprise):
    gift = dict(donor_kind="enterprise", enterprise=chengdu_enterprise, kind="money", amount=Decimal(1000))
    with pytest.raises(DomainError) as exc:
        services.donation_pledge(actor=owner, incident=incident, pledged_on=LUDING - datetime.timedelta(days=1), **gift)
    assert exc.value.field == "pledged_on"
    with pytest.raises(DomainError) as exc:
        services.donation_pledge(actor=owner, incident=incident, pledged_on=tomorrow(), **gift)
    assert exc.value.field == "pledged_on"
    with pytest.raises(DomainError) as exc:
        services.donation_pledge(actor=owner, incident=incident, pledged_on=None, **gift)
    assert exc.value.field == "pledged_on"
    assert not Donation.objects.exists()
    assert services.donation_pledge(actor=owner, incident=incident, pledged_on=LUDING, **gift).pk


def test_the_donor_must_match_its_type(owner, incident, chengdu_enterprise, chambers):
    common = dict(actor=owner, incident=incident, kind="money", amount=Decimal(1000), pledged_on=day(6))
    with pytest.raises(DomainError) as exc:
        services.donation_pledge(donor_kind="enterprise", donor_name="丰田", **common)
    assert exc.value.field == "enterprise"
    with pytest.raises(DomainError) as exc:
        services.donation_pledge(donor_kind="chamber", **common)
    assert exc.value.field == "chamber"
    with pytest.raises(DomainError) as exc:
        services.donation_pledge(donor_kind="person", donor_name="   ", **common)
    assert exc.value.field == "donor_name"
    with pytest.raises(DomainError) as exc:
        services.donation_pledge(donor_kind="robot", donor_name="x", **common)
    assert exc.value.field == "donor_kind"
    assert not Donation.objects.exists()

    # The name follows the record; a record of the wrong type is dropped.
    gift = services.donation_pledge(
        donor_kind="enterprise", enterprise=chengdu_enterprise, chamber=chambers.sichuan, donor_name="乱写", **common
    )
    assert (gift.donor_name, gift.chamber) == ("比亚迪股份有限公司", None)
    person = services.donation_pledge(
        donor_kind="person", donor_name=" 陈泽民 ", donor_title="名誉会长", enterprise=chengdu_enterprise, **common
    )
    assert (person.donor_name, person.enterprise) == ("陈泽民", None)
    # A chamber's own gift is not soft credit to itself.
    own = services.donation_pledge(
        donor_kind="chamber", chamber=chambers.sichuan, mobilised_by=chambers.sichuan, **common
    )
    assert (own.donor_name, own.mobilised_by) == ("川商总会", None)


def test_pledge_terms(owner, incident, chengdu_enterprise):
    common = dict(
        actor=owner, incident=incident, donor_kind="enterprise", enterprise=chengdu_enterprise, pledged_on=day(6)
    )
    for kwargs, field in [
        (dict(kind="money"), "amount"),
        (dict(kind="money", amount=Decimal(-5)), "amount"),
        (dict(kind="goods", quantity=Decimal(30), measure="吨", value=Decimal(1)), "item"),
        (dict(kind="goods", item="饼干", measure="吨", value=Decimal(1)), "quantity"),
        (dict(kind="goods", item="饼干", quantity=Decimal(30), value=Decimal(1)), "measure"),
        (dict(kind="goods", item="饼干", quantity=Decimal(30), measure="吨"), "value"),
        (dict(kind="gold", amount=Decimal(1)), "kind"),
    ]:
        with pytest.raises(DomainError) as exc:
            services.donation_pledge(**common, **kwargs)
        assert exc.value.field == field, kwargs
    # A money pledge keeps no goods terms; its value is its amount.
    gift = services.donation_pledge(**common, kind="money", amount=Decimal(600), item="饼干", quantity=Decimal(3))
    assert (gift.value, gift.item, gift.quantity, gift.measure) == (Decimal(600), "", None, "")


def test_a_pledge_cannot_shrink_below_what_arrived(money_pledge, owner):
    services.receipt_add(actor=owner, donation=money_pledge, received_on=day(8), quantity=Decimal("2000000"))
    money_pledge.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        services.donation_update(
            actor=owner, donation=money_pledge, version=money_pledge.version, amount=Decimal("1000000")
        )
    assert exc.value.field == "amount"
    updated = services.donation_update(
        actor=owner, donation=money_pledge, version=money_pledge.version, amount=Decimal("2000000")
    )
    assert updated.value == Decimal("2000000")


def test_deleting_a_receipt_restores_the_state(money_pledge, owner):
    first = services.receipt_add(actor=owner, donation=money_pledge, received_on=day(8), quantity=Decimal("2000000"))
    second = services.receipt_add(actor=owner, donation=money_pledge, received_on=day(9), quantity=Decimal("3000000"))
    services.receipt_delete(actor=owner, receipt=second)
    money_pledge.refresh_from_db()
    assert (money_pledge.state, money_pledge.received_value) == ("partly", Decimal("2000000.00"))
    services.receipt_delete(actor=owner, receipt=first)
    money_pledge.refresh_from_db()
    assert (money_pledge.state, money_pledge.received_value, money_pledge.received_quantity) == ("pledged", 0, 0)
    assert not Receipt.objects.exists()


def test_a_staff_member_records_pledges_only_for_their_own_unit(outsider, units, incident, mianyang_enterprise):
    """Like enterprises and chambers: a record is filed under the actor's unit or one below it."""
    with pytest.raises(DomainError) as exc:
        services.donation_pledge(
            actor=outsider,
            incident=incident,
            owner_unit=units.chengdu,
            donor_kind="enterprise",
            enterprise=mianyang_enterprise,
            kind="money",
            amount=Decimal(1000),
            pledged_on=day(6),
        )
    assert exc.value.field == "owner_unit"
    with pytest.raises(DomainError) as exc:
        services.shipment_create(
            actor=outsider,
            incident=incident,
            owner_unit=units.chengdu,
            goods="矿泉水",
            quantity=Decimal(1000),
            measure="箱",
            origin="绵阳",
            destination="泸定县",
        )
    assert exc.value.field == "owner_unit"


# --- shipments ------------------------------------------------------------------------------------


def test_a_shipment_goes_from_planned_to_delivered(shipment, owner):
    assert shipment.driver_phone == "13812345678" and shipment.plate == "川A12345"
    assert (shipment.departed_at, shipment.delivered_at) == (None, None)
    shipment = services.shipment_move(
        actor=owner,
        shipment=shipment,
        to="loading",
        version=shipment.version,
        at=timezone.now() - datetime.timedelta(hours=6),
    )
    assert shipment.departed_at is None
    with pytest.raises(DomainError) as exc:  # before the last change
        services.shipment_move(
            actor=owner,
            shipment=shipment,
            to="in_transit",
            version=None,
            at=timezone.now() - datetime.timedelta(hours=7),
        )
    assert exc.value.field == "at"
    departed = timezone.now() - datetime.timedelta(hours=5)
    shipment = services.shipment_move(
        actor=owner, shipment=shipment, to="in_transit", version=shipment.version, at=departed
    )
    assert shipment.departed_at == departed and shipment.delivered_at is None
    shipment = services.shipment_move(actor=owner, shipment=shipment, to="delivered", version=shipment.version)
    shipment.refresh_from_db()
    assert shipment.state == Shipment.State.DELIVERED
    assert shipment.departed_at == departed and shipment.delivered_at > departed
    moves = list(ShipmentEvent.objects.filter(shipment=shipment).values_list("from_state", "to_state", "actor"))
    assert moves == [
        ("", "planned", owner.pk),
        ("planned", "loading", owner.pk),
        ("loading", "in_transit", owner.pk),
        ("in_transit", "delivered", owner.pk),
    ]


def test_illegal_moves_are_refused(shipment, owner):
    with pytest.raises(DomainError) as exc:
        services.shipment_move(actor=owner, shipment=shipment, to="delivered", version=None)
    assert exc.value.field == "state"
    with pytest.raises(DomainError) as exc:
        services.shipment_move(actor=owner, shipment=shipment, to="teleported", version=None)
    assert exc.value.field == "state"
    for to in ("loading", "in_transit", "delivered"):
        services.shipment_move(actor=owner, shipment=shipment, to=to, version=None)
    for to in ("planned", "loading", "in_transit", "blocked", "delivered"):
        with pytest.raises(DomainError) as exc:
            services.shipment_move(actor=owner, shipment=shipment, to=to, version=None, reason="道路塌方")
        assert exc.value.field == "state", to
    assert ShipmentEvent.objects.filter(shipment=shipment).count() == 4


def test_blocked_needs_a_reason_and_resumes(shipment, owner):
    with pytest.raises(DomainError) as exc:
        services.shipment_move(actor=owner, shipment=shipment, to="blocked", version=None, reason="  ")
    assert exc.value.field == "reason"
    blocked = services.shipment_move(actor=owner, shipment=shipment, to="blocked", version=None, reason="通行证未办")
    assert (blocked.state, blocked.state_reason) == ("blocked", "通行证未办")
    assert ShipmentEvent.objects.filter(shipment=shipment, to_state="blocked").get().note == "通行证未办"
    resumed = services.shipment_move(actor=owner, shipment=shipment, to="loading", version=None)
    assert (resumed.state, resumed.state_reason) == ("loading", "")


def test_no_departure_without_a_granted_pass(shipment, owner):
    for transit_pass in ("applied", "refused"):
        shipment = services.shipment_update(actor=owner, shipment=shipment, version=None, transit_pass=transit_pass)
        shipment = services.shipment_move(actor=owner, shipment=shipment, to="loading", version=None)
        with pytest.raises(DomainError) as exc:
            services.shipment_move(actor=owner, shipment=shipment, to="in_transit", version=None)
        assert exc.value.field == "state"
        shipment = services.shipment_move(actor=owner, shipment=shipment, to="blocked", version=None, reason="等证")
        shipment = services.shipment_move(actor=owner, shipment=shipment, to="planned", version=None)
    shipment = services.shipment_update(actor=owner, shipment=shipment, version=None, transit_pass="granted")
    shipment = services.shipment_move(actor=owner, shipment=shipment, to="loading", version=None)
    moved = services.shipment_move(actor=owner, shipment=shipment, to="in_transit", version=None)
    assert moved.state == "in_transit" and moved.departed_at is not None


def test_a_future_move_is_refused(shipment, owner):
    with pytest.raises(DomainError) as exc:
        services.shipment_move(
            actor=owner, shipment=shipment, to="loading", version=None, at=timezone.now() + datetime.timedelta(hours=1)
        )
    assert exc.value.field == "at"


def test_a_blocked_shipment_raised_by_staff_is_a_registered_case(
    shipment, owner, chengdu_enterprise, category, transport
):
    with pytest.raises(DomainError) as exc:
        services.shipment_raise_case(actor=owner, shipment=shipment, enterprise=chengdu_enterprise)
    assert exc.value.field == "state"
    services.shipment_move(actor=owner, shipment=shipment, to="blocked", version=None, reason="省界检查站不放行")
    case = services.shipment_raise_case(actor=owner, shipment=shipment, enterprise=chengdu_enterprise)
    shipment.refresh_from_db()
    assert shipment.case == case
    assert (case.status, case.lead_unit, case.enterprise, case.source) == (
        Case.Status.REGISTERED,
        None,
        chengdu_enterprise,
        "referral",
    )
    assert case.urgency == Case.Urgency.URGENT and case.owner_unit == owner.unit
    assert "泸定县" in case.title and "省界检查站不放行" in case.description and "川A12345" in case.description
    assert "四川省交通运输厅" in case.description  # suggested to the dispatcher, not assigned
    with pytest.raises(DomainError):
        services.shipment_raise_case(actor=owner, shipment=shipment, enterprise=chengdu_enterprise)
    assert Case.objects.count() == 1


def test_a_blocked_shipment_raised_by_a_dispatcher_goes_to_transport(
    shipment, owner, dispatcher, chengdu_enterprise, category, transport
):
    services.shipment_move(actor=owner, shipment=shipment, to="blocked", version=None, reason="省界检查站不放行")
    case = services.shipment_raise_case(actor=dispatcher, shipment=shipment, enterprise=chengdu_enterprise)
    assert (case.status, case.lead_unit) == (Case.Status.ASSIGNED, transport)
    assert Shipment.objects.get(pk=shipment.pk).case_id == case.pk


def test_a_blocked_shipment_raised_by_a_leader_goes_to_transport(
    shipment, owner, leader, chengdu_enterprise, category, transport
):
    services.shipment_move(actor=owner, shipment=shipment, to="blocked", version=None, reason="省界检查站不放行")
    case = services.shipment_raise_case(actor=leader, shipment=shipment, enterprise=chengdu_enterprise)
    assert (case.status, case.lead_unit) == (Case.Status.ASSIGNED, transport)


def test_without_a_transport_unit_a_dispatchers_case_stays_registered(
    shipment, owner, dispatcher, chengdu_enterprise, category
):
    services.shipment_move(actor=owner, shipment=shipment, to="blocked", version=None, reason="省界检查站不放行")
    case = services.shipment_raise_case(actor=dispatcher, shipment=shipment, enterprise=chengdu_enterprise)
    assert (case.status, case.lead_unit) == (Case.Status.REGISTERED, None)


def test_raising_a_case_needs_a_category(shipment, owner, chengdu_enterprise):
    from investdesk.cases.models import CaseCategory

    CaseCategory.objects.all().delete()
    services.shipment_move(actor=owner, shipment=shipment, to="blocked", version=None, reason="省界检查站不放行")
    with pytest.raises(DomainError):
        services.shipment_raise_case(actor=owner, shipment=shipment, enterprise=chengdu_enterprise)
    assert Shipment.objects.get(pk=shipment.pk).case_id is None


def test_a_shipment_carries_goods_of_the_same_incident(owner, incident, lockdown, money_pledge, goods_pledge):
    trip = dict(goods="饼干", quantity=Decimal(10), measure="吨", origin="成都", destination="泸定县")
    with pytest.raises(DomainError) as exc:
        services.shipment_create(actor=owner, incident=incident, donation=money_pledge, **trip)
    assert exc.value.field == "donation"
    with pytest.raises(DomainError) as exc:
        services.shipment_create(actor=owner, incident=lockdown, donation=goods_pledge, **trip)
    assert exc.value.field == "donation"
    with pytest.raises(DomainError) as exc:
        services.shipment_create(actor=owner, incident=incident, **{**trip, "quantity": Decimal(0)})
    assert exc.value.field == "quantity"
    assert not Shipment.objects.exists()


def test_the_drivers_phone_is_normalised(owner, incident):
    trip = dict(goods="饼干", quantity=Decimal(10), measure="吨", origin="成都", destination="泸定县")
    shipment = services.shipment_create(actor=owner, incident=incident, driver_phone="0086 139 1234 5678", **trip)
    assert shipment.driver_phone == "13912345678"
    with pytest.raises(DomainError) as exc:
        services.shipment_create(actor=owner, incident=incident, driver_phone="028-8888888", **trip)
    assert exc.value.field == "driver_phone"
    with pytest.raises(DomainError) as exc:
        services.shipment_update(actor=owner, shipment=shipment, version=None, driver_phone="1234")
    assert exc.value.field == "driver_phone"
    assert Shipment.objects.get().driver_phone == "13912345678"


# --- volunteer service ----------------------------------------------------------------------------


def test_staff_log_their_own_stints(owner, lockdown):
    stint = services.volunteer_log(
        actor=owner,
        incident=lockdown,
        on=day(3),
        district=" 高新区 ",
        community="桂溪社区 ",
        hours=Decimal("4"),
        tasks=["testing", "data_entry", "testing", ""],
        tests_assisted=320,
        records_entered=40,
    )
    assert (stint.person, stint.unit, stint.district, stint.community) == (owner, owner.unit, "高新区", "桂溪社区")
    assert stint.tasks == ["testing", "data_entry"] and stint.created_by == owner


def test_a_duplicate_stint_is_refused(owner, lockdown):
    stint = dict(actor=owner, incident=lockdown, on=day(3), hours=Decimal(4), tasks=["testing"])
    services.volunteer_log(district="高新区", community="桂溪社区", **stint)
    with pytest.raises(DomainError) as exc:
        services.volunteer_log(district=" 高新区", community="桂溪社区 ", **stint)
    assert exc.value.field == "community"
    # The same community name in another district is another place.
    services.volunteer_log(district="武侯区", community="桂溪社区", **stint)
    assert VolunteerService.objects.count() == 2


def test_who_may_log_for_whom(owner, colleague, outsider, leader, lockdown):
    stint = dict(
        incident=lockdown, on=day(3), district="高新区", community="桂溪社区", hours=Decimal(4), tasks=["survey"]
    )
    assert services.volunteer_log(actor=owner, person=colleague, **stint).unit == colleague.unit
    with pytest.raises(DomainError) as exc:
        services.volunteer_log(actor=outsider, person=owner, **stint)
    assert exc.value.field == "person"
    assert services.volunteer_log(actor=leader, person=outsider, **stint).unit == outsider.unit


def test_stint_tasks_hours_and_dates(owner, lockdown):
    stint = dict(actor=owner, incident=lockdown, district="高新区", community="桂溪社区")
    for kwargs, field in [
        (dict(on=day(3), hours=Decimal(4), tasks=[]), "tasks"),
        (dict(on=day(3), hours=Decimal(4), tasks=["testing", "dancing"]), "tasks"),
        (dict(on=day(3), hours=Decimal("0.4"), tasks=["testing"]), "hours"),
        (dict(on=day(3), hours=Decimal("24.5"), tasks=["testing"]), "hours"),
        (dict(on=day(3), hours=None, tasks=["testing"]), "hours"),
        (dict(on=datetime.date(2022, 8, 31), hours=Decimal(4), tasks=["testing"]), "on"),
        (dict(on=tomorrow(), hours=Decimal(4), tasks=["testing"]), "on"),
    ]:
        with pytest.raises(DomainError) as exc:
            services.volunteer_log(**stint, **kwargs)
        assert exc.value.field == field, kwargs
    assert not VolunteerService.objects.exists()
    services.volunteer_log(on=day(3), hours=Decimal("0.5"), tasks=["testing"], **stint)
    services.volunteer_log(on=day(4), hours=Decimal("24"), tasks=["testing"], **stint)


def test_no_stint_after_the_incident_ended(owner, leader, lockdown):
    services.incident_update(actor=leader, incident=lockdown, version=None, ends_on=day(17))
    lockdown.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        services.volunteer_log(
            actor=owner,
            incident=lockdown,
            on=day(18),
            district="高新区",
            community="桂溪社区",
            hours=Decimal(4),
            tasks=["testing"],
        )
    assert exc.value.field == "on"


def test_removing_stints(owner, colleague, outsider, lockdown):
    stint = dict(
        incident=lockdown, on=day(3), district="高新区", community="桂溪社区", hours=Decimal(4), tasks=["survey"]
    )
    mine = services.volunteer_log(actor=owner, **stint)
    with pytest.raises(DomainError):
        services.volunteer_delete(actor=outsider, stint=mine)
    services.volunteer_delete(actor=colleague, stint=mine)
    assert not VolunteerService.objects.exists()


# --- observers never write ------------------------------------------------------------------------


def test_an_observer_cannot_write(
    observer, owner, incident, lockdown, money_pledge, shipment, critical, chengdu_enterprise, category
):
    with pytest.raises(DomainError):
        services.incident_create(actor=observer, name="洪灾", kind="flood", starts_on=day(1))
    with pytest.raises(DomainError):
        services.donation_pledge(
            actor=observer,
            incident=incident,
            donor_kind="person",
            donor_name="某人",
            kind="money",
            amount=Decimal(100),
            pledged_on=day(6),
        )
    with pytest.raises(DomainError):
        services.donation_update(actor=observer, donation=money_pledge, version=None, note="改")
    with pytest.raises(DomainError):
        services.receipt_add(actor=observer, donation=money_pledge, received_on=day(8), quantity=Decimal(1))
    with pytest.raises(DomainError):
        services.shipment_create(
            actor=observer,
            incident=incident,
            goods="水",
            quantity=Decimal(1),
            measure="箱",
            origin="成都",
            destination="泸定县",
        )
    with pytest.raises(DomainError):
        services.shipment_move(actor=observer, shipment=shipment, to="loading", version=None)
    with pytest.raises(DomainError):
        services.volunteer_log(
            actor=observer,
            incident=lockdown,
            on=day(3),
            district="高新区",
            community="桂溪社区",
            hours=Decimal(4),
            tasks=["testing"],
        )
    with pytest.raises(DomainError):
        services.critical_mark(actor=observer, incident=incident, enterprise=chengdu_enterprise, why="保供")
    with pytest.raises(DomainError):
        services.production_update(actor=observer, critical=critical, on=day(3), status="stopped", reason="停工")
    with pytest.raises(DomainError):
        services.critical_raise_case(actor=observer, critical=critical, title="停产", description="")
    services.shipment_move(actor=owner, shipment=shipment, to="blocked", version=None, reason="塌方")
    with pytest.raises(DomainError):
        services.shipment_raise_case(actor=observer, shipment=shipment, enterprise=chengdu_enterprise)
    assert Donation.objects.count() == 2 and not Receipt.objects.exists()
    assert Shipment.objects.get().state == "blocked" and not VolunteerService.objects.exists()
    assert CriticalEnterprise.objects.get().status == "normal" and not Case.objects.exists()


def test_only_coordinators_declare_incidents(owner, dispatcher):
    with pytest.raises(DomainError):
        services.incident_create(actor=owner, name="洪灾", kind="flood", starts_on=day(1))
    flood = services.incident_create(actor=dispatcher, name="洪灾", kind="flood", starts_on=day(1))
    with pytest.raises(DomainError) as exc:
        services.incident_update(
            actor=dispatcher, incident=flood, version=flood.version, ends_on=datetime.date(2022, 8, 1)
        )
    assert exc.value.field == "ends_on"


# --- production continuity ------------------------------------------------------------------------


def test_a_stopped_enterprise_needs_a_reason(critical, owner):
    assert (critical.status, critical.status_on, critical.owner_unit) == ("normal", day(2), owner.unit)
    assert critical.updates.count() == 1
    with pytest.raises(DomainError) as exc:
        services.production_update(actor=owner, critical=critical, on=day(4), status="stopped", reason=" ")
    assert exc.value.field == "reason"
    with pytest.raises(DomainError) as exc:
        services.production_update(actor=owner, critical=critical, on=day(4), status="asleep", reason="x")
    assert exc.value.field == "status"
    with pytest.raises(DomainError) as exc:
        services.production_update(actor=owner, critical=critical, on=tomorrow(), status="normal")
    assert exc.value.field == "on"
    services.production_update(actor=owner, critical=critical, on=day(4), status="stopped", reason="零部件断供")
    critical.refresh_from_db()
    assert (critical.status, critical.status_on, critical.reason) == ("stopped", day(4), "零部件断供")


def test_marking_with_a_status_other_than_normal_needs_a_reason(owner, lockdown, chengdu_enterprise):
    with pytest.raises(DomainError) as exc:
        services.critical_mark(
            actor=owner, incident=lockdown, enterprise=chengdu_enterprise, why="保供", status="partly"
        )
    assert exc.value.field == "reason"
    assert not CriticalEnterprise.objects.exists()


def test_the_latest_dated_update_is_the_current_status(critical, owner):
    services.production_update(actor=owner, critical=critical, on=day(6), status="partly", reason="半数员工封控在家")
    # Entered later, but about an earlier day: history, not the current status.
    services.production_update(actor=owner, critical=critical, on=day(4), status="stopped", reason="零部件断供")
    critical.refresh_from_db()
    assert (critical.status, critical.status_on, critical.reason) == ("partly", day(6), "半数员工封控在家")
    assert list(critical.updates.order_by("-on", "-id").values_list("on", "status")) == [
        (day(6), "partly"),
        (day(4), "stopped"),
        (day(2), "normal"),
    ]
    services.production_update(actor=owner, critical=critical, on=day(8), status="normal")
    critical.refresh_from_db()
    assert (critical.status, critical.reason) == ("normal", "")


def test_an_enterprise_is_marked_once_per_incident(critical, owner, lockdown, incident, chengdu_enterprise):
    with pytest.raises(DomainError) as exc:
        services.critical_mark(actor=owner, incident=lockdown, enterprise=chengdu_enterprise, why="再次")
    assert exc.value.field == "enterprise"
    # Another incident is another mark.
    services.critical_mark(actor=owner, incident=incident, enterprise=chengdu_enterprise, why="救灾车辆", on=day(6))
    assert CriticalEnterprise.objects.filter(enterprise=chengdu_enterprise).count() == 2


def test_a_production_problem_becomes_a_case_linked_to_the_latest_update(critical, owner, chengdu_enterprise, category):
    services.production_update(actor=owner, critical=critical, on=day(5), status="stopped", reason="零部件断供")
    older = services.production_update(actor=owner, critical=critical, on=day(3), status="partly", reason="物流受限")
    with pytest.raises(DomainError) as exc:
        services.critical_raise_case(actor=owner, critical=critical, title="  ", description="")
    assert exc.value.field == "title"
    critical.refresh_from_db()
    case = services.critical_raise_case(actor=owner, critical=critical, title="零部件断供停产", description="")
    assert (case.enterprise, case.status, case.title) == (chengdu_enterprise, Case.Status.REGISTERED, "零部件断供停产")
    assert case.description == "零部件断供"  # the current reason when no description is given
    latest = critical.updates.get(on=day(5))
    assert latest.case == case
    older.refresh_from_db()
    assert older.case is None
