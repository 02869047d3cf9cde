"""Scheduled jobs: each a module-level function `(now, session, client)` named by what it sends."""
