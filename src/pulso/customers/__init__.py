"""Customers, their attributes and segments."""
