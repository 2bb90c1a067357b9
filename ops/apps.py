from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from guazhi.uploads import defuse_xml


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = _("运维")

    def ready(self):
        # Every process (web, worker, beat, manage.py) starts here: from now
        # on no XML parser in it resolves entities or DTDs (issue 16).
        defuse_xml()
