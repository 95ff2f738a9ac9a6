"""The client written once, asynchronously; flowpop/_sync is generated from it (scripts/unasync_client.py)."""
