from django.apps import AppConfig


class PostingsConfig(AppConfig):
    verbose_name = "挂职"
    name = "postings"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from assessment.models import Assessment, Round
        from cadres.models import Appraisal, Cadre, MonthlyNote, Unit, User
        from guazhi import countcache

        from .models import Nomination, OpenPost, Posting, Reminder

        # The models the cached counts read (guazhi.countcache): the list
        # pages' and the unread-reminder badge's; a closed round's results
        # table (assessment.views_results) reads assessments and rounds too;
        # a batch's ranking and counts (postings.batch_page) its nominations
        # and open posts, the ranking's rows the deciders' names (users).
        countcache.track(
            Posting,
            Cadre,
            Unit,
            Appraisal,
            MonthlyNote,
            Reminder,
            Assessment,
            Round,
            Nomination,
            OpenPost,
            User,
        )
