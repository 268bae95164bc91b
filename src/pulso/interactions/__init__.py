"""Contacts and tickets from every channel."""
