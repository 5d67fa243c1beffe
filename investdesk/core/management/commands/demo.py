from django.core.management.base import BaseCommand

from investdesk.core import demo


class Command(BaseCommand):
    help = "Load the demo agency of the brief (idempotent). Never run this on a production database."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="Do nothing when any unit exists already.")
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, if_empty, quiet_logins, **options):
        from investdesk.core.models import Unit

        if if_empty and Unit.objects.exists():
            self.stdout.write("Demo data: the database already has units; nothing loaded.")
        else:
            for label, loader in demo_loaders():
                result = loader()
                self.stdout.write(f"Demo data: {label}: {result}")
        if not quiet_logins:
            self.stdout.write(f"\nDemo logins (password for all: {demo.DEMO_PASSWORD})")
            for username, name, _unit, _role, title, _mobile in demo.PEOPLE[:7]:
                self.stdout.write(f"  {username:<11} {name}  {title}")


def demo_loaders():
    """Every InvestDesk app with a `demo` module contributes its `load()`, in INSTALLED_APPS order
    (core first: the others need its units and people)."""
    from importlib import import_module
    from importlib.util import find_spec

    from django.apps import apps

    loaders = []
    for config in apps.get_app_configs():
        if config.name.startswith("investdesk.") and find_spec(f"{config.name}.demo"):
            loaders.append((config.label, import_module(f"{config.name}.demo").load))
    return loaders
