"""The project's select.html (options written by a filter, not two includes each) renders what Django's
own widget templates render."""

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from investdesk.core.models import Unit
from investdesk.enterprises.forms import EnterpriseFilterForm


def _normal(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


class _Everything(forms.Form):
    plain = forms.ChoiceField(choices=[("", "—"), ("a", "A & B <c>"), (3, "三"), ("q\"'", gettext_lazy("Name"))])
    grouped = forms.ChoiceField(
        choices=[("", "none"), ("华东", [("sh", "上海"), ("hz", "杭州")]), ("西南", [("cd", "成都")])]
    )
    many = forms.MultipleChoiceField(choices=[(1, "一"), (2, "二"), (3, mark_safe("<b>三</b>"))])
    with_attrs = forms.ChoiceField(
        choices=[("x", "X")], widget=forms.Select(attrs={"class": "form-select", "data-x": 'a"b', "disabled": True})
    )


@pytest.mark.django_db
def test_selects_render_as_django_renders_them(owner):
    data = {"plain": "3", "grouped": "hz", "many": ["1", "3"], "with_attrs": "x"}
    filters = {"unit": str(Unit.objects.first().pk), "order": "name"}
    for renderer in (None, DjangoTemplates()):  # the project's templates; Django's only (not our DIRS)
        form = _Everything(data, renderer=renderer)
        filter_form = EnterpriseFilterForm(filters, viewer=owner, renderer=renderer)
        fields = [form[name] for name in form.fields] + [filter_form[n] for n in ("city", "unit", "liaison", "order")]
        rendered = [str(field) for field in fields]
        if renderer is None:
            ours = rendered
    assert len(ours) == len(rendered) == 8
    for mine, theirs in zip(ours, rendered, strict=True):
        assert "<option" in mine
        assert _normal(mine) == _normal(theirs)
    assert 'value="3" selected>三</option>' in ours[0]
    assert "A &amp; B &lt;c&gt;" in ours[0] and "<b>三</b>" in ours[2]
    # The filter form's people are read as values: labelled as the people drop-downs label them.
    assert f'<option value="{owner.pk}">刘洋（成都市）</option>' in ours[6]
