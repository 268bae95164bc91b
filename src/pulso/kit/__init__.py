"""Domain-free toolkit: database base, errors, pagination, clock, change versions."""
