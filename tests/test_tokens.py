"""Signature link tokens come from a pool of os.urandom bytes (models/tokens.py)."""
import os

from models import tokens


def test_tokens_are_as_long_as_secrets_makes_them_and_never_repeat():
    made = [tokens.token_urlsafe(24) for _ in range(5000)]  # several refills of the pool
    assert len(set(made)) == len(made)
    assert {len(token) for token in made} == {32}
    assert all(token.replace("-", "").replace("_", "").isalnum() for token in made)


def test_a_forked_child_does_not_hand_out_its_parents_bytes():
    tokens.token_urlsafe(24)  # the pool holds bytes the parent has not handed out yet
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next token, to the parent
        try:
            os.write(write_end, tokens.token_urlsafe(24).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    os.waitpid(pid, 0)
    child = os.read(read_end, 100).decode()
    os.close(read_end)
    assert len(child) == 32
    assert child != tokens.token_urlsafe(24)  # without the fork hook, both would take the same slice
