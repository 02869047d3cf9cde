"""`python -m bot` runs the ccbot command line."""

from bot.cli import main

main()
