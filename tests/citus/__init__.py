"""Citus rules held without a Citus cluster (issue #17): the catalog checker, the statement checker, the report."""
