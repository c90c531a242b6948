"""Outgoing mail: rendered and stored in the request's transaction, delivered by the worker."""
