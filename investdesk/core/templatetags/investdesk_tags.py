"""Template filters every page may use (registered as builtins in settings)."""

from django import template

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
