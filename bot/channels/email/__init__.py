"""The email channel: check-in emails out, replies in over SMTP, read at the edge."""
