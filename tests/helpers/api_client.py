"""A synchronous client on the API app in this process, with no server (the API tests' `client`)."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI


class AppClient:
    """A synchronous face over `httpx.AsyncClient(transport=ASGITransport(app))`."""

    def __init__(self, app: FastAPI, portal: Any) -> None:
        self.portal = portal
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            return await self.client.request(method, url, **kwargs)

        return self.portal.call(send)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self.portal.call(self.client.aclose)
