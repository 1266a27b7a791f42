from django.apps import AppConfig


class MasterdataConfig(AppConfig):
    """Editing the public master data below `accounts` (regions, jurisdictions,
    departments, working-day calendars, service centres and windows). Who may edit is a
    role question, and roles live in `accounts`, so the edits sit above both (ADR 0103)."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "tongban.masterdata"
    verbose_name = "主数据维护"
