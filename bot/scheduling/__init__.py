"""Scheduled work: the jobs the scheduler ticks, reminders, grantees' availability."""
