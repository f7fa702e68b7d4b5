"""Tornado request handlers. The route table is in portal.py."""
