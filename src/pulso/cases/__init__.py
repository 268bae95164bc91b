"""Closed-loop follow-up: rules open cases from feedback, SLAs in business hours, escalation, the timeline."""
