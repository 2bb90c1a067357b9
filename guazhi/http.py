from django.http import HttpRequest

from cadres.models import User


class AuthenticatedHttpRequest(HttpRequest):
    user: User
