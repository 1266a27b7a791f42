from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from tongban.assistance import views

app_name = "assistance"

urlpatterns: list[URLPattern | URLResolver] = [
    path("assistance/case/<str:number>/", views.record_for_case, name="record"),
]
