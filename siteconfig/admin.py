"""The settings page (constance's, with every change recorded) and the
history of the changes: who changed which setting when, from what to what."""

from constance import settings as constance_settings
from constance.admin import Config, ConstanceAdmin, ConstanceForm
from constance.codecs import dumps, loads
from constance.utils import get_values
from django.contrib import admin
from django.db import transaction
from django.urls import path
from django.utils.translation import gettext_lazy as _

from .models import SettingChange


class RecordedSettingsForm(ConstanceForm):
    """constance's form; each value it changes leaves a SettingChange."""

    def __init__(self, initial, request=None, *args, **kwargs):
        super().__init__(initial, request, *args, **kwargs)
        self.user = request.user if request else None

    @transaction.atomic
    def save(self):
        before = get_values()
        changed = super().save()
        after = get_values()
        SettingChange.objects.bulk_create(
            SettingChange(
                key=key,
                old_value=dumps(before[key]),
                new_value=dumps(after[key]),
                changed_by=self.user,
            )
            for key in changed
        )
        return changed


class SettingsAdmin(ConstanceAdmin):
    change_list_form = RecordedSettingsForm


admin.site.unregister([Config])
admin.site.register([Config], SettingsAdmin)


@admin.register(SettingChange)
class SettingChangeAdmin(admin.ModelAdmin):
    list_display = ["changed_at", "key", "description", "before", "after", "changed_by"]
    list_display_links = None
    list_filter = ["key"]
    list_select_related = ["changed_by"]

    @admin.display(description=_("说明"))
    def description(self, change) -> str:
        return constance_settings.CONFIG.get(change.key, ("", ""))[1]

    @admin.display(description=_("原值"))
    def before(self, change) -> str:
        return str(loads(change.old_value))

    @admin.display(description=_("新值"))
    def after(self, change) -> str:
        return str(loads(change.new_value))

    def get_urls(self):
        """The list alone: the changes are written by the settings page."""
        name = f"{self.opts.app_label}_{self.opts.model_name}_changelist"
        view = self.admin_site.admin_view(self.changelist_view)
        return [path("", view, name=name)]

    # Read-only, for those who may see the settings (CONSTANCE_SUPERUSER_ONLY).
    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
