"""Backfill ``data["webhook_event_id"]`` on payment status changes webhooks drove.

Before 0004 the services named the webhook event only in the event row's reason
("webhook <event id>", or "webhook <event id> (deferred)"); the invariant checker now
reads the structured key, so existing rows get it too. Batched by primary key.
"""

from django.db import migrations

PREFIX = "webhook "
DEFERRED = " (deferred)"
BATCH = 500


def backfill(apps, schema_editor):
    PaymentEvent = apps.get_model("commerce_payments", "PaymentEvent")
    rows = (
        PaymentEvent.objects.exclude(from_status="")
        .exclude(to_status="")
        .filter(reason__startswith=PREFIX)
        .order_by("pk")
    )
    after = None
    while True:
        page = rows if after is None else rows.filter(pk__gt=after)
        batch = list(page[:BATCH])
        if not batch:
            return
        for event in batch:
            event_id = event.reason[len(PREFIX) :].removesuffix(DEFERRED)
            if event_id and "webhook_event_id" not in (event.data or {}):
                event.data = {**(event.data or {}), "webhook_event_id": event_id}
        PaymentEvent.objects.bulk_update(batch, ["data"], batch_size=BATCH)
        after = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("commerce_payments", "0003_currency_choices_callable")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop, elidable=True)]
