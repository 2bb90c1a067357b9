"""The login backend: Django's, loading what every page reads with the user."""

from django.contrib.auth.backends import ModelBackend

from .models import User


class UserBackend(ModelBackend):
    """Every page reads the user's unit (scope, header) and cadre (own dossier):
    load them with the user, in the query that runs on every request anyway."""

    def get_user(self, user_id):
        try:
            user = User._default_manager.select_related("unit", "cadre").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
