"""The services' part of `appliance demo`: subscription topics and common phrases
to try, and how to drive the SMS services by hand."""
from appliance import db as dbmod
from appliance.config import Config
from appliance.services.models import Phrase, Topic

TOPICS = [("TJ", "免费体检", "每月免费体检名额与预约方式"), ("SE", "少儿保险", "少儿教育金与医疗保险资讯")]
PHRASES = [("问候", "您好，感谢您一直以来对我们的支持。"), ("缴费", "请保持缴费账户余额充足，以免影响保障。"),
           ("理赔", "理赔资料已收到，我们将在3个工作日内处理。")]


def hook(demo):
    config = Config(dict(demo.overrides))
    database = dbmod.open_database(config)
    try:
        dbmod.migrate(database)
        for code, name, description in TOPICS:
            Topic.get_or_create(code=code, defaults={"name": name, "description": description})
        if not Phrase.select().exists():
            for category, text in PHRASES:
                Phrase.create(category=category, text=text)
    finally:
        database.close()
    demo.note("SMS services: text CX/JF/LP/YJ, DY TJ or 退订 to the box with "
              "`appliance sim inject --dir DIR --from 13800138000 --text CX`; "
              "`appliance notices run --dry-run` shows today's notices")
