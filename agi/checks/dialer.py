"""`appliance doctor`'s lines for the dialer (entry point appliance.doctor): does Asterisk's
manager answer, and is any monitored number failing. In the box's language (Said texts)."""
from peewee import DatabaseError

from appliance.daemon import running_daemons
from appliance.errors import N_
from appliance.system.checks import said
from appliance.voice import monitor


def doctor_check(config):
    """`appliance doctor`'s lines for the dialer: does Asterisk's manager answer (a failure
    while the dialer runs: it has no Asterisk), and is any monitored number failing."""
    from appliance.doctor import answers
    listen = config["voice.ami"]
    running = "dialer" in running_daemons(config.data_dir)
    if answers(listen):
        results = [("ok", "voice.ami", said(N_("{listen} answers"), listen=listen))]
    elif running:
        results = [("fail", "voice.ami", said(N_("nothing answers on {listen}: no calls until Asterisk's manager does"),
                                              listen=listen))]
    else:
        idle = N_("nothing answers on {listen}: no calls until Asterisk's manager does (dialer not running)")
        results = [("warn", "voice.ami", said(idle, listen=listen))]
    try:
        rows = monitor.status(config)
    except DatabaseError:  # a database not migrated yet: the migrations line says so
        rows = []
    if rows:
        failing = [f"{r['target']} ({r['verdict']})" for r in rows if r["verdict"] not in (None, "ok")]
        untested = sum(r["verdict"] is None for r in rows)
        if failing:
            detail = said(N_("failing: {numbers}"), numbers=", ".join(failing))
        else:
            detail = said(N_("{count} number(s) answer in time"), count=len(rows) - untested)
        if untested:
            detail = said(N_("{detail}; {count} not tested yet"), detail=detail, count=untested)
        results.append(("warn" if failing else "ok", said(N_("answer monitoring")), detail))
    return results
