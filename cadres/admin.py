from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from . import services
from .models import (
    Appraisal,
    Attachment,
    Cadre,
    Commendation,
    FollowUpVisit,
    MonthlyNote,
    NoteMonthLock,
    Report,
    SupportNeed,
    Symposium,
    SymposiumAttendance,
    Talk,
    Training,
    Unit,
    User,
    Warning,
    WorkLog,
)


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
    list_display = ["username", "get_full_name", "role", "unit", "is_active"]
    list_filter = ["role", "is_active"]
    autocomplete_fields = ["unit", "cadre"]
    fieldsets = BaseUserAdmin.fieldsets + (
        ("角色与范围", {"fields": ("role", "unit", "cadre")}),
    )
    add_fieldsets = BaseUserAdmin.add_fieldsets + (
        ("角色与范围", {"fields": ("role", "unit", "cadre")}),
    )


@admin.register(Cadre)
class CadreAdmin(admin.ModelAdmin):
    list_display = ["name", "unit", "rank", "is_reserve"]
    list_filter = ["rank", "is_reserve"]
    search_fields = ["name", "id_number"]
    autocomplete_fields = ["unit"]

    def has_delete_permission(self, request, obj=None):
        return False


class NoDeleteAdmin(admin.ModelAdmin):
    """A dossier refers to these rows: the admin never deletes them."""

    raw_id_fields = ["posting", "author"]

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(MonthlyNote)
class MonthlyNoteAdmin(NoDeleteAdmin):
    list_display = ["posting", "month", "days_present", "author"]


@admin.register(Report)
class ReportAdmin(NoDeleteAdmin):
    list_display = ["posting", "kind", "title", "due_date", "author"]
    list_filter = ["kind"]


@admin.register(Warning)
class WarningAdmin(NoDeleteAdmin):
    list_display = ["posting", "level", "dimension", "points", "status"]
    list_filter = ["level", "status"]
    raw_id_fields = ["posting", "author", "revoked_by"]


@admin.register(Appraisal)
class AppraisalAdmin(NoDeleteAdmin):
    list_display = ["posting", "status", "submitted_at"]


@admin.register(WorkLog, Talk, Training, Commendation, FollowUpVisit)
class RecordAdmin(NoDeleteAdmin):
    list_display = ["__str__", "posting", "author", "created_at"]


@admin.register(SupportNeed)
class SupportNeedAdmin(NoDeleteAdmin):
    list_display = ["posting", "category", "status", "raised_on"]
    list_filter = ["category", "status"]
    raw_id_fields = ["posting", "author", "resolved_by"]


@admin.register(Attachment)
class AttachmentAdmin(NoDeleteAdmin):
    list_display = ["original_name", "report", "content_type", "size"]
    raw_id_fields = ["report", "uploaded_by"]
    readonly_fields = ["stored_name"]


class AttendanceInline(admin.TabularInline):
    model = SymposiumAttendance
    raw_id_fields = ["posting"]
    extra = 0

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Symposium)
class SymposiumAdmin(NoDeleteAdmin):
    list_display = ["title", "held_on", "host"]
    raw_id_fields = ["author"]
    inlines = [AttendanceInline]


@admin.register(NoteMonthLock)
class NoteMonthLockAdmin(admin.ModelAdmin):
    """Deleting a lock unlocks the month (the notes themselves stay)."""

    list_display = ["month", "unit", "locked_by", "locked_at"]
    raw_id_fields = ["unit", "locked_by"]
