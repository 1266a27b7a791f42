from django.apps import AppConfig


class HallConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tongban.hall"
    verbose_name = "政务服务大厅"
