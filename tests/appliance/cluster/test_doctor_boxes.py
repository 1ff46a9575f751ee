"""`appliance doctor` on a box sharing PostgreSQL: the server's version, and the other boxes'
heartbeats (a silent one is a warning naming it)."""
import datetime
import json

from appliance import clock
from appliance.cluster import boxes


def test_doctor_names_the_server_and_a_silent_box(run_cli, pg_database, postgres_url, tmp_path):
    path = tmp_path / "appliance.toml"
    path.write_text(f'data_dir = "{tmp_path / "data"}"\n[database]\nurl = "{postgres_url}"\n'
                    '[box]\nname = "fuzhou-1"\nheartbeat_timeout = 60\n')
    now = clock.now()
    boxes.beat("fuzhou-1", now - datetime.timedelta(seconds=600))  # this box: never "other"
    boxes.beat("fuzhou-2", now)
    boxes.beat("fuzhou-3", now - datetime.timedelta(seconds=90))
    out = run_cli("doctor", "--json", config_path=path)
    results = {r["check"]: r for r in json.loads(out.stdout)}
    assert results["database server"]["status"] == "ok"
    assert results["database server"]["detail"].startswith("PostgreSQL 15")
    assert "box fuzhou-1" not in results  # this box
    assert results["box fuzhou-2"]["status"] == "ok" and results["box fuzhou-2"]["detail"].startswith("alive")
    silent = results["box fuzhou-3"]
    assert silent["status"] == "warn" and silent["detail"].startswith("SILENT for 9"), silent
    said = run_cli("doctor", config_path=path).stdout  # the box's language: Chinese by default
    assert "设备 fuzhou-3: 已 9" in said and "秒没有心跳" in said, said


def test_doctor_on_one_sqlite_box(run_cli, config_file):
    assert run_cli("init", config_path=config_file).returncode == 0
    results = {r["check"]: r for r in json.loads(run_cli("doctor", "--json", config_path=config_file).stdout)}
    assert results["database server"]["detail"].startswith("SQLite 3.")
    assert results["other boxes"] == {"check": "other boxes", "status": "ok", "detail": "none on this database"}
