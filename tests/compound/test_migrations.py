"""Data steps of the migrations, on a database of their own."""

import sqlalchemy as sa

from compound.shell.migrate import upgrade


def test_admins_holding_every_compound_become_admins_of_every_compound(tmp_path):
    url = f"sqlite:///{tmp_path}/m.db"
    upgrade(url, revision="0004")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO compound (id, code, name, timezone, spike_factor, is_demo) VALUES "
                "(1, 'A', 'A', 'Asia/Shanghai', 3, 0), (2, 'B', 'B', 'Asia/Shanghai', 3, 0)"
            )
        )
        for uid, name, role, demo in (
            (1, "all", "admin", 0),
            (2, "one", "admin", 0),
            (3, "mgr", "manager", 0),
            (4, "demo-admin", "admin", 1),
        ):
            conn.execute(
                sa.text(
                    "INSERT INTO app_user (id, username, display_name, password_hash, role, is_active, is_demo) "
                    "VALUES (:id, :name, :name, 'x', :role, 1, :demo)"
                ),
                {"id": uid, "name": name, "role": role, "demo": demo},
            )
        grants = [(1, 1), (1, 2), (2, 1), (3, 1), (3, 2), (4, 1), (4, 2)]
        for uid, cid in grants:
            conn.execute(sa.text("INSERT INTO user_compound VALUES (:u, :c)"), {"u": uid, "c": cid})
    upgrade(url)
    with engine.connect() as conn:
        every = conn.execute(sa.text("SELECT username FROM app_user WHERE all_compounds")).scalars().all()
    engine.dispose()
    # The administrator with both compounds; not the one with one, not a manager, not a demo user.
    assert every == ["all"]
