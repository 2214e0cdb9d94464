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
        checks.register(check_keys, checks.Tags.security, deploy=True)
        from . import picklists

        picklists.connect()
        from .audit import register_redacted

        # Digests of API tokens stay out of the trail (it says that a token changed).
        register_redacted("luodian_platform_stafftoken", "token_hash")


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


def check_keys(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """`check --deploy`: encryption and index keys long enough and all different."""
    from django.conf import settings

    from .env import key_problems

    salts = settings.SALT_KEY if isinstance(settings.SALT_KEY, list) else [settings.SALT_KEY]
    return [
        checks.Error(problem, hint="use 32+ random characters each", id="luodian_platform.E002")
        for problem in key_problems(settings.SECRET_KEY, settings.BLIND_INDEX_KEY, salts)
    ]
