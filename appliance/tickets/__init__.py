"""Tickets: one closed loop for every complaint, callback, application, report and answer."""
