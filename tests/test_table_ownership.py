"""Each app owns its tables (README, "How civic311 is built"): only notifications writes subscriptions,
webhooks and outbox messages; the others ask it (`notifications.services`) or announce what happened."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "civic311"
OWNED = {"Subscription", "OutboundMessage", "Webhook"}
WRITES = {"create", "bulk_create", "update", "bulk_update", "delete", "get_or_create", "update_or_create", "save"}


def _base_name(node: ast.expr) -> str | None:
    """`OutboundMessage` for `OutboundMessage.objects.filter(...).update`, else None."""
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Name):
            return node.id
        else:
            return None


def writes_to_owned_tables(source: str) -> list[int]:
    """The lines of `source` that write to a notifications table directly."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in WRITES:
            if _base_name(node.func.value) in OWNED:
                lines.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in OWNED:
            lines.append(node.lineno)  # a row made to be saved
    return sorted(set(lines))


def test_only_notifications_writes_subscriptions_webhooks_and_messages():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] == "notifications" or "migrations" in relative.parts:
            continue
        found += [f"{relative}:{line}" for line in writes_to_owned_tables(path.read_text())]
    assert found == [], "write through civic311.notifications.services instead: " + ", ".join(found)


def test_the_scan_finds_the_writes_it_forbids():
    assert writes_to_owned_tables("Subscription.objects.filter(pk=1).update(state='x')") == [1]
    assert writes_to_owned_tables("x = 1\nOutboundMessage.objects.create(recipient='a')") == [2]
    assert writes_to_owned_tables("Webhook(url='u').save()") == [1]
    assert writes_to_owned_tables("OutboundMessage.objects.bulk_update(rows, ['body'])") == [1]
    assert writes_to_owned_tables("Subscription.objects.filter(pk=1).values('email')") == []  # reading is fine
