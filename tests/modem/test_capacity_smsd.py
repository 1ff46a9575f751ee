"""The capacity a real smsd's modems give (appliance.sms.capacity): simulated modems on
ptys, the dispatcher's own health rows and heartbeat, and the parts it really sent
counted against each SIM's daily cap."""
from appliance import clock
from appliance.sms import capacity, outbox
from appliance.sms.models import Message, ModemStatus


def test_capacity_counts_the_sims_smsd_reports_and_what_they_sent(make_sims, start_smsd, wait_for):
    sims = make_sims(2)
    smsd = start_smsd(sims, modems__daily_cap=3, modems__monthly_cap=0)
    ids = [outbox.queue_message("13800138000", f"cap {i}").id for i in range(2)]
    wait_for(lambda: all(Message.get_by_id(i).state == "delivered" for i in ids), 10, "both delivered")
    smsd.dispatcher.write_status(force=True)
    wait_for(lambda: ModemStatus.select().where(ModemStatus.state == "ok").count() == 2, 5, "status rows")
    config = smsd.config
    report = wait_for(lambda: (r := capacity.outlook(config, clock.now(), days=2)) and len(r["sims"]) == 2 and r,
                      5, "two SIMs in service")
    # 3 a SIM a day; the 2 parts sent today come off today's; tomorrow both SIMs are full again.
    assert [d["day"] for d in report["days"]] == [4, 6]
    assert report["queued"] == 0
