"""`doctor`: configuration, encryption key, devices, KRA reachability, sources — one line each."""

from __future__ import annotations

from collections.abc import Iterator

from connector.clock import kra_datetime, now_eat
from connector.config import Settings
from connector.context import Context
from connector.errors import ConnectorError
from connector.kra.results import Outcome


def run_checks(settings: Settings) -> Iterator[tuple[bool, str]]:
    where = settings.config_path or "no file (embedded defaults and ETIMS_* variables)"
    yield True, f"configuration: {where}; data in {settings.data_dir}"
    yield True, f"KRA: profile {settings.kra.profile}, {settings.kra.environment}, {settings.kra.api_base()}"
    if not settings.devices:
        yield False, "devices: none configured; add a [[devices]] table with name, pin, branch and serial"
    context = Context(settings)
    try:
        for device in settings.devices:
            yield from _device(context, device)
        yield from _sources(context)
    finally:
        context.close()


def _device(context: Context, device: object) -> Iterator[tuple[bool, str]]:
    name = f"device {device.name} ({device.key})"  # type: ignore[attr-defined]
    try:
        client = context.client(device)  # type: ignore[arg-type]  # decrypts the CMC key
    except ConnectorError as exc:
        yield False, f"{name}: {exc}"
        return
    yield True, f"{name}: initialised, CMC key decrypts"
    since = kra_datetime(now_eat())
    result = client.select_notices(since)
    reachable = result.outcome in (Outcome.ACCEPTED, Outcome.NO_DATA)
    yield reachable, f"{name}: KRA {'answers' if reachable else 'problem'}: {result.describe()}"


def _sources(context: Context) -> Iterator[tuple[bool, str]]:
    from connector.pipeline import build_sources

    try:
        sources = build_sources(context)
    except ConnectorError as exc:
        yield False, f"sources: {exc}"
        return
    if not sources:
        yield True, "sources: none configured"
    for source in sources.values():
        try:
            yield True, f"source {source.name}: {source.adapter.health() if source.adapter else 'no adapter'}"
            if source.adapter is not None:
                for problem in source.adapter.preflight():
                    yield False, f"source {source.name}: {problem}"
                for advice in source.adapter.advice():
                    yield True, f"source {source.name}: advice: {advice}"
        except Exception as exc:
            yield False, f"source {source.name}: {type(exc).__name__}: {exc}"
