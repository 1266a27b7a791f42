from django.apps import AppConfig


class CentresConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tongban.centres"
    verbose_name = "政务服务中心与窗口"
