import datetime

import pytest
from django.db import connection

from investdesk.enterprises import selectors, services
from investdesk.enterprises.models import Enterprise, Visit
from investdesk.enterprises.selectors import EnterpriseFilter
from investdesk.lib.chinese_text import normalize_query


def _names(user, **filters):
    return {e.name for e in selectors.enterprises_for_user(user=user, filters=EnterpriseFilter(**filters))}


@pytest.fixture
def catl(owner):
    return services.enterprise_create(
        actor=owner, name="宁德时代新能源科技股份有限公司", name_en="CATL", city="yibin", is_listed=True
    )


@pytest.mark.parametrize(
    "query",
    [
        "比亚迪",
        "亚迪",
        "byd",
        "BYD",
        "biyadi",
        "Company Limited",
        "914403001922038216",
        "王磊",
        "wanglei",
        "13812348888",
        "+86 138-1234-8888",
        "比亞迪",
    ],
)
def test_search_finds_by_any_part(owner, chengdu_enterprise, catl, query):
    assert _names(owner, q=query) == {"比亚迪股份有限公司"}


def test_a_mobile_number_is_found_only_whole(owner, chengdu_enterprise, catl):
    # Mobiles are encrypted: the blind index answers an exact number, never part of one.
    assert _names(owner, q="1381234") == set()
    assert _names(owner, q="8888") == set()


@pytest.mark.parametrize("query", ["宁德时代", "寧德時代", "ningde", "ndsd", "catl"])
def test_search_by_pinyin_and_traditional(owner, chengdu_enterprise, catl, query):
    assert "宁德时代新能源科技股份有限公司" in _names(owner, q=query)


def test_filters(owner, chengdu_enterprise, catl):
    assert _names(owner, city="yibin") == {catl.name}
    assert _names(owner, flags=["key"]) == {chengdu_enterprise.name}
    assert _names(owner, flags=["listed"]) == {catl.name}
    assert _names(owner, liaison=owner.pk) == {chengdu_enterprise.name}
    assert _names(owner, not_visited_since=datetime.date(2022, 1, 1)) == {chengdu_enterprise.name, catl.name}


def test_visited_filters_use_completed_visits(owner, chengdu_enterprise, catl):
    services.visit_create(
        actor=owner,
        enterprise=catl,
        visited_on=datetime.date(2022, 9, 3),
        mode="phone",
        staff=[owner],
        status=Visit.Status.COMPLETED,
    )
    assert _names(owner, visited_since=datetime.date(2022, 9, 1)) == {catl.name}
    assert _names(owner, not_visited_since=datetime.date(2022, 9, 1)) == {chengdu_enterprise.name}


def test_another_units_enterprises_are_invisible(owner, outsider, chengdu_enterprise, mianyang_enterprise):
    assert _names(owner) == {chengdu_enterprise.name}
    assert _names(outsider) == {mianyang_enterprise.name}


def test_dispatchers_and_leaders_see_every_enterprise(dispatcher, leader, chengdu_enterprise, mianyang_enterprise):
    assert _names(dispatcher) == _names(leader) == {chengdu_enterprise.name, mianyang_enterprise.name}


def test_contacts_follow_their_enterprise(owner, outsider, chengdu_enterprise):
    from investdesk.core import policy
    from investdesk.enterprises.models import Contact

    assert policy.visible(owner, Contact.objects.all()).count() == 1
    assert policy.visible(outsider, Contact.objects.all()).count() == 0


def test_other_units_recent_visits_show_only_when_and_who(owner, outsider, dispatcher, chengdu_enterprise):
    services.visit_create(
        actor=dispatcher,
        enterprise=chengdu_enterprise,
        visited_on=datetime.date.today(),
        mode="video",
        staff=[dispatcher],
        status=Visit.Status.COMPLETED,
        summary="内部纪要",
    )
    others = selectors.recent_visits_by_others(user=owner, enterprise=chengdu_enterprise)
    assert len(others) == 1 and others[0].units == "企业服务处"
    assert not hasattr(others[0], "summary")
    assert selectors.recent_visits_by_others(user=dispatcher, enterprise=chengdu_enterprise) == []


def test_stale_key_enterprises(owner, chengdu_enterprise, catl):
    stale = selectors.stale_key_enterprises(user=owner, days=30)
    assert list(stale) == [chengdu_enterprise]  # the only key enterprise, never visited
    services.visit_create(
        actor=owner,
        enterprise=chengdu_enterprise,
        visited_on=datetime.date.today(),
        mode="phone",
        staff=[owner],
        status=Visit.Status.COMPLETED,
    )
    assert not selectors.stale_key_enterprises(user=owner, days=30).exists()


