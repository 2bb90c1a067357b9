from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

import audit

from . import services
from .models import Cadre, Unit, User


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent", "distance_km", "is_power_department"]
    list_filter = ["kind", "is_power_department"]
    search_fields = ["name"]
    autocomplete_fields = ["parent"]

    def save_model(self, request, obj, form, change):
        if change:
            obj.save()
            services.unit_move(unit=obj, parent=obj.parent)
        else:
            fields = {
                f: form.cleaned_data[f] for f in ("distance_km", "is_power_department")
            }
            created = services.unit_create(
                name=obj.name, kind=obj.kind, parent=obj.parent, **fields
            )
            obj.pk, obj.path, obj.depth = created.pk, created.path, created.depth

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "full_name", "email", "role", "unit", "is_active"]
    list_filter = ["role", "is_active"]
    autocomplete_fields = ["unit", "cadre"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("角色与范围", {"fields": ("role", "unit", "cadre")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        # Reminder emails go here (issue 18); without one, the app only.
        (_("电子邮箱"), {"fields": ("email",)}),
        ("角色与范围", {"fields": ("role", "unit", "cadre")}),
    )

    @admin.display(description=_("姓名"))
    def full_name(self, user) -> str:
        return user.get_full_name()


@admin.register(Cadre)
class CadreAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "rank", "is_leader", "is_reserve"]
    list_filter = ["rank", "is_leader", "is_reserve", "political_status", "education"]
    search_fields = ["name", "id_number"]
    autocomplete_fields = ["unit"]

    def get_search_results(self, request, queryset, search_term):
        """The list's search and the autocomplete; a digit means the ID
        numbers are searched, which the audit trail records."""
        if any(c.isdigit() for c in search_term):
            audit.record(request, "id_search", target=search_term.strip())
        return super().get_search_results(request, queryset, search_term)

    def has_delete_permission(self, request, obj=None):
        return False
