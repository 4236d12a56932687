"""The shell: app factory, CLI, demo, migrations and scheduler. It imports every package; nothing imports it."""
