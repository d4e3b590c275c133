"""Which pairs lie in the order of the summary index (surveys.pairs.paired_results_order).

The pairs already stored were laid out in that order by the last nightly rebuild or a bulk
load's CLUSTER, so they are marked in order; from then on a pair is written out of order
(the column's default) until the night puts it in place. On PostgreSQL adding a column with a
constant default and changing that default rewrite nothing, whatever the table's size."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("outcomes", "0002_api_client"),
        ("surveys", "0013_cohorts_fill"),
    ]

    operations = [
        migrations.AddField(
            model_name="pairedresult",
            name="in_order",
            field=models.BooleanField(db_default=True),
        ),
        migrations.AlterField(
            model_name="pairedresult",
            name="in_order",
            field=models.BooleanField(db_default=False),
        ),
        migrations.AddIndex(
            model_name="pairedresult",
            index=models.Index(
                condition=models.Q(("in_order", False)),
                fields=["id"],
                name="paired_result_unordered",
            ),
        ),
    ]
