from django.apps import AppConfig


class PostingsConfig(AppConfig):
    verbose_name = "挂职"
    name = "postings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from cadres.models import Appraisal, Cadre, MonthlyNote, Unit
        from guazhi import countcache

        from .models import Posting, Reminder

        # The models the cached counts read (guazhi.countcache): the list
        # pages' and the unread-reminder badge's.
        countcache.track(Posting, Cadre, Unit, Appraisal, MonthlyNote, Reminder)
