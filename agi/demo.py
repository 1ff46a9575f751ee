"""`appliance demo`'s IVR part: prompts built (fast when they exist) and a note."""
import logging

from agi import prompts

log = logging.getLogger(__name__)


def hook(demo):
    config = demo.config.replace(data_dir=str(demo.data_dir))
    built, kept = prompts.build(config)
    if built:
        log.info("IVR prompts: %d built, %d up to date", built, kept)
    listen = demo.overrides.get("agi.listen", config["agi.listen"])
    demo.note(f"IVR:        agi://{listen}/ivr; try a call as Asterisk would place it:")
    demo.note(f"              appliance --config {demo.config_path} dial 2 35010001# 1 '*'")
    demo.note(f"            staff line (key 8): `appliance --config {demo.config_path} staff pin 35010001`, "
              "then `dial --from MOBILE 8 PIN# 1 '*'` with that agent's mobile (the admin page's /staff)")
