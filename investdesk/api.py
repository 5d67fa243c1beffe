"""The /api/v1 REST API: one NinjaAPI, one auth scheme, one error shape for every module.

Conventions every router follows (docs/api.md):
* auth: `Authorization: Bearer <personal token>`, or the browser session (with CSRF);
* lists take `limit`/`offset` (and `q` where searching makes sense) and answer {"items": [...], "count": N};
* errors answer {"detail": "...", "errors": [{"field": ..., "message": ...}]}; 401 unauthenticated,
  404 for records outside the caller's scope (existence does not leak), 409 for a stale `version`.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth

from investdesk.core import selectors
from investdesk.core.errors import DomainError
from investdesk.core.middleware import pending_account_step


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = selectors.api_token_user(key=token)
        if user is not None:
            request.user = user
        return user


class VerifiedSession(SessionAuth):
    """The browser session, only once the password is changed and any second factor proven."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None and pending_account_step(user) is None:
            return user
        return None


api = NinjaAPI(
    title="InvestDesk API",
    version="1",
    urls_namespace="api",
    auth=[BearerToken(), VerifiedSession()],
    docs_url="/docs",
)


def _error(request, status: int, detail: str, errors: list[dict] | None = None):
    return api.create_response(request, {"detail": detail, "errors": errors or []}, status=status)


def _field(loc) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "form", "cookie", "header")]
    return ".".join(parts) or None


@api.exception_handler(ValidationError)
def _validation(request, exc: ValidationError):
    errors = [
        {"field": _field(e.get("loc", ())), "message": e.get("msg", ""), "code": e.get("type", "invalid")}
        for e in exc.errors
    ]
    return _error(request, 422, _("Some fields are not valid."), errors)


@api.exception_handler(DomainError)
def _domain(request, exc: DomainError):
    return _error(request, exc.status, exc.message, [exc.as_dict()])


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(request, 401, _("Authentication required: send Authorization: Bearer <token>."))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, _("Not found."))


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, 403, _("You do not have permission to do this."))


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    return _error(request, exc.status_code, str(exc))


from investdesk.cases.api import router as cases_router  # noqa: E402
from investdesk.core.api import router as core_router  # noqa: E402
from investdesk.emergency.api import router as emergency_router  # noqa: E402
from investdesk.enterprises.api import router as enterprises_router  # noqa: E402
from investdesk.outreach.api import router as outreach_router  # noqa: E402
from investdesk.projects.api import router as projects_router  # noqa: E402
from investdesk.reports.api import router as reports_router  # noqa: E402

api.add_router("/", core_router)
api.add_router("/", enterprises_router)
api.add_router("/", cases_router)
api.add_router("/", projects_router)
api.add_router("/", outreach_router)
api.add_router("/", emergency_router)
api.add_router("/", reports_router)
