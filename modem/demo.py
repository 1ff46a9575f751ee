"""The SMS part of `appliance demo`: four simulated modems with realistic latency."""


def hook(demo):
    modems = demo.data_dir / "modems"
    modems.mkdir(parents=True, exist_ok=True)
    demo.start("sim", demo.appliance_argv("sim", "--modems", "4", "--dir", str(modems)))
    demo.overrides["modems.ports"] = [str(modems / "gsm*")]
    demo.overrides["modems.rejoin_interval"] = 3.0  # the simulator starts beside smsd
    demo.note(f"modems:     4 simulated modems in {modems} (2-4 s per submit); what they send: "
              f"{modems / 'air.jsonl'}")
    demo.note(f"try SMS:    appliance --config {demo.config_path} send --to 13800138000 --text 你好")
    demo.note(f"            appliance --config {demo.config_path} sim inject --dir {modems} --modem gsm0 "
              f"--from 13800138000 --text 查询保单")
