"""Pulso: open-source Customer Experience Management."""
