"""The demo compound (being written)."""


def build_demo_cli(only_if_empty: bool = False) -> None:
    raise NotImplementedError
