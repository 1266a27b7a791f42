from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from tongban.stats import views

app_name = "stats"

urlpatterns: list[URLPattern | URLResolver] = [
    path("stats/", views.dashboard_page, name="dashboard"),
    path("stats/agreements/<int:agreement_id>/", views.agreement_page, name="agreement"),
]
