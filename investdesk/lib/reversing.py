"""URLs of records, reversed once per route rather than once per row.

Django's `reverse()` walks the URL patterns and checks the arguments against each candidate: about
50 µs a call. A board of 350 project cards links each card twice; a list page links every row. The
URL of `projects:detail` for one pk differs from another pk's only where the pk is written, so
`reverse_fast` reverses a route once with placeholder numbers, keeps the result as a template, and
fills in the numbers of later calls (about 1 µs).

Only calls whose arguments are all non-negative ints take the template (record ids): int and path
converters write an int as its digits, which is what the template writes. Anything else — keyword
arguments, strings, a route whose pattern refuses the placeholder (`[0-9]{4}`), or whose result does
not show each placeholder exactly once (a custom converter) — goes through `reverse()` as before.
The template is kept per URLconf, script prefix, language and current app, the things `reverse()`
depends on besides its arguments.
"""

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import translation

# Placeholders no URL contains by chance; one per argument position.
_PLACEHOLDER = 987_654_300
_templates: dict[tuple, list[str] | None] = {}


def reverse_fast(viewname: str, args=(), kwargs=None, current_app: str | None = None) -> str:
    if kwargs or not all(type(arg) is int and arg >= 0 for arg in args):
        return reverse(viewname, args=args, kwargs=kwargs, current_app=current_app)
    key = (
        viewname,
        len(args),
        current_app,
        get_urlconf() or settings.ROOT_URLCONF,
        get_script_prefix(),
        translation.get_language(),
    )
    try:
        parts = _templates[key]
    except KeyError:
        parts = _templates[key] = _template(viewname, len(args), current_app)
    if parts is None:
        return reverse(viewname, args=args, current_app=current_app)
    url = parts[0]
    for arg, part in zip(args, parts[1:], strict=True):
        url += str(arg) + part
    return url


def _template(viewname: str, count: int, current_app: str | None) -> list[str] | None:
    """The route's URL split at each placeholder, or None when the route cannot be templated (the
    caller then reverses every call, and reverse() raises NoReverseMatch where it should)."""
    placeholders = [str(_PLACEHOLDER + i) for i in range(count)]
    try:
        url = reverse(viewname, args=[int(p) for p in placeholders], current_app=current_app)
    except NoReverseMatch:
        return None
    parts: list[str] = []
    rest = url
    for placeholder in placeholders:
        if url.count(placeholder) != 1 or placeholder not in rest:
            return None
        head, rest = rest.split(placeholder, 1)
        parts.append(head)
    parts.append(rest)
    return parts
