"""`python -m bot` runs the `checkins` command line."""

from bot.cli.app import main

main()
