from datetime import timedelta

from django.conf import settings

from makrx.celery import app
from makrx.tasks import ping


def test_tasks_run_in_process_without_a_broker():
    assert ping.delay("hello").get(timeout=1) == "hello"


def test_beat_schedule_names_registered_tasks():
    app.loader.import_default_modules()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        assert entry["task"] in app.tasks, f"beat entry {name} names unknown task {entry['task']}"
        assert isinstance(entry["schedule"], timedelta) or hasattr(entry["schedule"], "is_due")


def test_a_real_worker_runs_a_task_through_redis(celery_worker_process):
    result = ping.apply_async(args=["through the broker"])
    assert result.get(timeout=30) == "through the broker"
    assert not app.conf.task_always_eager
