import pytest
from django.core.exceptions import ImproperlyConfigured

from investdesk.lib import env
from investdesk.lib.chinese_text import normalize_query, search_key
from investdesk.lib.mailurl import email_settings
from investdesk.lib.masking import mask_email, mask_id_number, mask_phone
from investdesk.lib.phones import normalize_mobile


@pytest.mark.parametrize(
    ("raw", "masked"),
    [
        ("13812345678", "138****5678"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        ("028-86123456", "028-****3456"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_phone(raw, masked):
    assert mask_phone(raw) == masked


def test_mask_id_number_keeps_region_and_last_four():
    assert mask_id_number("510104199001011234") == "510104********1234"


def test_mask_email():
    assert mask_email("zhangjing@scjhj.gov.cn") == "z***@scjhj.gov.cn"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("0086 13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("12812345678", None),  # no mainland mobile starts with 12
        ("1381234567", None),  # ten digits
        ("028-86123456", None),  # a landline is not a mobile
    ],
)
def test_normalize_mobile(raw, normalized):
    assert normalize_mobile(raw) == normalized


def test_search_key_finds_by_characters_pinyin_initials_and_traditional():
    key = search_key("张静")
    for query in ["张静", "zhangjing", "zj", "張靜", "ＺＨＡＮＧ"]:
        assert normalize_query(query) in key, query


def test_envbool_refuses_nonsense(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env.envbool("X_FLAG", False)
    monkeypatch.setenv("X_FLAG", "0")
    assert env.envbool("X_FLAG", True) is False


def test_envint_names_the_variable(monkeypatch):
    monkeypatch.setenv("X_NUM", "ten")
    with pytest.raises(ImproperlyConfigured, match="X_NUM"):
        env.envint("X_NUM", 1)


def test_email_url_smtp():
    conf = email_settings("smtp://user:p%40ss@127.0.0.1:2525?tls=1")
    assert conf["EMAIL_HOST"] == "127.0.0.1"
    assert conf["EMAIL_PORT"] == 2525
    assert conf["EMAIL_HOST_PASSWORD"] == "p@ss"
    assert conf["EMAIL_USE_TLS"] is True


def test_email_url_unknown_scheme():
    with pytest.raises(ImproperlyConfigured):
        email_settings("pigeon://coop")
