from django.db import migrations, models
from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce


def zero_unlimited_uses(apps, schema_editor):
    # Uses are now counted only while a promotion has maximum uses.
    Promotion = apps.get_model("commerce_promotions", "Promotion")
    Promotion.objects.filter(max_uses__isnull=True).exclude(uses=0).update(uses=0)


def count_unlimited_uses(apps, schema_editor):
    # Back to counting every promotion's uses.
    Promotion = apps.get_model("commerce_promotions", "Promotion")
    Redemption = apps.get_model("commerce_promotions", "Redemption")
    open_uses = (
        Redemption.objects.filter(promotion=OuterRef("pk"), released_at__isnull=True)
        .order_by()
        .values("promotion")
        .annotate(n=Count("pk"))
        .values("n")
    )
    Promotion.objects.filter(max_uses__isnull=True).update(
        uses=Coalesce(Subquery(open_uses, output_field=IntegerField()), Value(0))
    )


class Migration(migrations.Migration):
    dependencies = [("commerce_promotions", "0001_promotions")]

    operations = [
        migrations.AlterField(
            model_name="promotion",
            name="uses",
            field=models.PositiveIntegerField(
                default=0,
                editable=False,
                help_text="Unreleased redemptions, counted while it has maximum uses.",
                verbose_name="uses",
            ),
        ),
        migrations.RunPython(zero_unlimited_uses, count_unlimited_uses, elidable=True),
    ]
