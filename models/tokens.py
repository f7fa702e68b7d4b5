"""Secrets we mail or show once (confirmation links, reset links, invitations, API keys) are
stored only as their SHA-256: a leaked database gives no working link or key."""
import hashlib


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
