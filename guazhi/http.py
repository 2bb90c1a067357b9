from django.contrib.auth.models import AbstractUser
from django.http import HttpRequest


class AuthenticatedHttpRequest(HttpRequest):
    """A request behind the login (a type for views; imports no app)."""

    user: AbstractUser
