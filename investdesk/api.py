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
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
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


class ErrorItem(Schema):
    field: str | None
    message: str
    code: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem]


# The errors every operation may answer, in the one shape above: a business rule (400), no or a bad
# token (401), a missing capability (403), a record outside the caller's scope (404), input that does
# not parse (422), the database unavailable for a moment (503, core/middleware.py). A stale `version`
# (409) only where the request sends one.
ERRORS = {
    "400": "A business rule refused the request; `errors` names the field.",
    "401": "No valid token or session.",
    "403": "The caller lacks the capability.",
    "404": "No such record in the caller's scope.",
    "409": "Someone else changed the record since its `version` was read.",
    "422": "Some input does not parse; `errors` names each field.",
    "503": "The database is unavailable for a moment (code `unavailable`); retry after `Retry-After` seconds.",
}


class InvestDeskAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """The document django-ninja derives from the routes, plus the error answers of the conventions
        above (declared once here rather than in every route's `response=`)."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        error = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(error.pop("$defs", {}))
        components["ErrorOut"] = error
        content = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
        for operations in schema["paths"].values():
            for operation in operations.values():
                body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
                sends_version = "version" in _resolve(components, body or {}).get("properties", {})
                for status, description in ERRORS.items():
                    if status != "409" or sends_version:
                        operation["responses"].setdefault(status, {"description": description, "content": content})
        return schema


def _resolve(components: dict, schema: dict) -> dict:
    ref = schema.get("$ref", "")
    return components.get(ref.rsplit("/", 1)[-1], {}) if ref else schema


class NulRefusingParser(Parser):
    """PostgreSQL text cannot hold NUL (U+0000) and no field of ours needs it: a value with one is bad
    input (422 naming the field), not a database error (500)."""

    def parse_body(self, request):
        data = super().parse_body(request)
        _refuse_nul(data, ("body",))
        return data

    def parse_querydict(self, data, list_fields, request):
        result = super().parse_querydict(data, list_fields, request)
        _refuse_nul(result, ("query",))
        return result


def _refuse_nul(data, loc: tuple) -> None:
    found = []

    def walk(value, path):
        if isinstance(value, str):
            if "\x00" in value:
                found.append(path)
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(key, (*path, key))
                walk(item, (*path, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, (*path, i))

    walk(data, loc)
    if found:
        message = _("This value contains a NUL character.")
        raise ValidationError([{"loc": path, "msg": message, "type": "null_character"} for path in found])


api = InvestDeskAPI(
    title="InvestDesk API",
    version="1",
    urls_namespace="api",
    auth=[BearerToken(), VerifiedSession()],
    docs_url="/docs",
    parser=NulRefusingParser(),
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


@api.exception_handler(OverflowError)
def _overflow(request, exc: OverflowError):
    # An integer past 64 bits in a filter or body reached the database driver (SQLite refuses it).
    message = _("A number is out of range: whole numbers have at most 18 digits.")
    return _error(request, 422, message, [{"field": None, "message": message, "code": "out_of_range"}])


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
    if isinstance(exc.__cause__, ValidationError):  # django-ninja wraps what the body parser raises
        return _validation(request, exc.__cause__)
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
