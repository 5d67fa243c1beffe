"""EMAIL_URL → Django email settings: smtp://user:pass@host:port?tls=1&ssl=0&timeout=10, console://, memory://."""

from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "memory": "django.core.mail.backends.locmem.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
}


def email_settings(url: str) -> dict:
    parts = urlsplit(url)
    if parts.scheme not in _BACKENDS:
        raise ImproperlyConfigured(f"EMAIL_URL scheme must be one of {', '.join(_BACKENDS)}; got {url!r}")
    result: dict = {"EMAIL_BACKEND": _BACKENDS[parts.scheme]}
    if parts.scheme == "smtp":
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        result.update(
            EMAIL_HOST=parts.hostname or "localhost",
            EMAIL_PORT=parts.port or 25,
            EMAIL_HOST_USER=unquote(parts.username or ""),
            EMAIL_HOST_PASSWORD=unquote(parts.password or ""),
            EMAIL_USE_TLS=query.get("tls", "0") in {"1", "true", "yes"},
            EMAIL_USE_SSL=query.get("ssl", "0") in {"1", "true", "yes"},
            EMAIL_TIMEOUT=int(query.get("timeout", "10")),
        )
    return result
