"""Pure builders from domain data to slack_sdk.models blocks and views (no I/O)."""
