"""The Python client: the same protocol as the browser, for people, load tests and tests."""
