"""Obligations in the admin: read-only (the sweep and the services write
them; org staff waive them in the app), never deleted."""

from django.contrib import admin

from .models import Obligation


@admin.register(Obligation)
class ObligationAdmin(admin.ModelAdmin):
    list_display = ["kind_label", "posting", "owed_by", "unit", "due_on", "status"]
    list_filter = ["status", "owed_by", "kind"]
    date_hierarchy = "due_on"
    raw_id_fields = ["posting", "unit", "waived_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
