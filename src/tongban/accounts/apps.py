from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tongban.accounts"
    verbose_name = "账号与角色"

    def ready(self) -> None:
        from tongban.accounts.models import RoleAssignment

        post_save.connect(_roles_changed, sender=RoleAssignment, dispatch_uid="grants-version")
        post_delete.connect(_roles_changed, sender=RoleAssignment, dispatch_uid="grants-version")


def _roles_changed(sender: Any, instance: Any, **kwargs: Any) -> None:
    """A new grants version for the user, in the transaction of the change (ADR 0119)."""
    from tongban.accounts.models import User, new_grants_version

    version = new_grants_version()
    User.objects.filter(pk=instance.user_id).update(grants_version=version)
    held = instance._state.fields_cache.get("user")
    if held is not None:  # the caller's own object sees the change too
        held.grants_version = version
        held.__dict__.pop("_tongban_grants", None)
