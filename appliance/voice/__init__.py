"""Outbound voice: campaigns, call attempts and their results (the dialer is agi/dialer.py)."""
