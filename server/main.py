"""`rag serve`: run the app under uvicorn on the given address (loopback by default)."""

from __future__ import annotations

import ipaddress
import logging

import uvicorn
from starlette.middleware.trustedhost import TrustedHostMiddleware

from rag.settings import Settings
from server.app import create_app

LOOPBACK_NAMES = ["127.0.0.1", "localhost", "::1", "[::1]"]


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the chat page and the API until interrupted; the model and index warm up in the background."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("faiss").setLevel(logging.WARNING)  # its loader reports each CPU flavour it tries
    app = create_app(settings)
    if is_loopback(host):
        # A page on another site can't reach a loopback server through a rebound DNS name.
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_NAMES)
    print(f"serving {settings.docs_dir} on http://{_url_host(host)}:{port}/ (index: {settings.index_dir})", flush=True)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False, timeout_graceful_shutdown=5)


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses.

    >>> is_loopback("127.0.0.1"), is_loopback("0.0.0.0")
    (True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host
