"""Several boxes on one database: each box's identity, what it owns, and the work only one box
may do at a time (issue 16)."""
