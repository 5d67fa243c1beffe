import factory

from investdesk.core.tests.factories import UnitFactory
from investdesk.enterprises.models import Contact, Enterprise, Industry
from investdesk.enterprises.services import name_key, search_text_for
from investdesk.lib.identifiers import make_uscc

_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def uscc(n: int, division: str = "510100") -> str:
    organisation = "".join(_ALPHABET[(n // 31**i) % 31] for i in range(9))
    return make_uscc(division=division, organisation=organisation)


class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("code",)

    code = "electronic-information"
    name = "电子信息"


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    uscc = factory.Sequence(lambda n: uscc(n + 1000))
    city = "chengdu"
    owner_unit = factory.SubFactory(UnitFactory)
    name_key = factory.LazyAttribute(lambda e: name_key(e.name))

    @factory.post_generation
    def search(self, create, extracted, **kwargs):
        self.search_text = search_text_for(self, [])
        if create:
            Enterprise.objects.filter(pk=self.pk).update(search_text=self.search_text)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    enterprise = factory.SubFactory(EnterpriseFactory)
    name = factory.Sequence(lambda n: f"联系人{n}")
    mobile = factory.Sequence(lambda n: f"136{n:08d}")
