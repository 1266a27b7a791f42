from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from tongban.licences import views

app_name = "licences"

urlpatterns: list[URLPattern | URLResolver] = [
    path("verify/", views.verify_index, name="verify-index"),
    path("verify/<str:licence_id>", views.verify, name="verify"),
]
