"""The test helpers themselves: personas must never collide."""

from compound.auth.models import Role
from tests.personas import make_user


def test_personas_of_one_role_get_distinct_names(session):
    # id(object()) gave the same number again and again (CPython reuses a freed object's address).
    names = [make_user(session, role=Role.finance).username for _ in range(20)]
    assert len(set(names)) == 20
