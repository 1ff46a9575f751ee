"""Plug-in lookup: how the domain package finds the parts that modem/, agi/ and
web/ hang into it (commands, daemons, demo parts) without importing them.

The groups are declared in pyproject.toml:
    appliance.commands  "module:register"  register(subparsers) adds subcommands
    appliance.daemons   "module:main"      main(config) -> exit code, for `appliance run NAME`
    appliance.demo      "module:hook"      hook(demo) prepares its part of `appliance demo`
"""
from importlib.metadata import entry_points


def plugins(group):
    """Entry points of one plug-in group, by name, in a stable order."""
    return {ep.name: ep for ep in sorted(entry_points(group=group), key=lambda e: e.name)}
