import datetime

import pytest
import time_machine

from investdesk.core.errors import ConflictError, DomainError
from investdesk.core.models import AuditEntry
from investdesk.enterprises import selectors, services
from investdesk.enterprises.models import Contact, Enterprise, Visit


def test_create_needs_only_a_name(owner):
    enterprise = services.enterprise_create(actor=owner, name=" 成都某某科技有限公司 ")
    assert enterprise.name == "成都某某科技有限公司"
    assert enterprise.owner_unit == owner.unit and enterprise.uscc is None
    assert AuditEntry.objects.filter(action="create", target_type="enterprises.enterprise").exists()


@pytest.mark.parametrize(("code", "fragment"), [("91440300192203821", "18"), ("914403001922038217", "")])
def test_a_wrong_uscc_is_refused_with_the_field(owner, code, fragment):
    with pytest.raises(DomainError) as exc:
        services.enterprise_create(actor=owner, name="某公司", uscc=code)
    assert exc.value.field == "uscc" and fragment in exc.value.message
    assert not Enterprise.objects.exists()


def test_a_uscc_is_unique(owner, chengdu_enterprise):
    with pytest.raises(DomainError) as exc:
        services.enterprise_create(actor=owner, name="另一家", uscc="914403001922038216")
    assert exc.value.field == "uscc" and "比亚迪" in exc.value.message


def test_foreign_investment_needs_the_investor_country(owner):
    with pytest.raises(DomainError) as exc:
        services.enterprise_create(actor=owner, name="某外资公司", ownership="foreign")
    assert exc.value.field == "investor_country"


def test_an_observer_cannot_create(observer):
    with pytest.raises(DomainError):
        services.enterprise_create(actor=observer, name="某公司")


def test_a_staff_member_cannot_file_under_another_unit(owner, units):
    with pytest.raises(DomainError) as exc:
        services.enterprise_create(actor=owner, name="某公司", owner_unit=units.mianyang)
    assert exc.value.field == "owner_unit"


def test_update_with_a_stale_version_is_a_conflict(owner, chengdu_enterprise):
    version = chengdu_enterprise.version
    services.enterprise_update(actor=owner, enterprise=chengdu_enterprise, version=version, employees=10)
    with pytest.raises(ConflictError):
        services.enterprise_update(actor=owner, enterprise=chengdu_enterprise, version=version, employees=20)
    chengdu_enterprise.refresh_from_db()
    assert chengdu_enterprise.employees == 10


def test_search_text_holds_pinyin_initials_contacts_and_office_phones(owner, chengdu_enterprise):
    services.contact_create(actor=owner, enterprise=chengdu_enterprise, name="前台", phone="028-8512 3456")
    services.contact_create(actor=owner, enterprise=chengdu_enterprise, name="司机", phone="139 0000 2222")
    chengdu_enterprise.refresh_from_db()
    text = chengdu_enterprise.search_text
    for fragment in ["比亚迪", "biyadi", "byd", "914403001922038216".lower(), "王磊", "wanglei", "02885123456"]:
        assert fragment in text, fragment
    # Mobile numbers are personal data, encrypted at rest: never copied here, even from the phone field.
    assert "13812348888" not in text and "13900002222" not in text


def test_contact_mobile_is_normalised_and_refused_when_wrong(owner, chengdu_enterprise):
    contact = services.contact_create(
        actor=owner, enterprise=chengdu_enterprise, name="李四", mobile="+86 139 0000 2222"
    )
    assert contact.mobile == "13900002222"
    with pytest.raises(DomainError) as exc:
        services.contact_create(actor=owner, enterprise=chengdu_enterprise, name="赵五", mobile="0123")
    assert exc.value.field == "mobile"
    with pytest.raises(DomainError) as exc:
        services.contact_create(actor=owner, enterprise=chengdu_enterprise, name="赵五", email="not-an-email")
    assert exc.value.field == "email"


def test_only_one_primary_contact(owner, chengdu_enterprise):
    second = services.contact_create(actor=owner, enterprise=chengdu_enterprise, name="李四", is_primary=True)
    assert list(Contact.objects.filter(enterprise=chengdu_enterprise, is_primary=True)) == [second]


