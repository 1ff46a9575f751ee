"""The box as a whole, beyond one daemon: restarting daemons on request (restarts.py)."""
