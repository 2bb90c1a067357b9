"""考核 in the Django admin: for looking things up. Templates, versions and
rounds change only through the app (versions never change at all), and
nothing that an assessment refers to is ever deleted."""

from django.contrib import admin

from .models import Round, RoundEvent, Template, TemplateVersion


class ReadOnly:
    """View permission only: no add, change or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VersionInline(ReadOnly, admin.TabularInline):
    model = TemplateVersion
    fields = ["number", "note", "created_by", "created_at"]
    readonly_fields = fields
    extra = 0
    show_change_link = True


class EventInline(ReadOnly, admin.TabularInline):
    model = RoundEvent
    fields = ["from_status", "to_status", "reason", "by", "at"]
    readonly_fields = fields
    extra = 0


@admin.register(Template)
class TemplateAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["name", "unit", "created_by", "created_at"]
    list_select_related = ["unit", "created_by"]
    search_fields = ["name"]
    inlines = [VersionInline]


@admin.register(TemplateVersion)
class TemplateVersionAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ["template", "number", "note", "created_by", "created_at"]
    list_select_related = ["template", "created_by"]


@admin.register(Round)
class RoundAdmin(ReadOnly, admin.ModelAdmin):
    """State, postings and period move only through the app's services."""

    list_display = ["name", "kind", "unit", "status", "period_start", "period_end"]
    list_filter = ["kind", "status", "auto_proposed"]
    list_select_related = ["unit"]
    search_fields = ["name"]
    inlines = [EventInline]
