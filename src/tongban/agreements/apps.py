from django.apps import AppConfig


class AgreementsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "tongban.agreements"
    verbose_name = "合作协议"

    def ready(self) -> None:
        from tongban.agreements import models
        from tongban.core import versioned

        # cached per process by version (ADR 0119): the agreement a submission is received
        # under (agreements.selectors.find_agreement_item); each change makes a new version
        versioned.watch(models.Agreement, models.AgreementItem, models.AgreementParty)
