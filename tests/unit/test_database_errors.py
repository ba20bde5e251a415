"""A database that is gone: every way of reading says so in one line, the password masked."""

import pytest
import sqlalchemy as sa

from aiivr.db import Database
from aiivr.errors import DatabaseError

GONE = "postgresql+psycopg://aiivr:pw@127.0.0.1:1/aiivr"


@pytest.mark.parametrize("opening", ["read", "read_connection"])
def test_an_unreachable_database_is_a_database_error_with_the_url_masked(opening):
    db = Database(GONE)
    with pytest.raises(DatabaseError) as raised:
        with getattr(db, opening)() as reader:
            reader.execute(sa.select(sa.literal(1)))
    message = str(raised.value)
    assert message.startswith("cannot use the database at postgresql+psycopg://aiivr:***@127.0.0.1:1/aiivr")
    assert ":pw@" not in message
    db.dispose()
