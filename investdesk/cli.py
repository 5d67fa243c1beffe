"""The `investdesk` command: manage.py for InvestDesk, plus `serve` (gunicorn) and `worker`.

investdesk serve [--port N] [--workers N]   production server (gunicorn) on 127.0.0.1:$PORT
investdesk migrate | demo | worker | createadmin | token create --user NAME | <any manage.py command>
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "investdesk.settings")
    argv = list(sys.argv if argv is None else argv)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["investdesk", *argv[1:]])


if __name__ == "__main__":
    main()
