"""Contacts' and key people's personal data: masked by default, in full (and audited) only for VIEW_PERSONAL."""

import pytest

from investdesk.core.models import AuditEntry
from investdesk.enterprises import services
from investdesk.enterprises.models import Chamber, Contact

MOBILE, MASKED = "13812348888", "138****8888"  # 王磊, the contact of the chengdu_enterprise fixture
EMAIL = "wanglei@byd.example.com"


def _views(target) -> int:
    return AuditEntry.objects.filter(
        action=AuditEntry.Action.VIEW_PERSONAL, target_type=target._meta.label_lower, target_id=str(target.pk)
    ).count()


def test_the_detail_page_shows_contacts_in_full_to_staff_and_audits_it(client_for, owner, chengdu_enterprise):
    page = client_for(owner).get(f"/enterprises/{chengdu_enterprise.pk}/").content.decode()
    assert MOBILE in page and EMAIL in page
    assert _views(chengdu_enterprise) == 1


def test_without_view_personal_the_detail_page_is_masked_and_not_audited(client_for, reader, chengdu_enterprise):
    page = client_for(reader).get(f"/enterprises/{chengdu_enterprise.pk}/").content.decode()
    assert MASKED in page and MOBILE not in page
    assert EMAIL not in page and "w***@byd.example.com" in page
    assert _views(chengdu_enterprise) == 0


def test_lists_are_masked_even_for_staff(client_for, owner, chengdu_enterprise):
    page = client_for(owner).get("/enterprises/").content.decode()
    assert MASKED in page and MOBILE not in page
    assert _views(chengdu_enterprise) == 0


def test_the_edit_form_is_prefilled_for_staff_and_audited(client_for, owner, chengdu_enterprise):
    contact = chengdu_enterprise.contacts.get()
    page = client_for(owner).get(f"/enterprises/{chengdu_enterprise.pk}/contacts/{contact.pk}/").content.decode()
    assert f'value="{MOBILE}"' in page
    assert _views(contact) == 1


def test_without_view_personal_the_edit_form_withholds_and_keeps_the_details(client_for, sysadmin, chengdu_enterprise):
    contact = chengdu_enterprise.contacts.get()
    url = f"/enterprises/{chengdu_enterprise.pk}/contacts/{contact.pk}/"
    client = client_for(sysadmin)
    page = client.get(url).content.decode()
    assert MOBILE not in page and EMAIL not in page and MASKED in page
    assert _views(contact) == 0
    # Left blank, the withheld details stay; the title changes.
    form = {"name": "王磊", "title": "董事长", "mobile": "", "email": "", "preferred_channel": "phone", "version": 1}
    assert client.post(url, form).status_code == 302
    contact.refresh_from_db()
    assert (contact.title, contact.mobile, contact.email) == ("董事长", MOBILE, EMAIL)
    # A new number replaces it, and the blind index follows.
    assert client.post(url, {**form, "mobile": "139 0000 2222", "version": 2}).status_code == 302
    contact.refresh_from_db()
    assert contact.mobile == "13900002222"
    assert Contact.objects.filter(mobile_index=contact.mobile_index).count() == 1


def test_a_change_of_hidden_digits_is_saved_and_audited_masked(owner, chengdu_enterprise):
    contact = chengdu_enterprise.contacts.get()
    # 138 1234 8888 → 138 9999 8888: the masks are equal, the numbers are not.
    services.contact_update(actor=owner, contact=contact, version=None, mobile="13899998888")
    contact.refresh_from_db()
    assert contact.mobile == "13899998888" and contact.version == 2
    entries = AuditEntry.objects.filter(target_type="enterprises.contact", target_id=str(contact.pk))
    entry = entries.get(action=AuditEntry.Action.UPDATE)
    assert entry.changes["mobile"] == [MASKED, MASKED]
    created = entries.get(action=AuditEntry.Action.CREATE)
    assert MOBILE not in str(created.changes) and "mobile_index" not in created.changes


def test_the_api_lists_contacts_masked(client, owner, chengdu_enterprise):
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("token", "create", "--user", owner.username, stdout=out)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {out.getvalue().strip()}"}
    [item] = client.get(f"/api/v1/enterprises/{chengdu_enterprise.pk}/contacts", **auth).json()["items"]
    assert (item["mobile"], item["email"]) == (MASKED, "w***@byd.example.com")
    assert _views(chengdu_enterprise) == 0


@pytest.fixture
def chamber(owner):
    return services.chamber_create(
        actor=owner,
        name="河南省四川商会",
        kind=Chamber.Kind.OTHER_PROVINCE,
        people=[("陈泽民", "名誉会长", "13900001111")],
    )


def test_key_people_are_shown_in_full_to_staff_and_masked_otherwise(client_for, owner, reader, chamber):
    page = client_for(reader).get(f"/enterprises/chambers/{chamber.pk}/").content.decode()
    assert "139****1111" in page and "13900001111" not in page
    assert _views(chamber) == 0
    page = client_for(owner).get(f"/enterprises/chambers/{chamber.pk}/").content.decode()
    assert "13900001111" in page
    assert _views(chamber) == 1


def test_a_key_persons_mobile_is_checked_and_kept_by_an_editor_who_cannot_see_it(client_for, owner, sysadmin, chamber):
    with pytest.raises(Exception, match="大陆手机号"):
        services.chamber_create(actor=owner, name="商会", kind=Chamber.Kind.INDUSTRY, people=[("张三", "会长", "123")])
    url = f"/enterprises/chambers/{chamber.pk}/edit/"
    client = client_for(sysadmin)
    page = client.get(url).content.decode()
    assert "13900001111" not in page and "陈泽民，名誉会长" in page
    body = {"name": chamber.name, "kind": chamber.kind, "note": "", "version": chamber.version}
    assert client.post(url, {**body, "people": "陈泽民，名誉会长\n刘永好，会长"}).status_code == 302
    people = {p.name: p.mobile for p in chamber.people.all()}
    assert people == {"陈泽民": "13900001111", "刘永好": ""}
    # Staff see the number in the form (that view audited) and so can clear it.
    page = client_for(owner).get(url).content.decode()
    assert "陈泽民，名誉会长，13900001111" in page and _views(chamber) == 1
