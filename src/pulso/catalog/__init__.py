"""Products and services the customers talk about."""
