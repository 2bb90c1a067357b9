"""The reminder ladder in the admin: the delivery log read-only, failed
deliveries with a resend action, and who has no email address."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .models import DeliveryAttempt, Notification, SweepRun, UserWithoutEmail


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    fields = ["at", "ok", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnly):
    list_display = [
        "obligation",
        "step",
        "audience",
        "recipient",
        "channel",
        "status",
        "attempts",
        "last_error",
        "step_on",
    ]
    list_filter = ["status", "channel", "audience", "step_on"]
    search_fields = ["recipient__username", "recipient__last_name"]
    raw_id_fields = ["obligation", "recipient"]
    list_select_related = ["obligation", "recipient"]
    inlines = [AttemptInline]
    actions = ["resend"]

    @admin.action(description=_("重新发送所选的发送失败的提醒"))
    def resend(self, request, queryset):
        n = services.resend(queryset)
        self.message_user(
            request,
            ngettext("已重新发送%(n)d条提醒。", "已重新发送%(n)d条提醒。", n)
            % {"n": n},
            messages.SUCCESS,
        )


@admin.register(SweepRun)
class SweepRunAdmin(ReadOnly):
    list_display = ["day", "finished_at", "claimed"]


@admin.register(UserWithoutEmail)
class UserWithoutEmailAdmin(ReadOnly):
    """Active users who get reminders in the app only; an admin adds the
    address on the user's own page (用户)."""

    list_display = ["username", "last_name", "first_name", "role", "unit"]
    list_filter = ["role"]
    search_fields = ["username", "last_name"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(is_active=True, email="")
            .select_related("unit")
        )

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser or super().has_view_permission(request, obj)
