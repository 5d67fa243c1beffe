from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "investdesk.core"
    label = "core"
    verbose_name = _("Units and people")

    def ready(self):
        from django.core import checks

        from investdesk.core import audit, crypto, signals  # noqa: F401  (signals connects the auth audit receivers)

        checks.register(crypto.check_crypto_provider, checks.Tags.security)
        checks.register(crypto.check_personal_data_keys, checks.Tags.security, deploy=True)
        checks.register(audit.check_audit_key, checks.Tags.security, deploy=True)

        from investdesk.lib.workdays import check_holidays

        checks.register(check_holidays)
