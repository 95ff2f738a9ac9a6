"""Regression tests for what a hostile caller found (issue 11): one module per kind of hole."""
