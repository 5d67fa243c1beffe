import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from investdesk.core import services
from investdesk.core.errors import DomainError
from investdesk.core.models import Role, Unit


class Command(BaseCommand):
    help = (
        "Create an administrator: the system administrator (the first one on a new installation), the security "
        "administrator or the audit administrator (--role). `migrate` creates no account. The password is asked "
        "twice, or read from INVESTDESK_ADMIN_PASSWORD, and must pass the password policy."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument("--name", default="系统管理员")
        parser.add_argument("--email", default="")
        parser.add_argument("--unit", help="Code of the unit; by default the bureau (created if there is none).")
        parser.add_argument(
            "--role",
            choices=[Role.ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN],
            default=Role.ADMIN,
            help="admin (system), secadmin (security) or auditor (audit); default admin.",
        )

    def handle(self, *args, username, name, email, unit, role, **options):
        target = self._unit(unit)
        password = os.environ.get("INVESTDESK_ADMIN_PASSWORD")
        if not password:
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password again: "):
                raise CommandError("The passwords differ.")
        try:
            user = services.user_create(
                actor=None,
                username=username,
                name=name,
                unit=target,
                role=role,
                password=password,
                email=email,
                must_change_password=False,
            )
        except DomainError as exc:
            raise CommandError(f"{exc.field or 'error'}: {exc.message}") from None
        self.stdout.write(self.style.SUCCESS(f"{user.get_role_display()} {user.username} created in {target}."))

    def _unit(self, code: str | None) -> Unit:
        if code:
            found = Unit.objects.filter(code=code).first()
            if found is None:
                raise CommandError(f"No unit with code {code!r}.")
            return found
        root = Unit.objects.filter(parent=None, kind=Unit.Kind.BUREAU).order_by("pk").first()
        if root is None:
            root = services.unit_create(actor=None, name="投资促进局", code="bureau", kind=Unit.Kind.BUREAU)
        return root
