"""The command line: help for every subcommand, one-line errors, exit codes."""
import argparse

import pytest

from appliance import cli


def subcommand_paths(parser, prefix=()):
    """Every (sub)command path of the parser, plug-ins included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield prefix + (name,)
                yield from subcommand_paths(sub, prefix + (name,))


def test_help_lists_the_core_subcommands(run_cli):
    out = run_cli("--help")
    assert out.returncode == 0
    for name in ("init", "config", "run", "demo", "customer"):
        assert f"    {name} " in out.stdout


@pytest.mark.parametrize("path", sorted(set(subcommand_paths(cli.build_parser()))))
def test_every_subcommand_has_help(path, capsys):
    with pytest.raises(SystemExit) as done:
        cli.main([*path, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: appliance " + " ".join(path))


def test_unknown_subcommand_exits_2(run_cli):
    out = run_cli("frobnicate")
    assert out.returncode == 2 and "invalid choice: 'frobnicate'" in out.stderr


def test_no_subcommand_prints_help_and_exits_2(run_cli):
    out = run_cli()
    assert out.returncode == 2 and "COMMAND" in out.stdout


def test_run_unknown_daemon_exits_2(run_cli, config_file):
    out = run_cli("run", "nosuchd", config_path=config_file)
    assert out.returncode == 2 and "unknown daemon 'nosuchd'" in out.stderr


def test_customer_add_prints_id_and_audits(run_cli, config_file, tmp_path):
    out = run_cli("customer", "add", "--name", "李秀英", "--mobile", "13900139000",
                  "--id-number", "11010519491231002X", config_path=config_file)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().isdigit()
    bad = run_cli("customer", "add", "--name", "李秀英", "--mobile", "555", config_path=config_file)
    assert bad.returncode == 2 and bad.stderr.strip().endswith("mobile: '555' is not a valid phone number")


def test_daemon_that_cannot_listen_names_the_setting(run_cli, tmp_path):
    import socket
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        path = tmp_path / "c.toml"
        path.write_text(f'data_dir = "{tmp_path / "data"}"\n[web]\nlisten = "127.0.0.1:{port}"\n'
                        f'[agi]\nlisten = "127.0.0.1:{port}"\n')
        for daemon in ("web", "agi"):
            out = run_cli("run", daemon, config_path=path, timeout=60)
            assert out.returncode == 2, out.stderr
            last = out.stderr.strip().splitlines()[-1]
            assert last.startswith(f"appliance: error: {daemon}.listen: cannot listen on 127.0.0.1:{port}")


def without_config_env():
    import os
    return {k: v for k, v in os.environ.items() if k != "APPLIANCE_CONFIG"}


@pytest.mark.parametrize("argv", [["send", "--to", "13800138000", "--text", "你好"], ["doctor"], ["outbox"]])
def test_no_config_and_no_data_dir_is_one_line_not_a_new_box(run_cli, argv):
    from pathlib import Path
    from appliance.settings import BY_NAME
    default = Path(BY_NAME["data_dir"].default)
    if default.exists():
        pytest.skip(f"{default} exists on this machine")
    out = run_cli(*argv, env=without_config_env())
    assert out.returncode == 2 and out.stderr.count("\n") == 1, out.stderr
    assert "no configuration file" in out.stderr and str(default) in out.stderr
    assert not default.exists()


def test_output_into_a_pipe_closed_early_stays_quiet(run_cli, config_file):
    import subprocess
    import sys
    assert run_cli("send", "--to", "13800138000", "--text", "你好", config_path=config_file).returncode == 0
    for argv in (["outbox"], ["outbox", "--json"]):
        proc = subprocess.Popen([sys.executable, "-m", "appliance.cli", "--config", str(config_file), *argv],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        proc.stdout.close()  # the reader (head) is gone before the first line is written
        err = proc.stderr.read()
        assert proc.wait(60) == 0 and err == "", (argv, err)
