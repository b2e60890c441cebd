"""Helpers for the real-browser tests (tests/test_browser.py): a local web server, Chromium, axe-core."""
