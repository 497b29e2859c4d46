from django.apps import AppConfig


class MakrxConfig(AppConfig):
    name = "makrx"
    verbose_name = "MakrX platform"
    default_auto_field = "django.db.models.BigAutoField"
