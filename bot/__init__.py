"""ccbot: the Slack bot that runs a Core Committer program."""
