from django.contrib import admin

from .models import Posting, Reminder


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
    list_display = ["recipient", "posting", "kind", "due_date", "read_at"]
    list_filter = ["kind"]
    raw_id_fields = ["recipient", "posting"]
