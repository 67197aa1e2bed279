# Leaner tables for the fan-out and the summaries (issue 5): no index of their own for a
# notification's event and recipient (the unique (event, recipient) and the recipient indexes start
# with them) nor for a summary run's recipient (the unique (recipient, period) does), a
# notification's digest run indexed only where set, and the unread index carrying the association
# for the counts.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='digestrun',
            name='recipient',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='digest_runs', to=settings.AUTH_USER_MODEL),
        ),
        migrations.RemoveIndex(
            model_name='notification',
            name='notification_unread',
        ),
        migrations.AlterField(
            model_name='notification',
            name='digest_run',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='notifications', to='notifications.digestrun'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='event',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to='notifications.event'),
        ),
        migrations.AlterField(
            model_name='notification',
            name='recipient',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='notifications', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(condition=models.Q(('read_at__isnull', True)), fields=['recipient', 'association'], name='notification_unread'),
        ),
        migrations.AddIndex(
            model_name='notification',
            index=models.Index(condition=models.Q(('digest_run__isnull', False)), fields=['digest_run'], name='notification_digest_run'),
        ),
    ]
