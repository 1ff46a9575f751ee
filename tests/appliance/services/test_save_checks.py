"""Saving is where errors belong: a template with an unknown variable, a keyword
naming a template that does not exist, a schedule whose template needs variables
it is not given are refused when saved, naming the field; nothing is stored."""
import datetime

import pytest

from appliance import groups
from appliance.errors import InputError
from appliance.services import autoreply, schedules, templates
from appliance.services.models import Keyword, Schedule, Template


def test_a_template_with_an_unknown_variable_is_refused(database):
    with pytest.raises(InputError) as err:
        templates.put("meeting_note", "zh", "{nmae}您好，明天九点开会。", category="internal")
    assert err.value.field == "text" and "{nmae}" in str(err.value) and "{name}" in str(err.value)
    with pytest.raises(InputError, match="{zzz}"):
        templates.put("renewal_due", "zh", "{salutation}请于{zzz}前缴费")
    assert Template.select().count() == 0
    templates.put("meeting_note", "zh", "{name}您好，{branch}明天九点开会。", category="internal")


def test_a_keyword_naming_a_missing_template_is_refused(database):
    with pytest.raises(InputError) as err:
        autoreply.set_keyword("KF", "reply", "no_such_template")
    assert err.value.field == "template" and "no_such_template" in str(err.value)
    assert not Keyword.select().where(Keyword.keyword == "KF").exists()
    templates.put("kf_hours", "zh", "客服热线{hotline}，工作日9:00-17:00。")
    assert autoreply.set_keyword("KF", "reply", "kf_hours").template_key == "kf_hours"


def test_a_schedule_whose_template_needs_variables_it_is_not_given_is_refused(database, config, book):
    book.customer("张伟", mobile="+8613800138001")
    groups.add_members(groups.create("G", "customer"), ["C00001"])
    at = datetime.datetime(2030, 1, 1, 2)
    with pytest.raises(InputError) as err:  # a renewal reminder needs {policy_no}, {due_date}, …
        schedules.create(config, "续期", template_key="renewal_due", group="G", run_at=at)
    assert err.value.field == "template" and "{policy_no}" in str(err.value)
    with pytest.raises(InputError) as err:
        schedules.create(config, "自写", text="{salutation}，您的保单{policy_no}", group="G", run_at=at)
    assert err.value.field == "text" and "{policy_no}" in str(err.value)
    assert Schedule.select().count() == 0
    schedules.create(config, "问候", text="{salutation}，{company}祝您周末愉快", group="G", run_at=at)
