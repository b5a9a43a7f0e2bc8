# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl-3.0)
"""Tell the connector, after the transaction commits, which invoices changed.

The POST runs in a short-lived background thread so that a slow or absent connector never delays the
accountant; failures are only logged. Polling by the connector remains the catch-up.
"""

import json
import logging
import threading

import requests

_logger = logging.getLogger(__name__)

URL_PARAM = "kra_etims_connector.notify_url"
TOKEN_PARAM = "kra_etims_connector.notify_token"
WEBHOOK_PATH = "/webhooks/odoo"
TIMEOUT = (2.0, 3.0)  # (connect, read) seconds
_PENDING_KEY = "kra_etims_connector.pending_ids"


def _post(url, token, body):
    try:
        response = requests.post(
            url,
            data=body,
            headers={"Content-Type": "application/json", "X-Etims-Token": token},
            timeout=TIMEOUT,
        )
        if response.status_code >= 300:
            _logger.warning("KRA eTIMS connector answered HTTP %s to %s", response.status_code, url)
    except requests.RequestException as exc:
        # The token is in a header, never in the message.
        _logger.warning("KRA eTIMS connector not reached at %s: %s", url, exc.__class__.__name__)


def schedule(env, move_ids):
    """Queue a notification for move_ids; one POST per transaction, sent after commit."""
    if not move_ids:
        return
    params = env["ir.config_parameter"].sudo()
    base_url = (params.get_param(URL_PARAM) or "").strip()
    if not base_url:
        return
    token = params.get_param(TOKEN_PARAM) or ""
    data = env.cr.postcommit.data
    pending = data.get(_PENDING_KEY)
    if pending is not None:
        pending.update(move_ids)
        return
    pending = data[_PENDING_KEY] = set(move_ids)
    url = base_url.rstrip("/") + WEBHOOK_PATH
    dbname = env.cr.dbname

    @env.cr.postcommit.add
    def _notify():
        body = json.dumps({"database": dbname, "model": "account.move", "ids": sorted(pending)})
        threading.Thread(target=_post, args=(url, token, body), name="kra-etims-notify", daemon=True).start()
