"""`appliance products …` as a real process: the quote to the fen, errors on one line
naming the field with exit 2, and the import's refusal by line and column. The box is
made once for the module (each process takes seconds on a busy machine)."""
import json
import subprocess
import sys

import pytest
from products_support import seed_products

from appliance import db as dbmod
from appliance.config import Config, ensure_data_dir


@pytest.fixture(scope="module")
def box(tmp_path_factory):
    root = tmp_path_factory.mktemp("products-cli")
    config_path = root / "appliance.toml"
    config_path.write_text(f'data_dir = "{root / "data"}"\n')
    config = Config({"data_dir": str(root / "data")})
    ensure_data_dir(config)
    db = dbmod.open_and_migrate(config)
    seed_products(root)
    db.close()

    def run(*args):
        return subprocess.run([sys.executable, "-m", "appliance.cli", "--config", str(config_path), "products",
                               *map(str, args)], capture_output=True, text=True, timeout=120)
    run.root = root
    return run


def test_quote_with_riders_as_json(box):
    done = box("quote", "TL20", "--age", "30", "--gender", "M", "--sum", "200000", "--pay-years", "20",
               "--rider-units", "ADD=3", "--rider", "WP=7400", "--json")
    assert done.returncode == 0, done.stderr
    quote = json.loads(done.stdout)
    assert quote["total"] == "666.50"
    assert {l["code"]: l["premium"] for l in quote["lines"]} == {"TL20": "370.00", "ADD": "37.50", "WP": "259.00"}


@pytest.mark.parametrize("args, words", [
    (("TL20", "--age", "30", "--gender", "M", "--sum", "200000", "--pay-years", "20", "--rider-units", "ADD=11"),
     "riders[0].units: at most 10 units (100000.00 yuan) with this main cover"),
    (("TL20", "--age", "45", "--gender", "M", "--sum", "1000", "--pay-years", "20"),
     "age: TL20 has no rate for age 45 (its table covers 30 to 31)"),
    (("ADD", "--age", "30", "--units", "1"), "product: ADD is a rider, sold only with its main product"),
])
def test_refused_quotes_exit_2_with_one_line(box, args, words):
    done = box("quote", *args)
    assert done.returncode == 2
    assert done.stderr == f"appliance: error: {words}\n"


def test_import_refusal_names_line_and_column(box):
    (box.root / "bad.csv").write_text("险种代码,年龄,费率\nTL20,30,1.0\nTL20,200,1.0\n", encoding="utf-8")
    done = box("import-rates", box.root / "bad.csv")
    assert done.returncode == 2
    assert "bad.csv: line 3, column B (年龄): '200' is not an age from 0 to 120 (nothing imported)" in done.stderr
