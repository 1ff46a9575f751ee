import pytest

from appliance.errors import InputError, NotFound
from appliance.services import templates


def test_every_default_has_both_languages_and_valid_variables(database):
    for key, entry in templates.defaults().items():
        assert entry["zh"] and entry["en"], key
        assert entry["category"] in ("service", "marketing", "internal"), key
        assert templates.variables_of(entry["zh"]) == templates.variables_of(entry["en"]) or key in (
            "announcement",), key


def test_render_fills_company_hotline_and_salutation(database, config):
    text = templates.render("renewal_due", {"salutation": "张先生", "policy_no": "P1", "product": "安康",
                                            "amount": "1200.00", "due_date": "2026年12月1日"}, config)
    assert text.startswith("【平安保险】尊敬的张先生")
    assert "95500" in text and "P1" in text


def test_missing_variable_is_named(database, config):
    with pytest.raises(InputError, match=r"\{policy_no\}"):
        templates.render("renewal_due", {"salutation": "x"}, config)


def test_marketing_texts_carry_the_opt_out_hint_once(database, config):
    text = templates.render("birthday", {"salutation": "李女士"}, config)
    assert text.endswith("回T退订") and text.count("回T退订") == 1
    english = templates.render("birthday", {"salutation": "Ms Li"}, config, language="en")
    assert english.endswith("Reply T to opt out")
    service = templates.render("reply_none", {}, config)
    assert "退订" not in service


def test_admin_edit_overrides_default_and_reset_restores_it(database, config):
    templates.put("birthday", "zh", "{salutation}生日快乐", user="admin")
    assert templates.render("birthday", {"salutation": "李女士"}, config) == "李女士生日快乐回T退订"
    assert templates.get("birthday", "en")[0].startswith("[{company}]")  # other language untouched
    templates.reset("birthday", "zh")
    assert templates.render("birthday", {"salutation": "李女士"}, config).startswith("【平安保险】")


def test_custom_template_and_bad_input(database, config):
    templates.put("open_day", "zh", "{name}您好，本周六客户开放日。", category="marketing")
    assert templates.get("open_day", "en") == ("{name}您好，本周六客户开放日。", "marketing")
    with pytest.raises(InputError, match="braces"):
        templates.put("bad", "zh", "{name")
    with pytest.raises(InputError, match="language"):
        templates.put("bad", "fr", "x")
    with pytest.raises(NotFound):
        templates.get("no_such_template")
