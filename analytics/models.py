from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from postings.models import cadres_visible_to


class ExchangeRecordQuerySet(models.QuerySet):
    def visible_to(self, user):
        """An exchange hangs from its cadre: in scope with the cadre."""
        return self.filter(cadre__in=cadres_visible_to(user).values("pk"))


class ExchangeRecord(models.Model):
    """干部交流: one cadre moved from one post to another (DOMAIN rule 13,
    seed 003). What the cadre held before is kept on the record, since the
    cadre's own fields then describe the new post."""

    class Kind(models.TextChoices):
        EXCHANGE = "exchange", _("交流")
        ROTATION = "rotation", _("轮岗")
        SECONDMENT = "secondment", _("挂职")

    cadre = models.ForeignKey(
        "cadres.Cadre",
        verbose_name=_("干部"),
        on_delete=models.PROTECT,
        related_name="exchanges",
    )
    kind = models.CharField(_("交流方式"), max_length=20, choices=Kind.choices)
    on = models.DateField(_("交流日期"))
    from_unit = models.ForeignKey(
        "cadres.Unit",
        verbose_name=_("原单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_post = models.CharField(_("原职务"), max_length=100)
    from_since = models.DateField(_("任原职时间"), null=True, blank=True)
    from_is_leader = models.BooleanField(_("原职务为领导职务"), default=False)
    from_is_power_department = models.BooleanField(_("原单位为实权部门"), default=False)
    from_rank = models.PositiveSmallIntegerField(_("交流时职级"))
    to_unit = models.ForeignKey(
        "cadres.Unit",
        verbose_name=_("新单位"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    to_post = models.CharField(_("新职务"), max_length=100)
    to_is_leader = models.BooleanField(_("新职务为领导职务"), default=False)
    reason = models.CharField(_("交流原因"), max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("录入人"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)

    objects = ExchangeRecordQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("干部交流")
        verbose_name_plural = _("干部交流")
        ordering = ["-on", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="exchange_kind_valid",
                condition=Q(kind__in=["exchange", "rotation", "secondment"]),
            ),
            models.CheckConstraint(
                name="exchange_after_took_post",
                condition=Q(from_since__isnull=True)
                | Q(from_since__lte=models.F("on")),
                violation_error_message=_("交流日期不能早于任原职时间。"),
            ),
        ]
        indexes = [models.Index(fields=["on", "kind"], name="exchange_on_kind")]

    def __str__(self):
        return f"{self.cadre} · {self.from_post} → {self.to_post}"

    def get_absolute_url(self):
        return reverse("analytics:exchange_history", args=[self.cadre_id])
