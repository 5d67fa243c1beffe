"""Browser-side hardening headers on every response (MLPS 2.0 level 3, OWASP ASVS L2 V14.4, V8.2).

Django's SecurityMiddleware already sends HSTS (when USE_HTTPS), `X-Content-Type-Options: nosniff`
and the Referrer-Policy; XFrameOptionsMiddleware sends `X-Frame-Options: DENY`. This adds:

* `Content-Security-Policy` from settings.SECURE_CSP (or `-Report-Only` from SECURE_CSP_REPORT_ONLY;
  the same dict shape as Django 6.0's settings of those names). No template has an inline script or
  event handler: behaviour lives in static files driven by data attributes (static/investdesk/app.js).
* `Cache-Control: no-store` (and `Pragma: no-cache` for HTTP/1.0 proxies) on every response that is
  not a static file and did not choose its own caching: pages and API answers may carry personal data,
  and nothing of a signed-in session should stay in a browser's or proxy's cache after sign-out.
* `Permissions-Policy` switching off the powerful features the application never uses.
* `Cross-Origin-Opener-Policy: same-origin`, so a page opened from elsewhere cannot script ours.

The Django admin (/django-admin/) and the API docs (/api/v1/docs, django-ninja's bundled Swagger UI)
need no relaxation: Django 5.2's admin has no inline script, and both were checked in Chromium with no
violation reported.

It sits right after SecurityMiddleware, so it also sees the responses WhiteNoise answers for static
files; those keep WhiteNoise's Cache-Control.
"""

from collections.abc import Mapping, Sequence

from django.conf import settings

PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"


def policy_header(policy: Mapping[str, Sequence[str] | str | bool]) -> str:
    """The header value of a policy dict: {"default-src": ["'self'"], "upgrade-insecure-requests": True}
    gives "default-src 'self'; upgrade-insecure-requests"; empty directives are left out."""
    parts = []
    for directive, sources in policy.items():
        if sources is True:
            parts.append(directive)
        elif sources:
            values = [sources] if isinstance(sources, str) else list(sources)
            parts.append(" ".join([directive, *values]))
    return "; ".join(parts)


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        for header, setting in (
            ("Content-Security-Policy", "SECURE_CSP"),
            ("Content-Security-Policy-Report-Only", "SECURE_CSP_REPORT_ONLY"),
        ):
            value = policy_header(getattr(settings, setting, None) or {})
            if value:
                response.headers.setdefault(header, value)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if "Cache-Control" not in response.headers and not self._is_static(request):
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response

    @staticmethod
    def _is_static(request) -> bool:
        return bool(settings.STATIC_URL) and request.path.startswith(settings.STATIC_URL)
