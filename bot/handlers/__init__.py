"""Slack surfaces: one module per kind, each with a `register(app)`."""
