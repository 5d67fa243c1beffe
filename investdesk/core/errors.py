"""The one exception type services raise for a rule a user broke, with a message they can read."""


class DomainError(Exception):
    """A business rule refused the operation. `field` names the input at fault, when there is one."""

    status = 400

    def __init__(self, message: str, *, field: str | None = None, code: str = "invalid"):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        self.code = code

    def as_dict(self) -> dict:
        return {"field": self.field, "message": self.message, "code": self.code}


class ConflictError(DomainError):
    """Someone else saved the record since it was loaded: the edit would silently overwrite theirs."""

    status = 409

    def __init__(self, message: str | None = None):
        from django.utils.translation import gettext

        super().__init__(
            message
            or gettext("Someone else changed this record after you opened it. Reload it and apply your change again."),
            field="version",
            code="conflict",
        )
