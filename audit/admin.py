"""The trail for admins: read-only, filtered by action, page, user and date,
searched, and exported as it is filtered (the export is itself recorded)."""

import json

from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from guazhi.excel import ColumnSpec, Sheet, build_sheets, in_background, xlsx_response

from . import query_of, services
from .models import Entry

AUDIT_TITLE = "审计日志"


def _columns() -> list[ColumnSpec]:
    return [
        ColumnSpec(_("时间"), 18),
        ColumnSpec(_("操作"), 14),
        ColumnSpec(_("用户名"), 14),
        ColumnSpec(_("来源地址"), 16),
        ColumnSpec(_("页面"), 28),
        ColumnSpec(_("对象"), 30),
        ColumnSpec(_("行数"), 8),
        ColumnSpec(_("详情"), 60),
    ]


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    list_display = ["at", "action", "username", "address", "view", "target", "rows"]
    list_display_links = ["at"]
    list_filter = [
        "action",
        ("at", admin.DateFieldListFilter),
        "view",
        ("user", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["username", "target", "address", "view"]
    date_hierarchy = "at"
    list_select_related = ["user"]
    readonly_fields = [f.name for f in Entry._meta.fields]
    change_list_template = "admin/audit/entry/change_list.html"

    # Nobody adds, changes or deletes a row from the app (audit.models).
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.export_view)
        export = path("export/", view, name="audit_entry_export")
        return [export, *super().get_urls()]

    def get_changelist_instance(self, request):
        """The list as filtered; a date beyond the calendar (?at__year=9999:
        the date hierarchy's next year, month or day overflows) is refused as
        the list refuses any other bad filter, not a server error."""
        try:
            return super().get_changelist_instance(request)
        except (ValueError, OverflowError) as exc:
            raise IncorrectLookupParameters(exc) from exc

    def exported_entries(self, request):
        """The entries as the list shows them (filters and search): the
        export and its background job (exports.kinds) read the same rows.
        IncorrectLookupParameters for filters the list refuses."""
        return self.get_changelist_instance(request).get_queryset(request)

    def export_view(self, request):
        """The trail as the list shows it (filters and search), as .xlsx; a
        large one is made in the background (guazhi.excel.in_background)."""
        if not self.has_view_permission(request):
            return redirect("admin:index")
        try:
            entries = self.exported_entries(request)
        except IncorrectLookupParameters:
            messages.error(request, _("筛选条件无效，未导出。"))
            return redirect("admin:audit_entry_changelist")
        rows = entries.count()
        if queued := in_background(request, "audit", rows):
            return queued
        # Written before the export is recorded: the file ends at the record.
        body = build_sheets([entry_sheet(entries)])
        services.record(
            request,
            Entry.Action.EXPORT,
            target=AUDIT_TITLE,
            details={"filters": query_of(request)},
            rows=rows,
        )
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        return xlsx_response(body, f"{AUDIT_TITLE}-{stamp}.xlsx")

    def changelist_view(self, request, extra_context=None):
        if ERROR_FLAG in request.GET:  # the admin dropped filters it refused
            messages.error(request, _("筛选条件无效，已显示全部记录。"))
        extra = {"export_url": reverse("admin:audit_entry_export")}
        return super().changelist_view(request, {**(extra_context or {}), **extra})


def entry_sheet(entries) -> Sheet:
    """The audit export's one sheet: `entries` as filtered, in their order."""
    rows = (_row(entry) for entry in entries.iterator(chunk_size=2000))
    return Sheet(AUDIT_TITLE, _columns(), rows)


def _row(entry: Entry) -> tuple:
    return (
        timezone.localtime(entry.at).replace(tzinfo=None),
        entry.get_action_display(),
        entry.username,
        entry.address or "",
        entry.view,
        entry.target,
        entry.rows if entry.rows is not None else "",
        json.dumps(entry.details, ensure_ascii=False, sort_keys=True),
    )
