from django.apps import AppConfig


class RegionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tongban.regions"
    verbose_name = "行政区划与管辖地"
