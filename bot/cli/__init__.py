"""The `checkins` command line, one module per topic."""
