from django.apps import AppConfig


class TongbanConfig(AppConfig):
    """The project package itself as an app, so that the commands that need the whole
    project (`export_openapi`, beside the API root `tongban.api`) live at the top of the
    layers rather than in `core` (ADR 0103). No models, templates or static files of its
    own: `templates/` and `locale/` here are the project-wide ones of settings.py."""

    name = "tongban"
    verbose_name = "通办"
