"""Checking answers from our own derivatives: verdicts, stationary points, gradient checks, stopping measures."""
