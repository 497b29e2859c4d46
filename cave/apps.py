from django.apps import AppConfig


class CaveConfig(AppConfig):
    name = "cave"
    verbose_name = "Makerspaces"
    default_auto_field = "django.db.models.BigAutoField"
