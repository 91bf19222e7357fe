"""Test suite (a package, so that tests/storage cannot shadow the storage package)."""
