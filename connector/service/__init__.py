"""The connector's one HTTP listener: health, readiness, metrics, status pages and adapter webhooks."""

from connector.service.app import App, Response
from connector.service.listener import Listener
from connector.service.webhooks import WebhookRouter

__all__ = ["App", "Listener", "Response", "WebhookRouter"]
