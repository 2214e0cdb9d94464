from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


class PlatformConfig(AppConfig):
    name = "luodian_platform"
    label = "luodian_platform"
    verbose_name = _("平台基础")

    def ready(self) -> None:
        from .api import messages

        messages.install()
        from . import periods  # noqa: F401 (registers the period-table system check)

        checks.register(check_personal_data_registry, checks.Tags.models)


def check_personal_data_registry(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every model with an encrypted or blind-index column is in the personal-data registry,
    so rotation, retention and audit redaction cannot silently miss it."""
    from .crypto import unregistered_encrypted_models

    return [
        checks.Error(
            f"{label} has encrypted personal data but is not registered",
            hint="call luodian_platform.crypto.register_personal_data() from its AppConfig.ready()",
            id="luodian_platform.E001",
        )
        for label in unregistered_encrypted_models()
    ]
