"""Device initialisation (`selectInitOsdcInfo`) and entering a CMC key KRA gave out earlier."""

from __future__ import annotations

from connector.config import DeviceSettings
from connector.devices import DeviceStore
from connector.errors import ConnectorError
from connector.kra.client import KraClient
from connector.kra.payloads import InitData
from connector.kra.results import Outcome

ALREADY_INSTALLED = (
    "KRA says device {name} ({key}, serial {serial}) is already installed (902) and does not send "
    "the CMC key again. If you kept the key from the first initialisation, enter it with\n"
    "    etims-connector device set-key --device {name}\n"
    "(the key is read from the terminal or standard input, never from the command line)."
)
NOT_VALID = (
    "KRA does not recognise serial {serial} for PIN {pin}, branch {branch} (901). On KRA's side: "
    "sign in to the eTIMS taxpayer portal, apply for an OSCU for this branch, wait until KRA approves "
    "it, and use exactly the serial number KRA approved. If the device was initialised by another "
    "system, use `etims-connector device set-key` with the key that system received."
)


def initialise(device: DeviceSettings, client: KraClient, store: DeviceStore) -> str:
    """Initialise one device and store its key encrypted; returns a message for the user."""
    result = client.initialize(device.pin.upper(), device.branch, device.serial)
    if result.outcome is Outcome.ACCEPTED and isinstance(result.data, InitData):
        info = result.data.info
        if not info.cmc_key:
            raise ConnectorError(f"KRA accepted the initialisation of {device.name} but sent no CMC key")
        store.save(device, info.cmc_key, info, source="init")
        return (
            f"Device {device.name} ({device.key}) initialised: SCU id {info.scu_id}, "
            f"MRC {info.mrc_number}, taxpayer {info.taxpayer_name!r}. "
            f"CMC key stored encrypted in {store.db.describe()}."
        )
    values = {"name": device.name, "key": device.key, "serial": device.serial}
    values |= {"pin": device.pin, "branch": device.branch}
    if result.code == "902":
        raise ConnectorError(ALREADY_INSTALLED.format(**values))
    if result.code == "901":
        raise ConnectorError(NOT_VALID.format(**values))
    raise ConnectorError(f"device {device.name} was not initialised: {result.describe()}")


def set_key(device: DeviceSettings, store: DeviceStore, cmc_key: str, scu_id: str | None, mrc: str | None) -> str:
    cmc_key = cmc_key.strip()
    if len(cmc_key) < 8 or any(ch.isspace() for ch in cmc_key):
        raise ConnectorError("that does not look like a CMC key (too short, or contains spaces)")
    store.save(device, cmc_key, None, source="set-key")
    store.set_details(device, scu_id=scu_id, mrc_number=mrc)
    return f"CMC key for device {device.name} ({device.key}) stored encrypted."
