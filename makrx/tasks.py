from celery import shared_task


@shared_task(name="makrx.ping")
def ping(value="pong"):
    """Round-trip check used by the readiness probe's operators and the worker test."""
    return value
