"""The one permission policy, tested on people (the first unit-owned record) and explicit shares."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from investdesk.core import policy, services
from investdesk.core.models import Access, User


def test_a_user_sees_people_of_their_own_unit(owner, colleague, outsider):
    seen = set(policy.visible(owner, User.objects.all()))
    assert colleague in seen
    assert outsider not in seen


def test_a_parent_unit_sees_its_sub_units(units, owner):
    from investdesk.core.tests.factories import UserFactory

    bureau_staff = UserFactory(username="bureau-staff", unit=units.bureau)
    assert owner in policy.visible(bureau_staff, User.objects.all())
    assert bureau_staff not in policy.visible(owner, User.objects.all())


def test_a_leader_sees_and_edits_everything(leader, owner, outsider, partner):
    assert {owner, outsider, partner} <= set(policy.visible(leader, User.objects.all()))
    assert {owner, outsider, partner} <= set(policy.editable(leader, User.objects.all()))


def test_an_observer_reads_but_never_edits(observer):
    assert observer in policy.visible(observer, User.objects.all())
    assert not policy.editable(observer, User.objects.all()).exists()


def test_another_units_record_is_404_not_403(owner, outsider):
    with pytest.raises(Http404):
        policy.get_visible_or_404(owner, User.objects.all(), pk=outsider.pk)
    with pytest.raises(Http404):
        policy.get_editable_or_404(owner, User.objects.all(), pk=outsider.pk)


def test_a_record_shared_read_only_is_visible_but_not_editable(units, owner, outsider, admin):
    services.record_share(actor=admin, record=outsider, unit=units.chengdu)
    assert outsider in policy.visible(owner, User.objects.all())
    assert outsider not in policy.editable(owner, User.objects.all())
    with pytest.raises(PermissionDenied):
        policy.get_editable_or_404(owner, User.objects.all(), pk=outsider.pk)


def test_a_record_shared_for_editing_is_editable(units, owner, outsider, admin):
    services.record_share(actor=admin, record=outsider, unit=units.chengdu, can_edit=True)
    assert policy.can_edit(owner, outsider)
    services.record_unshare(actor=admin, record=outsider, unit=units.chengdu)
    assert outsider not in policy.visible(owner, User.objects.all())


def test_confidential_records_are_hidden_from_read_all_roles_but_not_from_shares(
    monkeypatch, units, owner, outsider, admin, leader, dispatcher
):
    # People have no confidentiality flag; borrow is_staff as one to exercise the rule
    # that investment projects rely on.
    monkeypatch.setattr(User, "access", Access(owner="unit", confidential="is_staff"))
    outsider.is_staff = True
    outsider.save(update_fields=["is_staff"])
    assert outsider not in policy.visible(dispatcher, User.objects.all())
    assert owner in policy.visible(dispatcher, User.objects.all())  # not confidential: dispatchers read it
    assert outsider not in policy.visible(owner, User.objects.all())
    services.record_share(actor=admin, record=outsider, unit=units.chengdu)
    assert outsider in policy.visible(owner, User.objects.all())
    assert outsider in policy.visible(leader, User.objects.all())


def test_inactive_and_anonymous_users_see_nothing(owner, colleague):
    from django.contrib.auth.models import AnonymousUser

    assert not policy.visible(AnonymousUser(), User.objects.all()).exists()
    owner.is_active = False
    assert not policy.visible(owner, User.objects.all()).exists()


def test_capabilities_follow_the_role(admin, secadmin, auditor, leader, owner, observer):
    assert policy.can(admin, policy.Capability.MANAGE_PEOPLE)
    assert policy.can(secadmin, policy.Capability.MANAGE_ROLES)
    assert policy.can(auditor, policy.Capability.READ_AUDIT)
    assert not policy.can(leader, policy.Capability.MANAGE_PEOPLE)
    assert not policy.can(owner, policy.Capability.READ_AUDIT)
    assert not policy.can(observer, policy.Capability.EDIT_RECORDS)


def test_a_model_without_access_declaration_is_refused(owner):
    from investdesk.core.models import AuditEntry

    with pytest.raises(TypeError, match="declares no"):
        policy.visible(owner, AuditEntry.objects.all())
