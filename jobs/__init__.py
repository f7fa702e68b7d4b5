"""Scheduled jobs, one module per concern. jobs/scheduler.py lists them and runs them."""
