from django.contrib import admin

from .models import ExchangeRecord


@admin.register(ExchangeRecord)
class ExchangeRecordAdmin(admin.ModelAdmin):
    list_display = ["cadre", "kind", "on", "from_unit", "from_post", "to_unit"]
    list_filter = ["kind", "on"]
    search_fields = ["cadre__name", "from_post", "to_post"]
    raw_id_fields = ["cadre", "from_unit", "to_unit", "created_by"]
    date_hierarchy = "on"

    def has_delete_permission(self, request, obj=None):
        return False  # no hard deletes: the history of exchanges is kept
