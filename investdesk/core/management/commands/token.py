from django.core.management.base import BaseCommand, CommandError

from investdesk.core import services
from investdesk.core.errors import DomainError
from investdesk.core.models import User


class Command(BaseCommand):
    help = "Personal API tokens: `token create --user USERNAME [--name N] [--days D]` prints a new token."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["create"])
        parser.add_argument("--user", required=True)
        parser.add_argument("--name", default="command line")
        parser.add_argument("--days", type=int, default=365)

    def handle(self, *args, action, user, name, days, **options):
        person = User.objects.filter(username=user, is_active=True).first()
        if person is None:
            raise CommandError(f"No active user named {user!r}.")
        try:
            _token, key = services.api_token_create(user=person, name=name, days_valid=days)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(key)
