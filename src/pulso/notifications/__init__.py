"""Notifications: e-mail over SMTP and outbound webhooks for the other domains, through an outbox."""
