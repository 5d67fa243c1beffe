"""Template filters every page may use (registered as builtins in settings)."""

from django import template
from django.template import defaulttags
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe

from investdesk.lib.reversing import reverse_fast

register = template.Library()


@register.filter
def get_item(mapping, key):
    """`{{ mapping|get_item:key }}`: a dict lookup with a variable key."""
    if mapping is None:
        return None
    return mapping.get(key)


@register.filter
def percent(value) -> str:
    """0.4567 → 45.7%"""
    try:
        return f"{float(value) * 100:.1f}%"
    except (TypeError, ValueError):
        return ""


@register.filter
def yuan(value) -> str:
    """Yuan shown in 万元/亿元: {{ project.amount_cny|yuan }} → 3.4亿元"""
    from investdesk.lib.money import format_cny

    return format_cny(value)


@register.filter
def masked_phone(value) -> str:
    """138****5678: personal numbers in lists and boards."""
    from investdesk.lib.masking import mask_phone

    return mask_phone(value)


class _FastURLNode(defaulttags.URLNode):
    """Django's URLNode with reverse_fast in place of reverse (investdesk/lib/reversing.py)."""

    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        url = ""
        try:
            url = reverse_fast(view_name, args=args, kwargs=kwargs, current_app=current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """Django's `{% url %}`, same syntax and result, reversing a record's route once rather than once
    per row (a board links 350 cards twice): registered as a builtin, it replaces Django's tag in
    every template."""
    node = defaulttags.url(parser, token)
    return _FastURLNode(node.view_name, node.args, node.kwargs, node.asvar)


@register.filter(is_safe=True)
def select_options(optgroups) -> str:
    """The inside of a select widget — its `<optgroup>`s and `<option>`s — as Django's select.html and
    select_option.html write it, built in Python: Django's templates include two templates per option,
    and a city bureau's filter form offering its 600 people spent longer on those than on the rest of
    the page (templates/django/forms/widgets/select.html)."""
    html = []
    for group_name, options, _index in optgroups:
        if group_name:
            html.append(format_html('\n  <optgroup label="{}">', group_name))
        for o in options:
            html.append(
                format_html('\n  <option value="{}"{}>{}</option>', str(o["value"]), _attrs(o["attrs"]), o["label"])
            )
        if group_name:
            html.append("\n  </optgroup>")
    return mark_safe("".join(html))


def _attrs(attrs: dict) -> str:
    """Django's attrs.html: `name` for True, nothing for False, otherwise name="value"."""
    return mark_safe(
        "".join(
            ""
            if value is False
            else f" {conditional_escape(name)}"
            if value is True
            else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
            for name, value in attrs.items()
        )
    )
