"""The known rate table and its premiums on PostgreSQL too (a real server started for the
test): migration 0023's tables and CHECKs there, the import, and the quote to the fen."""
from decimal import Decimal

import peewee
import pytest
from products_support import seed_products

from appliance import db as dbmod
from appliance.config import Config
from appliance.products import premiums
from appliance.products.models import ProductRate


def test_rates_and_quotes_on_postgres(postgres_url, tmp_path):
    db = dbmod.open_database(Config({"data_dir": str(tmp_path), "database.url": postgres_url}))
    dbmod.migrate(db)
    try:
        assert seed_products(tmp_path)["rows"] == 10
        quote = premiums.quote("TL20", age=30, gender="M", sum_insured="200000", pay_years=20,
                               riders=[{"product": "ADD", "units": 3}, {"product": "WP", "sum_insured": "7400"}])
        assert quote.total == Decimal("666.50")
        assert premiums.quote("TL20", age=31, gender="F", sum_insured="1250").total == Decimal("1.63")
        with pytest.raises(peewee.IntegrityError), db.atomic():  # the CHECK holds there too
            ProductRate.update(gender="X").execute()
    finally:
        db.close()
