"""A terminal stand-in for a Slack workspace, for trying the bot without one."""
