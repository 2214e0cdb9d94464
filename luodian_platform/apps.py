from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlatformConfig(AppConfig):
    name = "luodian_platform"
    label = "luodian_platform"
    verbose_name = _("平台基础")

    def ready(self):
        from .api import messages

        messages.install()
        from . import periods  # noqa: F401 (registers the period-table system check)
