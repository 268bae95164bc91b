"""Journeys, their stages and touchpoints, and the blueprint layers."""
