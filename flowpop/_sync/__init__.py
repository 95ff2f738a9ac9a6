# Generated from flowpop/_async/__init__.py by scripts/unasync_client.py: do not edit; edit the source and rerun.
"""The client written once, asynchronously; flowpop/_sync is generated from it (scripts/unasync_client.py)."""
