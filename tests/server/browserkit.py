"""What the browser tests share: Debian's Chromium flags, a watch for what must never happen, asking on the chat page."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Dialog, Page

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class Watch:
    """Records what must never happen on the page: dialogs, script errors, CSP violations."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.problems: list[str] = []

    def attach(self, page: Page) -> None:
        page.on("dialog", self._dialog)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error" or "Content Security Policy" in message.text or "Refused to" in message.text:
            self.problems.append(f"console {message.type}: {message.text}")


def ask(page: Page, question: str, nth: int) -> None:
    """Type a question, send it with Enter, and wait for the nth answer (0-based) to render."""
    box = page.locator("#question")
    box.fill(question)
    box.press("Enter")
    page.locator(".turn .answer:not(.thinking)").nth(nth).wait_for(timeout=60_000)
