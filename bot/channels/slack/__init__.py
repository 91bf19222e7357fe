"""The Slack channel: Web API sends, bolt over HTTP or Socket Mode, Block Kit."""
