from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

admin.site.site_header = "挂职干部管理系统 · 系统管理"
admin.site.site_title = "挂职干部管理系统"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cadres/", include("cadres.urls")),
    path("postings/", include("postings.urls")),
    path("assessment/", include("assessment.urls")),
    path("admin/", admin.site.urls),
]
