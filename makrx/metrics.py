"""Business counters exposed on /metrics beside django-prometheus's request and database metrics.

Services increment them after their transaction commits, so a rolled-back
operation is never counted.
"""

from django.db import transaction
from prometheus_client import Counter

orders_placed = Counter("makrx_orders_placed_total", "Store orders placed at checkout.")
reservations_booked = Counter("makrx_reservations_booked_total", "Equipment reservations booked.")
stock_movements = Counter("makrx_stock_movements_total", "Inventory stock movements recorded.", ["kind"])
reorder_alerts = Counter("makrx_reorder_alerts_total", "Reorder alerts raised for items at or below their minimum.")


def count_on_commit(counter, amount=1, **labels):
    """Increment ``counter`` once the surrounding transaction commits (at once outside one)."""
    target = counter.labels(**labels) if labels else counter
    transaction.on_commit(lambda: target.inc(amount))
