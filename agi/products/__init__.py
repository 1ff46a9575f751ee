"""The IVR's product flows (a package: agi/ holds its 25 modules). phone_quote.py: applying
by phone with a premium quote (电话投保·保费试算)."""
