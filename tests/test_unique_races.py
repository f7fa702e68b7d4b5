"""Two requests that create the same unique thing at the same moment: one wins, the other gets the
field's own message (not a 500, not the database's text)."""
import threading

from models.db import db
from models.errors import InvalidInput
from models.organisation import Organisation, create_organisation
from models.user import User, create_user


def race(make_one, runners=4):
    """Run make_one() in several threads released at once; returns (results, errors)."""
    barrier = threading.Barrier(runners)
    results, errors = [], []

    def run():
        with db.connection_context():
            barrier.wait()
            try:
                results.append(make_one())
            except InvalidInput as error:
                errors.append(error)
            except Exception as error:  # noqa: BLE001 - anything else is what this test is about
                errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results, errors


def test_simultaneous_sign_ups_of_one_address(clean_database):
    db.close()  # the threads open their own connections
    results, errors = race(lambda: create_user("twin@example.org", "Twin Person", "long enough password"))
    db.connect(reuse_if_open=True)
    assert len(results) == 1 and User.select().where(User.email == "twin@example.org").count() == 1
    assert all(isinstance(e, InvalidInput) and set(e.fields) == {"email"} for e in errors), errors


def test_simultaneous_organisations_with_one_slug(clean_database):
    db.close()
    results, errors = race(lambda: create_organisation("Twin Council", "council"))
    db.connect(reuse_if_open=True)
    assert len(results) == 1 and Organisation.select().count() == 1
    assert all(isinstance(e, InvalidInput) and set(e.fields) == {"slug"} for e in errors), errors
