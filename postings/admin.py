from django.contrib import admin

from .models import (
    Assignment,
    Batch,
    Extension,
    Nomination,
    OpenPost,
    Posting,
    Reminder,
    RuleOverride,
    StatusChange,
)


@admin.register(Posting)
class PostingAdmin(admin.ModelAdmin):
    list_display = ["cadre", "kind", "receiving_unit", "title", "start_date", "status"]
    list_filter = ["kind", "status"]
    search_fields = ["cadre__name", "title"]
    raw_id_fields = ["cadre", "sending_unit", "receiving_unit", "created_by"]
    readonly_fields = ["midterm_date"]

    def has_add_permission(self, request):
        return False  # postings are created through the app, where the rules run

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Reminder)
class ReminderAdmin(admin.ModelAdmin):
    """The reminders of before the ladder (notifications, issue 18): kept,
    read-only."""

    list_display = ["recipient", "posting", "kind", "due_date", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["recipient", "posting"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written through the app's services, where the rules run."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Batch)
class BatchAdmin(ReadOnlyAdmin):
    list_display = ["name", "year", "unit", "planned_count", "mobilised_on"]
    list_filter = ["year"]


@admin.register(Nomination)
class NominationAdmin(ReadOnlyAdmin):
    list_display = [
        "batch",
        "cadre",
        "source",
        "exam_score",
        "interview_score",
        "decision",
    ]
    list_filter = ["decision", "source"]


@admin.register(OpenPost)
class OpenPostAdmin(ReadOnlyAdmin):
    list_display = ["batch", "receiving_unit", "title", "rank", "capacity"]


@admin.register(StatusChange, Extension, Assignment, RuleOverride)
class PostingRecordAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "posting"]
