"""PRC ID numbers: checksum, birth date and gender derivation, clear errors."""
import datetime

import pytest

from appliance import idcard
from appliance.errors import InputError


def with_check_digit(body17):
    from stdnum.cn import ric
    return body17 + ric.calc_check_digit(body17 + "0")


def test_valid_number_with_x_check_digit():
    assert idcard.check_id_number("11010519491231002x") == "11010519491231002X"
    assert idcard.birth_date("11010519491231002X") == datetime.date(1949, 12, 31)
    assert idcard.gender("11010519491231002X") == "F"  # 17th digit 2 is even


def test_fujian_numbers_are_accepted():
    number = idcard.make_id_number("350102", datetime.date(1985, 6, 15), 13)
    assert idcard.check_id_number(number) == number
    assert idcard.gender(number) == "M"


@pytest.mark.parametrize("number, words", [
    ("110105194912310021", "fails its checksum (last character should be X)"),
    (with_check_digit("11010519491331002"), "impossible birth date (19491331)"),
    ("1101051949123100", "not an 18-character"),
    ("11010519491A31002X", "not an 18-character"),
    ("", "empty ID number"),
])
def test_bad_numbers_name_the_problem(number, words):
    with pytest.raises(InputError) as err:
        idcard.check_id_number(number)
    assert words in str(err.value) and str(err.value).startswith("id_number:")


def test_future_birth_date_is_refused():
    future = datetime.date.today() + datetime.timedelta(days=400)
    with pytest.raises(InputError, match="impossible birth date"):
        idcard.check_id_number(idcard.make_id_number("110105", future, 11))


def test_make_id_number_round_trips():
    for seq in range(0, 999, 37):
        n = idcard.make_id_number("310101", datetime.date(2001, 2, 28), seq)
        assert idcard.birth_date(n) == datetime.date(2001, 2, 28)


def test_cli_refuses_invalid_id_number(run_cli, config_file):
    assert run_cli("init", config_path=config_file).returncode == 0
    out = run_cli("customer", "add", "--name", "张三", "--id-number", "110105194912310021",
                  config_path=config_file)
    assert out.returncode == 2
    assert out.stderr.strip() == ("appliance: error: id_number: ID number fails its checksum "
                                  "(last character should be X)")
