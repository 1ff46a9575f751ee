# The notice forecast (issue 18): what each of the next days' notice runs will queue and hold,
# worked out by the run's own planner (appliance/services/forecast.py) in the services daemon
# and read by the dashboard and `appliance sms capacity`. One row a day, replaced whole.
from peewee import *


def up(migrator, db):
    class NoticeForecast(Model):
        run_date = DateField(unique=True)
        computed_at = DateTimeField()
        figures = TextField()  # JSON: queued and held per class, greeting shares, capacity
        class Meta:
            database = db
            table_name = 'notice_forecast'

    db.create_tables([NoticeForecast])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('notice_forecast'))
