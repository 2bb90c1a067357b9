from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

import cadres.otp
import cadres.urls
import imports.urls
import portal.home
import portal.urls
import postings.urls
import records.urls

from . import views

admin.site.site_header = "挂职干部管理系统 · 系统管理"
admin.site.site_title = "挂职干部管理系统"

CADRES = (
    cadres.urls.urlpatterns + portal.urls.cadre_urlpatterns + records.urls.urlpatterns
)
POSTINGS = postings.urls.urlpatterns + portal.urls.posting_urlpatterns

urlpatterns = [
    path("", portal.home.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The second factor (issue 15, cadres/otp.py).
    path("account/otp/enrol/", cadres.otp.otp_enrol, name="otp_enrol"),
    path("account/otp/verify/", cadres.otp.otp_verify, name="otp_verify"),
    path("account/otp/recovery/", cadres.otp.otp_recovery, name="otp_recovery"),
    # A namespace is a part of the site, composed here from the apps that
    # serve it: lower apps never import the pages above them.
    path("cadres/", include((CADRES, "cadres"))),
    path("postings/", include((POSTINGS, "postings"))),
    path("assessment/", include("assessment.urls")),
    path(
        "obligations/",
        include((portal.urls.obligation_urlpatterns, "obligations")),
    ),
    path("notifications/", include("notifications.urls")),
    # Excel import (issue 19), with the one-time link of an imported account.
    path("imports/", include(imports.urls)),
    # Exports in the background (issue 20): each job is its requester's alone.
    path("exports/", include("exports.urls")),
    # Statistics (issue 21): 挂职结构, 工作成效, 干部交流.
    path("analytics/", include("analytics.urls")),
    path("admin/", admin.site.urls),
]
