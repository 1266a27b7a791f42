from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo world and the generated statistics history, with the commands that load
    them (`seed-demo`, `seed-enterprise-demo`, `seed_history`). An app only so that Django
    finds those commands; it has no models. It sits above every domain app (ADR 0103)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "tongban.demo"
    verbose_name = "演示数据"
