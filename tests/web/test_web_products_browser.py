"""Headless Chromium at 1366×900 and 390×844 on the premium trial calculation: the form
filled and sent, the result with the total to the fen, a rider over its limit refused in
Chinese; nothing wider than the window. Screenshots in tests/screenshots/. Skipped, saying
why, without Chromium."""
import pytest
from browser_support import fits, loaded_after, shot, sign_in
from products_support import seed_products
from web_support import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.slow]
webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402


@pytest.mark.parametrize("width, height, size", [(1366, 900, "wide"), (390, 844, "phone")])
def test_quote_in_a_browser(chromium, server, tmp_path, width, height, size):
    d = chromium
    d.delete_all_cookies()
    d.set_window_size(width, height)
    make_user("root", "admin")
    seed_products(tmp_path)
    sign_in(d, server, "root", PASSWORD, next="/products")
    assert d.find_element(By.TAG_NAME, "h1").text == "险种与费率" and fits(d)
    Select(d.find_element(By.ID, "quote-product")).select_by_value("TL20")
    d.find_element(By.ID, "quote-age").send_keys("30")
    Select(d.find_element(By.ID, "quote-gender")).select_by_value("M")
    d.find_element(By.ID, "quote-sum").send_keys("200000")
    d.find_element(By.ID, "quote-pay-years").send_keys("20")
    d.find_element(By.ID, "quote-rider-ADD").send_keys("3")
    d.find_element(By.ID, "quote-rider-WP").send_keys("7400")
    loaded_after(d, d.find_element(By.ID, "quote-submit").click)
    assert d.find_element(By.ID, "quote-total").text == "666.50"
    premiums = {row.get_attribute("data-code"): row.find_element(By.CSS_SELECTOR, ".premium").text
                for row in d.find_elements(By.CSS_SELECTOR, "#quote-result tr[data-code]")}
    assert premiums == {"TL20": "370.00", "ADD": "37.50", "WP": "259.00"}
    assert fits(d)
    shot(d, "products-quote", size)
    field = d.find_element(By.ID, "quote-rider-ADD")
    field.clear()
    field.send_keys("11")
    loaded_after(d, d.find_element(By.ID, "quote-submit").click)
    assert "附加意外伤害保险 · 份数：按此主险最多 10 份" in d.find_element(By.ID, "products-error").text
    assert d.find_element(By.ID, "quote-rider-ADD").get_attribute("value") == "11" and fits(d)
