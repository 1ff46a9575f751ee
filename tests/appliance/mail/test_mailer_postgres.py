"""Two boxes' mailers on one PostgreSQL database: every mail goes exactly once (the claim's
row count decides), and each box makes only its own interrupted mails `unknown`."""
import datetime
import threading

import smtp_support
from mail_support import make_customer

from appliance import clock, db as dbmod
from appliance.config import Config
from appliance.mail import mailer, outbox
from appliance.mail.models import MailMessage

NOON = datetime.datetime(2026, 12, 1, 4, 0)


def test_two_boxes_send_each_mail_once_and_recover_only_their_own(postgres_url, tmp_path):
    config = Config({"data_dir": str(tmp_path), "database.url": postgres_url})
    db = dbmod.open_database(config)
    dbmod.migrate(db)
    controller = smtp_support.start()
    clock.set_zone("Asia/Shanghai")
    try:
        relay = config.replace(mail__host="127.0.0.1", mail__port=controller.port, mail__starttls=False,
                               mail__from="notice@branch.example.com", mail__per_hour_cap=0)
        for n in range(12):
            outbox.send_to_customer(relay, make_customer(email=f"c{n}@example.com"), template="ticket_answered",
                                    variables={"ticket_no": f"T{n}", "answer": "已处理"}, now=NOON)
        boxes = [relay.replace(box__name=name) for name in ("box-a", "box-b")]
        threads = [threading.Thread(target=lambda c=c: [mailer.step(c, NOON) for _ in range(3)]) for c in boxes]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        sent_to = sorted(m["To"] for m in controller.handler.received)
        assert sent_to == sorted(f"c{n}@example.com" for n in range(12))  # each once
        assert {m.state for m in MailMessage.select()} == {"sent"}

        MailMessage.update(state="sending", claimed_by="box-b").where(MailMessage.id.in_([1, 2])).execute()
        assert mailer.recover(boxes[0]) == 0  # box-a leaves box-b's in-flight mails alone
        assert mailer.recover(boxes[1]) == 2
        assert [m.state for m in MailMessage.select().where(MailMessage.id.in_([1, 2]))] == ["unknown"] * 2
    finally:
        controller.stop()
        db.close()
