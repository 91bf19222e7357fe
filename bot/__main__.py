"""`python -m bot` runs the `checkins` command line."""

from bot.cli import main

main()
