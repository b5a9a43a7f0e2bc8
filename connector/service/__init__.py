"""The connector's one HTTP listener: health and the webhook routes adapters contribute (`Listens`)."""

from connector.service.listener import Listener, WebhookRouter

__all__ = ["Listener", "WebhookRouter"]
