"""Scheduled jobs: each a function `(ctx: JobContext)` named by what it sends, that calls a service and delivers."""
