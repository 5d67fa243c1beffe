"""Personal data at rest: SM4 and SM3 known answers, tokens, rotation, the raw column, blind-index search."""

import base64
import io

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from investdesk.core import crypto
from investdesk.core.crypto import CryptoError, SoftwareSM4Provider, get_provider, hmac_sm3, sm3
from investdesk.core.fields import (
    BlindIndexField,
    EncryptedCharField,
    blind_index_for,
    blind_index_q,
    reencrypt,
)
from investdesk.enterprises import selectors, services
from investdesk.enterprises.models import ChamberPerson, Contact, Enterprise
from investdesk.enterprises.selectors import EnterpriseFilter

K1 = bytes.fromhex("00112233445566778899aabbccddeeff")
K2 = bytes.fromhex("ffeeddccbbaa99887766554433221100")
INDEX_KEY = bytes.fromhex("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0")
MOBILE = "13812348888"  # 王磊, the contact of the chengdu_enterprise fixture


@pytest.fixture
def keys(settings):
    """Real keys instead of the ones derived from SECRET_KEY: k1 current."""
    settings.PERSONAL_DATA_KEYS = {"k1": K1}
    settings.PERSONAL_DATA_INDEX_KEY = INDEX_KEY
    return settings


def _raw(model, column: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {model._meta.db_table} ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def _set_raw(model, column: str, value: str, pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {model._meta.db_table} SET {column} = %s WHERE id = %s", [value, pk])


# --- known answers --------------------------------------------------------------------------------


def test_sm4_known_answer_from_gb_t_32907():
    key = plaintext = bytes.fromhex("0123456789abcdeffedcba9876543210")
    encryptor = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()
    assert (encryptor.update(plaintext) + encryptor.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


@pytest.mark.parametrize(
    ("message", "digest"),
    [
        (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
        (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
    ],
)
def test_sm3_known_answers_from_gb_t_32905(message, digest):
    assert sm3(message).hex() == digest
    assert get_provider().sm3(message).hex() == digest


def test_hmac_sm3_is_rfc_2104_over_sm3():
    assert crypto.HASH_NAME == "HMAC-SM3"
    key, message = b"audit chain key", b"entry"
    block = key.ljust(64, b"\0")  # SM3 has 64-byte blocks
    inner = sm3(bytes(b ^ 0x36 for b in block) + message)
    assert hmac_sm3(key, message) == sm3(bytes(b ^ 0x5C for b in block) + inner)


# --- tokens -----------------------------------------------------------------------------------------


def test_round_trip_with_a_fresh_nonce_each_time(keys):
    provider = get_provider()
    first, second = provider.encrypt(MOBILE), provider.encrypt(MOBILE)
    assert first.startswith("sm4:k1:") and second.startswith("sm4:k1:") and first != second
    assert MOBILE not in first
    assert provider.decrypt(first) == provider.decrypt(second) == MOBILE
    assert provider.decrypt(provider.encrypt("陈泽民 510104199001011230")) == "陈泽民 510104199001011230"


def test_a_changed_token_does_not_decrypt(keys):
    provider = get_provider()
    token = provider.encrypt(MOBILE)
    scheme, key_id, payload = token.split(":")
    raw = bytearray(base64.urlsafe_b64decode(payload))
    for position in (0, 13, len(raw) - 1):  # nonce, ciphertext, tag
        damaged = bytearray(raw)
        damaged[position] ^= 1
        with pytest.raises(CryptoError):
            provider.decrypt(f"{scheme}:{key_id}:{base64.urlsafe_b64encode(bytes(damaged)).decode()}")
    # The header is authenticated too: the same bytes under another key id do not decrypt.
    both = SoftwareSM4Provider({"k1": K1, "k0": K1}, INDEX_KEY)
    with pytest.raises(CryptoError):
        both.decrypt(f"{scheme}:k0:{payload}")
    with pytest.raises(CryptoError):
        provider.decrypt(f"{scheme}:k1:{payload[:-8]}")
    with pytest.raises(CryptoError, match="No key 'k9'"):
        provider.decrypt(f"{scheme}:k9:{payload}")


def test_the_cbc_and_hmac_sm3_fallback_round_trips_and_detects_tampering():
    cbc = SoftwareSM4Provider({"k1": K1}, INDEX_KEY, use_gcm=False)
    token = cbc.encrypt(MOBILE)
    assert token.startswith("sm4cbc:k1:") and cbc.decrypt(token) == MOBILE
    payload = bytearray(base64.urlsafe_b64decode(token.split(":")[2]))
    payload[20] ^= 1
    with pytest.raises(CryptoError, match="authenticate"):
        cbc.decrypt("sm4cbc:k1:" + base64.urlsafe_b64encode(bytes(payload)).decode())
    # Both modes read each other's tokens, so a deployment can move from one to the other.
    gcm = SoftwareSM4Provider({"k1": K1}, INDEX_KEY, use_gcm=True)
    assert gcm.decrypt(token) == MOBILE and cbc.decrypt(gcm.encrypt(MOBILE)) == MOBILE
    assert gcm.needs_rekey(token) and not cbc.needs_rekey(token)


def test_the_blind_index_is_keyed_and_deterministic(keys):
    provider = get_provider()
    assert provider.blind_index(MOBILE) == provider.blind_index(MOBILE)
    assert len(provider.blind_index(MOBILE)) == 64
    assert provider.blind_index(MOBILE) != SoftwareSM4Provider({"k1": K1}, INDEX_KEY[::-1]).blind_index(MOBILE)
    assert provider.blind_index(MOBILE) != sm3(MOBILE.encode()).hex()  # not a plain hash one could tabulate
    mobile = Contact._meta.get_field("mobile")
    assert blind_index_for(mobile, "+86 138-1234-8888") == blind_index_for(mobile, MOBILE)
    assert blind_index_for(mobile, "") == ""


def test_keys_from_the_environment_are_checked():
    assert crypto.parse_keys("k2:" + K2.hex() + ", k1:" + K1.hex()) == {"k2": K2, "k1": K1}
    assert list(crypto.parse_keys("k2:" + K2.hex() + ",k1:" + K1.hex())) == ["k2", "k1"]  # the first is current
    for bad in ("k1:00", "k1:" + "zz" * 16, K1.hex(), "k1:" + K1.hex() + ",k1:" + K2.hex(), "k:1:" + K1.hex()):
        with pytest.raises(ImproperlyConfigured):
            crypto.parse_keys(bad)
    assert crypto.parse_index_key("") is None
    assert crypto.parse_index_key(INDEX_KEY.hex()) == INDEX_KEY
    with pytest.raises(ImproperlyConfigured):
        crypto.parse_index_key("00" * 8)


def test_the_provider_is_chosen_by_a_dotted_path(settings, owner, mianyang_enterprise):
    # A hardware module's provider replaces the software one without any change to models or services.
    settings.CRYPTO_PROVIDER = "investdesk.core.tests.test_crypto.ReversingProvider"
    assert isinstance(get_provider(), ReversingProvider)
    Contact.objects.create(enterprise=mianyang_enterprise, name="李四", mobile="13900002222")
    assert _raw(Contact, "mobile")[0].startswith("hsm:hsm1:") and Contact.objects.get().mobile == "13900002222"
    assert Contact.objects.filter(blind_index_q(Contact, "mobile", "13900002222")).exists()
    settings.CRYPTO_PROVIDER = "investdesk.lib.masking.mask_phone"
    with pytest.raises(ImproperlyConfigured):
        get_provider()


class ReversingProvider(crypto.CryptoProvider):
    """What a hardware module's provider has to implement (here a toy)."""

    current_key_id = "hsm1"

    def encrypt(self, plaintext: str) -> str:
        return "hsm:hsm1:" + base64.urlsafe_b64encode(plaintext[::-1].encode()).decode()

    def decrypt(self, token: str) -> str:
        return base64.urlsafe_b64decode(token.split(":")[2]).decode()[::-1]

    def blind_index(self, value: str) -> str:
        return sm3(value.encode()).hex()


def test_the_deploy_check_warns_about_keys_derived_from_the_secret_key(settings):
    assert {m.id for m in crypto.check_personal_data_keys()} == {"investdesk.W001", "investdesk.W002"}
    settings.PERSONAL_DATA_KEYS = {"k1": K1, crypto.DERIVED_KEY_ID: K2}
    settings.PERSONAL_DATA_INDEX_KEY = INDEX_KEY
    assert crypto.check_personal_data_keys() == []
    assert crypto.check_crypto_provider() == []
    settings.PERSONAL_DATA_KEYS = {}
    assert [m.id for m in crypto.check_crypto_provider()] == ["investdesk.E001"]


# --- the fields -------------------------------------------------------------------------------------


def test_fields_deconstruct_for_migrations():
    field = EncryptedCharField("ID", max_length=18, blank=True, mask="investdesk.lib.masking.mask_id_number")
    _name, path, args, kwargs = field.deconstruct()
    assert path == "investdesk.core.fields.EncryptedCharField"
    assert kwargs == {
        "verbose_name": "ID",
        "max_length": 18,
        "blank": True,
        "mask": "investdesk.lib.masking.mask_id_number",
    }
    assert EncryptedCharField(*args, **kwargs).mask("510104199001011230") == "510104********1230"
    index = BlindIndexField(source="mobile")
    assert index.deconstruct()[1:] == ("investdesk.core.fields.BlindIndexField", [], {"source": "mobile"})
    assert (index.max_length, index.db_index, index.editable) == (64, True, False)


def test_the_raw_column_holds_ciphertext_and_the_attribute_plaintext(keys, chengdu_enterprise):
    contact = chengdu_enterprise.contacts.get()
    assert contact.mobile == MOBILE
    [stored] = _raw(Contact, "mobile")
    assert stored.startswith("sm4:k1:") and MOBILE not in stored and "8888" not in stored
    [index] = _raw(Contact, "mobile_index")
    assert index == get_provider().blind_index(MOBILE) and MOBILE not in index
    # Nor is it anywhere else in the row, or in the enterprise's search text.
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Contact._meta.db_table}")
        assert not any(MOBILE in str(cell) for row in cursor.fetchall() for cell in row)
    assert MOBILE not in Enterprise.objects.get(pk=chengdu_enterprise.pk).search_text
    assert list(Contact.objects.values_list("mobile", flat=True)) == [MOBILE]


def test_encrypted_columns_refuse_comparisons_but_find_blanks(chengdu_enterprise, owner):
    with pytest.raises(FieldError, match="blind_index_q"):
        list(Contact.objects.filter(mobile=MOBILE))
    with pytest.raises(FieldError, match="encrypted"):
        list(Contact.objects.filter(mobile__contains="8888"))
    services.contact_create(actor=owner, enterprise=chengdu_enterprise, name="前台", phone="028-85123456")
    assert list(Contact.objects.filter(mobile="").values_list("name", flat=True)) == ["前台"]
    assert list(Contact.objects.exclude(mobile="").values_list("name", flat=True)) == ["王磊"]
    assert list(Contact.objects.filter(blind_index_q(Contact, "mobile", "138 1234 8888")).values_list("name")) == [
        ("王磊",)
    ]
    assert not Contact.objects.filter(blind_index_q(Contact, "mobile", "")).exists()


def test_legacy_plaintext_still_reads_and_is_encrypted_on_the_next_pass(keys, chengdu_enterprise):
    contact = chengdu_enterprise.contacts.get()
    _set_raw(Contact, "mobile", MOBILE, contact.pk)  # a row written before encryption
    _set_raw(Contact, "mobile_index", "", contact.pk)
    assert Contact.objects.get().mobile == MOBILE
    assert reencrypt(Contact) == 1
    [stored] = _raw(Contact, "mobile")
    assert stored.startswith("sm4:k1:") and Contact.objects.get().mobile == MOBILE
    assert Contact.objects.filter(blind_index_q(Contact, "mobile", MOBILE)).exists()


def test_bulk_create_fills_the_blind_index(keys, chengdu_enterprise):
    chamber = chengdu_enterprise.chambers.create(
        name="川商总会", kind="provincial", owner_unit=chengdu_enterprise.owner_unit
    )
    ChamberPerson.objects.bulk_create(
        [
            ChamberPerson(chamber=chamber, name="陈泽民", position="名誉会长", mobile="13900001111"),
            ChamberPerson(chamber=chamber, name="刘永好", position="会长"),
        ]
    )
    assert _raw(ChamberPerson, "mobile")[1] == ""
    assert "13900001111" not in _raw(ChamberPerson, "mobile")[0]
    found = ChamberPerson.objects.filter(blind_index_q(ChamberPerson, "mobile", "13900001111"))
    assert [p.name for p in found] == ["陈泽民"]
    assert _raw(ChamberPerson, "mobile_index")[1] == ""


def test_saving_a_mobile_without_its_index_is_refused(chengdu_enterprise):
    contact = chengdu_enterprise.contacts.get()
    contact.mobile = "13900002222"
    with pytest.raises(ValueError, match="mobile_index"):
        contact.save(update_fields=["mobile"])
    contact.save(update_fields=["mobile", "mobile_index"])
    assert Contact.objects.filter(blind_index_q(Contact, "mobile", "13900002222")).exists()


# --- rotation ----------------------------------------------------------------------------------------


def test_rotation_old_keys_decrypt_new_writes_use_the_current_key_and_rekey_moves_everything(
    keys, owner, chengdu_enterprise
):
    services.contact_create(actor=owner, enterprise=chengdu_enterprise, name="李四", mobile="13900002222")
    assert all(value.startswith("sm4:k1:") for value in _raw(Contact, "mobile"))

    # A new key first; the old one still decrypts. A new value is written with the new key.
    keys.PERSONAL_DATA_KEYS = {"k2": K2, "k1": K1}
    assert sorted(Contact.objects.values_list("mobile", flat=True)) == [MOBILE, "13900002222"]
    services.contact_create(actor=owner, enterprise=chengdu_enterprise, name="赵五", mobile="13700003333")
    assert [value.split(":")[1] for value in _raw(Contact, "mobile")] == ["k1", "k1", "k2"]

    # The index key changes too: exact search misses the old rows until `rekey` has run.
    keys.PERSONAL_DATA_INDEX_KEY = INDEX_KEY[::-1]
    assert not Contact.objects.filter(blind_index_q(Contact, "mobile", MOBILE)).exists()
    out = io.StringIO()
    call_command("rekey", "--batch", "2", stdout=out)
    assert "enterprises.Contact: 3 rows" in out.getvalue()
    assert [value.split(":")[1] for value in _raw(Contact, "mobile")] == ["k2", "k2", "k2"]
    assert Contact.objects.filter(blind_index_q(Contact, "mobile", MOBILE)).exists()

    # Now the old key can go.
    keys.PERSONAL_DATA_KEYS = {"k2": K2}
    assert sorted(Contact.objects.values_list("mobile", flat=True)) == ["13700003333", MOBILE, "13900002222"]
    from investdesk.core.models import AuditEntry

    assert AuditEntry.objects.filter(note="personal data re-encrypted with key k2").exists()


def test_a_removed_key_is_a_loud_error(keys, chengdu_enterprise):
    keys.PERSONAL_DATA_KEYS = {"k2": K2}
    with pytest.raises(CryptoError, match="rekey"):
        Contact.objects.get()


# --- blind-index search ------------------------------------------------------------------------------


def _names(user, q):
    return {e.name for e in selectors.enterprises_for_user(user=user, filters=EnterpriseFilter(q=q))}


def test_the_enterprise_list_finds_a_whole_mobile_number_but_not_part_of_one(keys, owner, chengdu_enterprise):
    assert _names(owner, MOBILE) == {"比亚迪股份有限公司"}
    assert _names(owner, "+86 138 1234 8888") == {"比亚迪股份有限公司"}
    assert _names(owner, "1381234") == set()
    assert _names(owner, "13812348889") == set()


def test_the_search_by_mobile_stays_within_what_the_user_may_see(keys, outsider, chengdu_enterprise):
    assert _names(outsider, MOBILE) == set()


def test_the_api_search_finds_a_mobile_number(keys, client, owner, chengdu_enterprise):
    out = io.StringIO()
    call_command("token", "create", "--user", owner.username, stdout=out)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {out.getvalue().strip()}"}
    found = client.get("/api/v1/enterprises", {"q": MOBILE}, **auth).json()["items"]
    assert [e["name"] for e in found] == ["比亚迪股份有限公司"]
    assert client.get("/api/v1/enterprises", {"q": MOBILE[:7]}, **auth).json()["items"] == []
