"""The Celery application.

With no ``REDIS_URL`` the settings make every task run eagerly in-process, so
the embedded setup needs no broker. Periodic work is declared in
``settings.CELERY_BEAT_SCHEDULE`` so that one place lists everything beat runs.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "makrx.settings")

app = Celery("makrx")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
