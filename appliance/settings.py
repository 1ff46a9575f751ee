"""Every configuration key, its default and its help, in one table.

This table drives the config loader (defaults, unknown keys, type checks),
`appliance config show`, the settings page, and the test that every key is
documented. Add a key here and nowhere else.
"""
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Setting:
    name: str       # dotted: "section.key", or "key" at the top level
    default: Any
    help: str
    kind: str = ""  # str|int|float|bool|list|listen|path; inferred from default when empty
    secret: bool = False  # never printed or logged
    # Branch admins may change it on the settings page (appliance/config_edit.py);
    # data_dir, the database and web.listen stay with branch IT and the file.
    editable: bool = False
    restart: tuple = ()  # daemons that read it at start (systemd units appliance-NAME); "prompts": rebuild them

    @property
    def type_name(self):
        if self.kind:
            return self.kind
        return {bool: "bool", int: "int", float: "float", list: "list", str: "str"}[type(self.default)]


SETTINGS = [
    # --- the box ---------------------------------------------------------------
    Setting("data_dir", "/var/lib/appliance",
            "Directory for the database, prompts, recordings, certificates and spool files.",
            kind="path"),
    Setting("language", "zh", "Default language for texts, prompts and pages: zh or en.",
            editable=True, restart=("web", "agi")),
    Setting("timezone", "Asia/Shanghai",
            "The box's time zone: every rule (send and calling windows, schedules, notices, business hours, report days) and every time shown use it.",
            editable=True, restart=("smsd", "services", "agi", "web")),
    Setting("hotline", "95500", "Customer service hotline named in notices and prompts.",
            editable=True, restart=("web", "services", "agi", "prompts")),
    Setting("company_name", "平安保险", "Insurer name used in notices and greetings.",
            editable=True, restart=("web", "services", "agi", "prompts")),
    Setting("company_name_en", "Ping An Insurance",
            "Insurer name in English, for the English IVR prompts (empty: the Chinese name).",
            editable=True, restart=("agi", "prompts")),
    Setting("branch_name", "示例支公司", "Branch name shown on pages and used in signatures.",
            editable=True, restart=("web", "services", "agi", "prompts")),
    Setting("box.name", "",
            "This box's name among several boxes on one database: it marks the modems, SIMs, messages in flight and calls the box owns (empty: the host name)."),
    Setting("box.lease_seconds", 30,
            "Seconds a box holds the lease of a singleton (the daily notice run, scheduled sends, escalations) without renewing it: when its box dies, another box takes the work over after this long. Keep the boxes' clocks closer than this.",
            restart=("services", "dialer")),
    Setting("box.heartbeat_timeout", 60,
            "Several boxes on one database: a box whose smsd has not beaten its heartbeat for this many seconds is taken for dead; the other boxes mark the messages it was sending 'unknown' (never re-sent) and send its queued ones.",
            restart=("smsd",)),

    Setting("backup.keep", 14,
            "How many nightly backups (data_dir/backups/nightly-*.tar.gz, taken by appliance-backup.timer) are kept; older ones are deleted."),

    # --- network (systemd-networkd, appliance/system/network.py) ---------------
    Setting("network.mode", "dhcp", "How the box gets its LAN address: dhcp, or static (network.address, network.gateway, network.dns).",
            editable=True, restart=("network",)),
    Setting("network.address", "", "The static LAN address with its prefix length, e.g. 192.168.1.20/24.",
            editable=True, restart=("network",)),
    Setting("network.gateway", "", "The default gateway of a static address, e.g. 192.168.1.1 (empty: none).",
            editable=True, restart=("network",)),
    Setting("network.dns", [], "DNS servers for a static address (with DHCP: in addition to the ones it gives).",
            editable=True, restart=("network",)),
    Setting("network.interface", "en* eth*",
            "Network interfaces the address applies to (systemd-networkd Name= patterns)."),

    # --- database --------------------------------------------------------------
    Setting("database.url", "",
            "Database URL (peewee db_url). Empty: SQLite file appliance.db in data_dir. "
            "postgresql://user:pass@host/db for a multi-box pool.", secret=True),
    Setting("database.busy_timeout_ms", 10000,
            "How long an SQLite writer waits for the lock before giving up."),

    # --- modems ----------------------------------------------------------------
    Setting("modems.ports", ["/dev/gsm/*"],
            "Modem device paths or globs (udev links), or pyserial URLs.",
            editable=True, restart=("smsd",)),
    Setting("modems.baudrate", 115200, "Serial speed for every modem.",
            editable=True, restart=("smsd",)),
    Setting("modems.pin", "", "SIM PIN, used when a SIM asks for one.", secret=True,
            editable=True, restart=("smsd",)),
    Setting("modems.delivery_reports", True, "Ask the network for a delivery report per part.",
            editable=True, restart=("smsd",)),
    Setting("modems.daily_cap", 500, "Most SMS parts one SIM sends per day (0: no cap).",
            editable=True, restart=("smsd",)),
    Setting("modems.monthly_cap", 10000, "Most SMS parts one SIM sends per month (0: no cap).",
            editable=True, restart=("smsd",)),
    Setting("modems.min_interval", 0.0, "Least seconds between two submits on one modem.",
            editable=True, restart=("smsd",)),
    Setting("modems.seconds_per_part", 6.0,
            "Seconds one modem takes per SMS part, for the capacity forecast until submits are measured."),
    Setting("modems.read_interval", 60.0, "Seconds between full reads of the SIM message store."),
    Setting("modems.concat_timeout", 3600.0,
            "Seconds to wait for missing parts of a long inbound SMS before keeping what arrived."),
    Setting("modems.command_timeout", 10.0, "Seconds to wait for a modem's final result code."),
    Setting("modems.submit_timeout", 60.0,
            "Seconds to wait for the answer to AT+CMGS after the PDU; without one the part becomes unknown."),
    Setting("modems.resend_after", 900.0,
            "Seconds the rest of a long SMS waits for the SIM its first parts left from, when that modem is out "
            "of the pool, before the whole message is sent again from another SIM with a new reference."),
    Setting("modems.retry_base", 30.0,
            "Seconds before the first retry after a transient error; doubles with each attempt."),
    Setting("modems.max_attempts", 5, "Most submits of one part before it fails.",
            editable=True, restart=("smsd",)),
    Setting("modems.health_interval", 60.0, "Seconds between signal and registration checks per modem."),
    Setting("modems.reset_after", 2, "Failed commands in a row after which a modem is reset."),
    Setting("modems.remove_after", 3,
            "Failed resets in a row after which a modem leaves the pool (alarm) until it answers again."),
    Setting("modems.rejoin_interval", 30.0,
            "Seconds between attempts to bring back a removed or unplugged modem, and rescans of the ports."),

    # --- agi -------------------------------------------------------------------
    Setting("agi.listen", "127.0.0.1:4573", "host:port of the FastAGI server.", kind="listen",
            editable=True, restart=("agi",)),
    Setting("agi.max_calls", 120, "Most concurrent calls served (four E1 spans = 120).",
            editable=True, restart=("agi",)),
    Setting("agi.operator", "Local/operator@from-internal",
            "Key 0 within business hours: a Dial() string (Local/…, PJSIP/…) or Queue/NAME for a call queue.",
            editable=True, restart=("agi",)),
    Setting("agi.transfer_dial", "Local/{number}@from-internal",
            "How an IVR entry of kind 'transfer to a number' dials its number: a Dial() string with {number}, "
            "through the same line as the operator.",
            editable=True, restart=("agi",)),
    Setting("agi.business_hours", "08:30-17:30",
            "When key 0 reaches an operator, local time, HH:MM-HH:MM.",
            editable=True, restart=("agi",)),
    Setting("agi.business_days", "1-5", "Business days for the operator, ISO weekdays (1=Monday).",
            editable=True, restart=("agi",)),
    Setting("agi.verify_attempts", 3,
            "Failed ID verifications in a row that lock a policy out of the IVR (and raise an alert).",
            editable=True, restart=("agi",)),
    Setting("agi.lockout_minutes", 60, "How long a policy stays locked out of the IVR.",
            editable=True, restart=("agi",)),
    Setting("agi.staff_pin_attempts", 5,
            "Wrong PINs in a row that lock a staff member's PIN for the staff line (内部联系).",
            editable=True, restart=("agi",)),
    Setting("agi.staff_lockout_minutes", 30, "How long a staff member's PIN stays locked after that.",
            editable=True, restart=("agi",)),
    Setting("agi.message_max_seconds", 120, "Longest voice message a caller can leave.",
            editable=True, restart=("agi",)),
    Setting("agi.watchdog_seconds", 20,
            "Spare seconds the IVR gives Asterisk beyond each command's own length (SET AUTOHANGUP): "
            "if the server hangs, the dialplan's operator fallback takes the caller after that long.",
            restart=("agi",)),

    # --- voice: outbound calls through Asterisk (agi/dialer.py; `appliance run dialer`) -----
    Setting("voice.ami", "127.0.0.1:5038", "host:port of Asterisk's manager interface (AMI) the dialer uses.",
            kind="listen", restart=("dialer",)),
    Setting("voice.ami_user", "appliance", "AMI user (manager.conf) of the dialer.", restart=("dialer",)),
    Setting("voice.ami_secret", "", "AMI secret of that user.", secret=True, restart=("dialer",)),
    Setting("voice.line_groups", ["default=DAHDI/g1/{number}*30"],
            "Line groups for outbound calls: NAME=DIAL_STRING*CHANNELS, {number} in the dial string "
            "(an E1 span: 30 channels; a GSM voice modem: 1).", restart=("dialer",)),
    Setting("voice.ring_seconds", 40, "Seconds an outbound call may ring before it counts as no answer.",
            restart=("dialer",)),
    Setting("voice.caller_id", "", "Caller ID presented on outbound calls (empty: the hotline).",
            restart=("dialer",)),
    Setting("voice.cdr_csv", "/var/log/asterisk/cdr-csv/Master.csv",
            "Asterisk's CDR file (cdr_csv, loguniqueid = yes): a restarted dialer reads the results "
            "of calls that ended while it was down.", kind="path", restart=("dialer",)),
    Setting("voice.windows", "workday 18:30-20:30; restday 09:00-12:00,15:00-21:00",
            "When voice campaigns without a window of their own may call, on the box's clock: "
            "'workday 18:30-20:30; restday 09:00-12:00,15:00-21:00' (working and rest days from China's "
            "holiday calendar and the days declared on the box; 'always': at any time).",
            editable=True, restart=("dialer",)),

    # --- web -------------------------------------------------------------------
    Setting("web.listen", "127.0.0.1:8080", "host:port of the admin page and API.", kind="listen"),
    Setting("web.https", "auto",
            "auto: HTTPS with a self-signed certificate unless listening on 127.0.0.1; on; off."),
    Setting("web.session_hours", 8, "Hours a sign-in stays valid without activity.",
            editable=True, restart=("web",)),
    Setting("web.lockout_attempts", 5, "Failed sign-ins in a row that lock an account.",
            editable=True, restart=("web",)),
    Setting("web.lockout_minutes", 15, "Minutes a locked account stays locked.",
            editable=True, restart=("web",)),
    Setting("web.threads", 10, "Worker threads of the web server."),

    # --- notices (daily rule run over the policies) -----------------------------
    Setting("notices.run_at", "09:00", "Local time (HH:MM) of the daily notice rule run in the scheduler.",
            editable=True, restart=("services",)),
    Setting("notices.renewal_days", "15,3",
            "Days before a premium due date when the holder is reminded (comma-separated).",
            editable=True, restart=("services", "web")),
    Setting("notices.agent_renewal_days", "15",
            "Days before a premium due date when the agent is told (comma-separated; empty: never).",
            editable=True, restart=("services", "web")),
    Setting("notices.overdue_days", "1", "Days after an unpaid due date when the overdue notice goes (comma-separated).",
            editable=True, restart=("services", "web")),
    Setting("notices.lapse_warning_days", 10, "Days before the end of the grace period for the lapse warning.",
            editable=True, restart=("services", "web")),
    Setting("notices.maturity_days", 30, "Days before maturity for the maturity notice.",
            editable=True, restart=("services", "web")),
    Setting("notices.pace", False,
            "Queue no more notices than the SIMs can send today: service first, the rest held and reported."),
    Setting("notices.greeting_lead_days", 3,
            "Paced runs: days before a birthday or festival its greetings may start going, a share a day "
            "(never after the date).",
            editable=True, restart=("services",)),
    Setting("notices.catch_up_days", 7,
            "How many days back payments, claims and new policies still get their notice (after downtime)."),
    Setting("notices.birthday", True, "Send birthday greetings to customers (marketing).",
            editable=True, restart=("services",)),
    Setting("notices.staff_birthday", True,
            "Send birthday greetings to staff and, the same morning, a reminder to their department's "
            "colleagues (in the marketing window; a staff member may opt out).",
            editable=True, restart=("services",)),
    Setting("notices.festivals", ["春节", "元宵节", "端午节", "中秋节", "重阳节", "元旦节", "国庆节"],
            "Festivals with a greeting to every customer (names as in the lunar_python calendar).",
            editable=True, restart=("services",)),

    # --- services (campaigns, schedules, inbound) ------------------------------
    Setting("services.campaign_pace", False,
            "Queue no more of a campaign than can go out today; the rest goes on the following days.",
            editable=True, restart=("services",)),
    Setting("services.marketing_window", "08:00-21:00",
            "Local hours when marketing SMS may go out (never at night); HH:MM-HH:MM.",
            editable=True, restart=("web", "services")),
    Setting("services.survey_days", 7, "Days a survey stays open for replies after it was sent.",
            editable=True, restart=("services",)),
    Setting("services.inbound_poll", 2.0, "Seconds between looks for new inbound SMS in the services daemon."),

    # --- mail: the e-mail channel through an SMTP relay (appliance/mail/; `appliance run mailer`) -----
    Setting("mail.host", "", "SMTP relay the mailer sends through (empty: no e-mail is sent; mails wait).",
            editable=True, restart=("mailer",)),
    Setting("mail.port", 587, "Port of the SMTP relay (587 submission with STARTTLS, 25 plain).",
            editable=True, restart=("mailer",)),
    Setting("mail.starttls", True, "Ask the relay for STARTTLS before authenticating and sending.",
            editable=True, restart=("mailer",)),
    Setting("mail.cafile", "",
            "PEM file of the relay's certificate or its CA, for a relay with a self-signed certificate "
            "(empty: the system's CAs).", restart=("mailer",)),
    Setting("mail.username", "", "User name at the relay (empty: no authentication).",
            editable=True, restart=("mailer",)),
    Setting("mail.password", "", "Password at the relay.", secret=True, editable=True, restart=("mailer",)),
    Setting("mail.from", "", "Sender address of the mails, e.g. 平安保险 <notice@example.com>.",
            editable=True, restart=("mailer",)),
    Setting("mail.per_hour_cap", 200, "Most mails handed to the relay in any hour (0: no cap).",
            editable=True, restart=("mailer",)),
    Setting("mail.max_attempts", 6,
            "Most tries of one mail while the relay answers 4xx or cannot be reached; then it fails.",
            editable=True, restart=("mailer",)),
    Setting("mail.retry_base", 60.0, "Seconds before the first retry of a mail; doubles with each try.",
            restart=("mailer",)),
    Setting("mail.timeout", 30.0, "Seconds to wait for the relay's answer to each SMTP command.",
            restart=("mailer",)),
    Setting("mail.poll", 5.0, "Seconds between looks for mails to send in the mailer."),

    # --- SMPP: the carrier's SMSC or an aggregator, a bearer beside the modems (modem/smpp/) ---
    Setting("smpp.enabled", False, "Send and receive SMS through an SMPP 3.4 account as well as the modems.",
            editable=True, restart=("smpp",)),
    Setting("smpp.host", "127.0.0.1", "Host name or address of the SMSC.", editable=True, restart=("smpp",)),
    Setting("smpp.port", 2775, "TCP port of the SMSC.", editable=True, restart=("smpp",)),
    Setting("smpp.system_id", "", "The account's system_id (its login).", editable=True, restart=("smpp",)),
    Setting("smpp.password", "", "The account's password.", secret=True, editable=True, restart=("smpp",)),
    Setting("smpp.system_type", "", "system_type sent in the bind, when the carrier asks for one.",
            editable=True, restart=("smpp",)),
    Setting("smpp.source_addr", "", "Sender number or name shown to recipients (empty: the SMSC's default).",
            editable=True, restart=("smpp",)),
    Setting("smpp.window", 10, "Most submit_sm outstanding (not yet answered) at once.",
            editable=True, restart=("smpp",)),
    Setting("smpp.rate", 10.0, "Most SMS parts per second the account may submit (the carrier's throttle).",
            editable=True, restart=("smpp",)),
    Setting("smpp.enquire_link", 30.0, "Seconds between enquire_link keep-alives on a quiet link.",
            restart=("smpp",)),
    Setting("smpp.reconnect", 5.0, "Seconds before binding again after the link dropped; doubles up to 5 minutes.",
            restart=("smpp",)),
    Setting("smpp.tariff", 0.04, "Price of one SMS part sent over SMPP (CNY).", editable=True, restart=("web",)),

    # --- routing: which bearer carries each message (appliance/sms/routing.py) -----------
    Setting("sms.route_service", "modem",
            "Bearer for service notices and replies: modem, smpp, or cheapest (by tariff per part).",
            editable=True),
    Setting("sms.route_marketing", "modem", "Bearer for greetings, campaigns and care: modem, smpp or cheapest.",
            editable=True),
    Setting("sms.route_internal", "modem", "Bearer for SMS to staff: modem, smpp or cheapest.", editable=True),
    Setting("sms.overflow", False,
            "Send modem-routed SMS over SMPP when the modems cannot send them today (past their capacity).",
            editable=True),

    # --- billing ---------------------------------------------------------------
    Setting("billing.china_mobile", 0.05, "Price of one SMS part sent to a China Mobile number (CNY).",
            editable=True, restart=("web",)),
    Setting("billing.china_unicom", 0.05, "Price of one SMS part sent to a China Unicom number (CNY).",
            editable=True, restart=("web",)),
    Setting("billing.china_telecom", 0.05, "Price of one SMS part sent to a China Telecom number (CNY).",
            editable=True, restart=("web",)),
    Setting("billing.other", 0.10, "Price of one SMS part to any other carrier or abroad (CNY).",
            editable=True, restart=("web",)),

    # --- reports (appliance/reports/) --------------------------------------------------
    Setting("reports.letter_price", 1.20, "Price of one notice sent as a letter, for the letter comparison (CNY).",
            editable=True),
    Setting("reports.call_price", 0.10, "Price of one started minute of an outbound call (CNY).",
            editable=True),
    Setting("reports.mail_price", 0.0, "Price of one e-mail the relay accepted (CNY).", editable=True),
    Setting("reports.collection_days", 15, "Days after a payment reminder within which a payment counts as "
            "paid after the reminder.", editable=True),

    # --- voice: answer monitoring (appliance/voice/monitor.py, run by the dialer daemon) -----
    Setting("voice.monitor_numbers", [],
            "Numbers the box test-calls to watch that they answer: NAME=NUMBER, e.g. 客服热线=95500 "
            "(empty: no monitoring).", editable=True, restart=("dialer",)),
    Setting("voice.monitor_interval", 60, "Minutes between two rounds of monitoring test calls.",
            editable=True, restart=("dialer",)),
    Setting("voice.monitor_answer_seconds", 20,
            "Slowest acceptable time to answer a monitoring test call (seconds from dialling); slower is an alarm.",
            editable=True, restart=("dialer",)),
    Setting("voice.monitor_alarm_to", [],
            "Who gets the SMS when a monitored number does not answer or answers too slowly, and when it "
            "answers again: staff names, badge numbers or mobile numbers.", editable=True, restart=("dialer",)),
    Setting("voice.monitor_line_group", "default", "Line group (voice.line_groups) of monitoring test calls.",
            editable=True, restart=("dialer",)),

    # --- tickets: service levels and escalation (appliance/tickets/sla.py, escalation.py) -----
    Setting("tickets.sla", ["complaint=24h", "callback=2bh", "phone-application=4bh", "agent-report=8bh",
                            "alert=4h", "return-visit=3d", "mobile-change=16bh", "inquiry=8bh"],
            "Service level per ticket category: CATEGORY=N followed by h (hours), bh (business hours) or d (days); "
            "a category without one has no due time.", editable=True, restart=("services", "agi", "web")),
    Setting("tickets.business_hours", "08:30-12:00,13:30-17:30",
            "Business hours for service levels in bh, local time, on the box's working days (China's holiday "
            "calendar and the days declared on the box): HH:MM-HH:MM, several separated by commas.",
            editable=True, restart=("services", "agi", "web")),
    Setting("tickets.escalation_hours", 4.0,
            "Hours between two reminders to the department head while a ticket stays overdue (0: remind once).",
            editable=True, restart=("services",)),
    Setting("tickets.departments", [],
            "Department a new ticket of a category goes to: CATEGORY=DEPARTMENT, e.g. complaint=客户服务部 "
            "(others wait for the front desk to assign them).", editable=True, restart=("services", "agi", "web")),
    Setting("tickets.query_tries_per_day", 5,
            "Wrong or unknown ticket numbers one phone number may ask about in a day (SMS GD, IVR key 6); "
            "after that, no ticket is told to it until the next day.",
            editable=True, restart=("services", "agi")),

    # --- tickets: hand-off to other boxes and head office (appliance/tickets/handoff.py) -----
    Setting("tickets.peers", [],
            "Boxes and head office systems tickets can be handed to: NAME=URL|TOKEN, e.g. "
            "head-office=https://10.0.0.5:8443|apt_…, TOKEN an API token made there for this box. A peer's own "
            "token here must be named NAME: its hand-offs and answers are taken only then.",
            secret=True, restart=("services", "web")),
    Setting("tickets.peer_cafile", "",
            "PEM file of the certificates (or their CAs) of peers with a self-signed certificate "
            "(empty: the system's CAs).", restart=("services", "web")),
    Setting("tickets.handoff_retry", 30.0,
            "Seconds before a hand-off or update a peer did not take is sent again; doubles with each try, "
            "at most an hour.", restart=("services",)),
]

BY_NAME = {s.name: s for s in SETTINGS}
SECTIONS = sorted({s.name.split(".")[0] for s in SETTINGS if "." in s.name})
