"""Versioned schema migrations, applied in order by `python portal.py migrate` (see models/db.py)."""
