from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from tongban.consultations import views

app_name = "consultations"

urlpatterns: list[URLPattern | URLResolver] = [
    path("consultations/", views.consultation_list, name="list"),
    path("consultations/new/", views.record, name="new"),
    path("consultations/<int:consultation_id>/", views.consultation_detail, name="detail"),
    path(
        "consultations/<int:consultation_id>/<str:step>/",
        views.consultation_step,
        name="step",
    ),
]
