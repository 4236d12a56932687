"""The meter register: meters and their place in the tree, transformers, unmetered uses, seals, replacements."""
