import pytest

from investdesk.enterprises import services


@pytest.fixture
def industry(db):
    from investdesk.enterprises.models import Industry

    # Seeded by migration 0002; browser tests (transactional) flush it, so create it again then.
    industry, _ = Industry.objects.get_or_create(code="electronic-information", defaults={"name": "电子信息"})
    return industry


@pytest.fixture
def chengdu_enterprise(owner, industry):
    """比亚迪, registered by the Chengdu bureau, with a contact."""
    enterprise = services.enterprise_create(
        actor=owner,
        name="比亚迪股份有限公司",
        name_en="BYD Company Limited",
        uscc="914403001922038216",
        city="chengdu",
        industry=industry,
        is_key=True,
        liaison=owner,
    )
    services.contact_create(
        actor=owner,
        enterprise=enterprise,
        name="王磊",
        title="总经理",
        mobile="13812348888",
        email="wanglei@byd.example.com",
    )
    return enterprise


@pytest.fixture
def mianyang_enterprise(outsider, industry):
    return services.enterprise_create(
        actor=outsider, name="四川长虹电器股份有限公司", uscc="91110000600037341L", city="mianyang", industry=industry
    )
