from django.apps import AppConfig


class BenchProbeConfig(AppConfig):
    name = "benchprobe"
    verbose_name = "benchmark probe (bench/ only)"
    default_auto_field = "django.db.models.BigAutoField"