def test_merge_moves_everything_and_is_audited(owner, chengdu_enterprise):
    duplicate = services.enterprise_create(actor=owner, name="比亞迪股份有限公司", employees=500)
    services.contact_create(actor=owner, enterprise=duplicate, name="钱七")
    visit = services.visit_create(
        actor=owner,
        enterprise=duplicate,
        visited_on=datetime.date(2022, 9, 2),
        mode="phone",
        staff=[owner],
        status=Visit.Status.COMPLETED,
    )
    assert [len(g) for g in selectors.duplicate_groups(user=owner)] == [2]
    services.enterprise_merge(actor=owner, survivor=chengdu_enterprise, duplicate=duplicate, reason="同一家企业")
    chengdu_enterprise.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.merged_into == chengdu_enterprise
    assert set(chengdu_enterprise.contacts.values_list("name", flat=True)) == {"王磊", "钱七"}
    visit.refresh_from_db()
    assert visit.enterprise == chengdu_enterprise
    assert chengdu_enterprise.employees == 500  # filled from the duplicate
    assert chengdu_enterprise.last_visit_on == datetime.date(2022, 9, 2)
    assert "钱七" in chengdu_enterprise.search_text
    assert AuditEntry.objects.filter(target_id=str(duplicate.pk), action="delete", note__contains="同一家企业").exists()
    assert selectors.duplicate_groups(user=owner) == []
    assert duplicate not in selectors.enterprises_for_user(user=owner)


def test_merge_needs_a_reason(owner, chengdu_enterprise):
    duplicate = services.enterprise_create(actor=owner, name="比亚迪股份有限公司（重复）")
    with pytest.raises(DomainError) as exc:
        services.enterprise_merge(actor=owner, survivor=chengdu_enterprise, duplicate=duplicate, reason=" ")
    assert exc.value.field == "reason"


def test_a_joint_visit_is_shared_with_every_units_staff(owner, dispatcher, chengdu_enterprise):
    from investdesk.core import policy

    visit = services.visit_create(
        actor=owner,
        enterprise=chengdu_enterprise,
        visited_on=datetime.date(2022, 9, 5),
        mode="video",
        staff=[owner, dispatcher],
        status=Visit.Status.COMPLETED,
        problems=["跨省运输受阻", " ", "缺少货车通行证"],
    )
    assert set(visit.units.all()) == {owner.unit, dispatcher.unit}
    assert list(visit.problems.values_list("description", flat=True)) == ["跨省运输受阻", "缺少货车通行证"]
    assert visit in policy.visible(dispatcher, Visit.objects.all())
    chengdu_enterprise.refresh_from_db()
    assert chengdu_enterprise.last_visit_on == datetime.date(2022, 9, 5)


def test_a_completed_visit_cannot_be_in_the_future(owner, chengdu_enterprise):
    with time_machine.travel(datetime.datetime(2022, 9, 5, 10, 0)), pytest.raises(DomainError) as exc:
        services.visit_create(
            actor=owner,
            enterprise=chengdu_enterprise,
            visited_on=datetime.date(2022, 9, 6),
            mode="phone",
            staff=[owner],
            status=Visit.Status.COMPLETED,
        )
    assert exc.value.field == "visited_on"


def test_a_visit_of_an_action_must_fall_in_its_period(owner, chengdu_enterprise):
    action = services.service_action_create(
        actor=owner,
        name="进千企",
        starts_on=datetime.date(2022, 8, 1),
        ends_on=datetime.date(2022, 9, 30),
        questions=["问政策", "问需求"],
    )
    with pytest.raises(DomainError) as exc:
        services.visit_create(
            actor=owner,
            enterprise=chengdu_enterprise,
            visited_on=datetime.date(2022, 10, 8),
            mode="phone",
            staff=[owner],
            action=action,
            status=Visit.Status.COMPLETED,
        )
    assert exc.value.field == "visited_on"
    assert not Visit.objects.exists()


def test_an_action_cannot_end_before_it_starts(owner):
    with pytest.raises(DomainError) as exc:
        services.service_action_create(
            actor=owner, name="x", starts_on=datetime.date(2022, 9, 2), ends_on=datetime.date(2022, 9, 1)
        )
    assert exc.value.field == "ends_on"
