"""reverse_fast and the `{% url %}` tag built on it give exactly what Django's reverse gives."""

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, path, re_path, reverse
from django.urls.base import set_script_prefix
from django.urls.converters import IntConverter

from investdesk.lib.reversing import reverse_fast


def _routes(patterns, namespace=""):
    """(name, number of int arguments) of every named route whose arguments are all ints."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _routes(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            converters = getattr(entry.pattern, "converters", {})
            if all(isinstance(c, IntConverter) for c in converters.values()):
                yield f"{namespace}{entry.name}", len(converters)


def test_every_route_of_the_project_reverses_as_django_does():
    routes = sorted(set(_routes(get_resolver().url_patterns)))
    assert len(routes) > 100
    with_ids = [(name, n) for name, n in routes if n]
    assert len(with_ids) > 40
    for name, count in routes:
        for args in ([7, 123456, 0][:count], [2**40, 1, 99][:count]):
            try:
                expected = reverse(name, args=args)
            except NoReverseMatch:
                continue  # a route named twice with other arguments
            assert reverse_fast(name, args=args) == expected, name
            assert reverse_fast(name, args=args) == expected, name  # from its template this time


def test_other_arguments_go_through_reverse():
    assert reverse_fast("enterprises:detail", kwargs={"enterprise_id": 5}) == "/enterprises/5/"
    assert reverse_fast("enterprises:detail", args=["5"]) == "/enterprises/5/"
    with pytest.raises(NoReverseMatch):
        reverse_fast("enterprises:detail", args=[-1])
    with pytest.raises(NoReverseMatch):
        reverse_fast("enterprises:detail", args=[True])  # a bool is not a record id
    with pytest.raises(NoReverseMatch):
        reverse_fast("enterprises:detail", args=[1, 2])
    with pytest.raises(NoReverseMatch):
        reverse_fast("no-such-route", args=[1])


def _year(request, year):  # pragma: no cover - never called
    raise AssertionError


urlpatterns = [
    re_path(r"^year/(?P<year>[0-9]{4})/$", _year, name="year"),
    path("a/<int:a>/b/<int:b>/", _year, name="pair"),
]


@override_settings(ROOT_URLCONF=__name__)
def test_a_route_that_refuses_the_placeholder_is_reversed_every_time():
    assert reverse_fast("year", args=[2026]) == "/year/2026/"
    with pytest.raises(NoReverseMatch):
        reverse_fast("year", args=[20261])  # reverse's own check still applies
    assert reverse_fast("pair", args=[3, 40]) == "/a/3/b/40/"
    assert reverse_fast("pair", args=[0, 7]) == "/a/0/b/7/"


def test_the_script_prefix_is_part_of_the_template():
    try:
        set_script_prefix("/investdesk/")
        assert reverse_fast("enterprises:detail", args=[5]) == "/investdesk/enterprises/5/"
    finally:
        set_script_prefix("/")
    assert reverse_fast("enterprises:detail", args=[5]) == "/enterprises/5/"


def test_the_url_tag_uses_it_with_django_syntax():
    template = Template(
        "{% for pk in ids %}{% url 'enterprises:detail' pk %};{% endfor %}"
        "{% url 'enterprises:detail' enterprise_id=9 %};{% url 'enterprises:list' %};"
        "{% url 'no-such-route' 1 as missing %}[{{ missing }}]{% url 'enterprises:detail' 4 as there %}{{ there }}"
    )
    assert template.render(Context({"ids": [1, 22]})) == (
        "/enterprises/1/;/enterprises/22/;/enterprises/9/;/enterprises/;[]/enterprises/4/"
    )
    with pytest.raises(NoReverseMatch):
        Template("{% url 'no-such-route' 1 %}").render(Context())


def test_a_route_is_reversed_once_for_many_rows(monkeypatch):
    from investdesk.lib import reversing

    calls = []

    def counting(*args, **kwargs):
        calls.append(args)
        return reverse(*args, **kwargs)

    monkeypatch.setattr(reversing, "reverse", counting)
    monkeypatch.setattr(reversing, "_templates", {})
    template = Template("{% for pk in ids %}{% url 'cases:detail' pk %}{% endfor %}")
    html = template.render(Context({"ids": range(1, 301)}))
    assert html.count("/cases/") == 300 and "/cases/300/" in html
    assert len(calls) == 1
