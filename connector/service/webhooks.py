"""Routing one webhook request to the sources that listen on its path (see `connector.adapters.Listens`)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from connector.adapters import Listens, WebhookAnswer

log = logging.getLogger("connector.service")


class WebhookRouter:
    """Dispatches one webhook request to the sources listening on its path."""

    def __init__(self, sources: Mapping[str, Any], enqueue: Callable[[str, list[str]], None]) -> None:
        self.enqueue = enqueue
        self.routes: dict[str, list[tuple[str, Listens]]] = {}
        for name, source in sources.items():
            adapter = getattr(source, "adapter", None)
            if isinstance(adapter, Listens):
                self.routes.setdefault(adapter.webhook_path, []).append((name, adapter))

    def handle(self, path: str, headers: Mapping[str, str], body: bytes) -> WebhookAnswer:
        listeners = self.routes.get(path)
        if not listeners:
            return WebhookAnswer(status=404, body="no such route")
        answers: list[WebhookAnswer] = []
        for name, adapter in listeners:
            try:
                answer = adapter.accept_webhook(headers, body)
            except Exception as exc:  # one adapter's bug must not stop the others
                log.warning("webhook %s: source %s could not read it: %s", path, name, exc)
                answer = WebhookAnswer(status=400, body="unreadable")
            answers.append(answer)
            if answer.status < 300 and answer.keys:
                self.enqueue(name, list(answer.keys))
                log.info("webhook %s: source %s: %d document(s) to fetch", path, name, len(answer.keys))
        accepted = [a for a in answers if a.status < 300]
        if accepted:
            if not any(a.keys for a in accepted):
                log.info("webhook %s: nothing for any configured source (unknown company or entity)", path)
            return accepted[0] if len(accepted) == 1 else WebhookAnswer(status=200)
        if all(a.status == 401 for a in answers):
            log.warning("webhook %s refused: signature or token does not verify", path)
            return WebhookAnswer(status=401, body="unauthorised")
        return answers[0]
