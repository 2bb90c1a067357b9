"""The records in the admin: readable and correctable, never deleted."""

from django.contrib import admin

from .models import (
    Appraisal,
    Attachment,
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
    Warning,
    WorkLog,
)


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