def test_service_action_progress_figures(owner, colleague, chengdu_enterprise, catl, units):
    third = services.enterprise_create(actor=owner, name="成都第三家公司")
    action = services.service_action_create(
        actor=owner,
        name="进千企",
        starts_on=datetime.date(2022, 8, 1),
        ends_on=datetime.date(2022, 9, 30),
        questions=["问政策"],
    )
    services.service_action_add_targets(actor=owner, action=action, enterprises=[chengdu_enterprise, catl, third])
    day = datetime.date(2022, 9, 2)
    services.visit_create(
        actor=owner,
        enterprise=chengdu_enterprise,
        visited_on=day,
        mode="online",
        staff=[owner],
        action=action,
        status=Visit.Status.COMPLETED,
        problems=["物流受阻", "缺工"],
    )
    services.visit_create(
        actor=colleague,
        enterprise=chengdu_enterprise,
        visited_on=day,
        mode="phone",
        staff=[colleague],
        action=action,
        status=Visit.Status.COMPLETED,
        problems=["融资难"],
    )
    services.visit_create(
        actor=owner,
        enterprise=catl,
        visited_on=day,
        mode="phone",
        staff=[owner],
        action=action,
        status=Visit.Status.DRAFT,
        problems=["不计入"],
    )
    progress = selectors.service_action_progress(action=action)
    assert (progress.targets, progress.visited, progress.not_visited) == (3, 1, 2)
    assert (progress.visits, progress.problems, progress.enterprises_with_problems) == (2, 3, 1)
    assert [(row.unit, row.targets, row.visited) for row in progress.by_unit] == [(units.chengdu, 3, 1)]
    assert set(selectors.service_action_unvisited(user=owner, action=action)) == {catl, third}


POSTGRES = connection.vendor == "postgresql"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("比亚", {"比亚迪股份有限公司"}),  # a pair at an odd position of search_text …
        ("亚迪", {"比亚迪股份有限公司"}),  # … and at an even one
        ("時代", {"宁德时代新能源科技股份有限公司"}),
        ("股份", {"比亚迪股份有限公司", "宁德时代新能源科技股份有限公司"}),
        ("by", {"比亚迪股份有限公司"}),
        ("nd", {"宁德时代新能源科技股份有限公司"}),
        ("ND", {"宁德时代新能源科技股份有限公司"}),  # folded to lower case
        ("王磊", {"比亚迪股份有限公司"}),  # a contact's name
        ("迪宁", set()),
        ("xq", set()),
        ("b_", set()),  # LIKE's wildcards are plain characters in a query
        ("%d", set()),
    ],
)
def test_two_character_search(owner, chengdu_enterprise, catl, query, expected):
    # On PostgreSQL a two-character query goes through the bigram index, not LIKE: the same rows.
    assert _names(owner, q=query) == expected
    every = Enterprise.objects.all()
    assert expected == {e.name for e in every if normalize_query(query) in e.search_text}


@pytest.mark.skipif(not POSTGRES, reason="the bigram function and index are PostgreSQL's (migration 0005)")
@pytest.mark.parametrize("text", ["", "a", "ab", "abc", "华兴电子 | huaxing | hx", " a b  cd ef|g ", "比亚迪 | 02 888"])
@pytest.mark.django_db
def test_the_bigrams_are_every_pair_without_a_space(text):
    with connection.cursor() as cursor:
        cursor.execute("SELECT investdesk_bigrams(%s)", [text])
        bigrams = cursor.fetchone()[0]
    pairs = {text[i : i + 2] for i in range(len(text) - 1)}
    assert {b for b in bigrams if len(b) == 2} == {p for p in pairs if " " not in p}


@pytest.mark.skipif(not POSTGRES, reason="the bigram index is PostgreSQL's (migration 0005)")
def test_a_two_character_search_can_use_the_bigram_index(owner, chengdu_enterprise, catl):
    # Two rows are cheaper to scan than any index, so scans are turned off: a plan that still finds
    # the rows proves the expression the selector writes is the one the index was built on.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    queryset = Enterprise.objects.filter(selectors._search("亚迪"))
    assert "Bitmap Index Scan on enterprise_search_bigrams" in queryset.explain()
    assert [e.name for e in queryset] == ["比亚迪股份有限公司"]
