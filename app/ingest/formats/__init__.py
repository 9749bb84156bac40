"""One reader per rich format; each returns text shaped like the seed `.txt` files."""
