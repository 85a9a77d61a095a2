"""Each sink against an in-process server that checks that service's exact request shape."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import urllib.parse
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import jsonschema
import orjson
import pytest
from aiohttp import web

from monitor.clock import SystemClock
from monitor.models import AlertKind, Severity
from monitor.notify.alertmanager import AlertmanagerWebhookSink, AlertmanagerWebhookSpec
from monitor.notify.base import DeliveryError, SinkContext
from monitor.notify.dingtalk import DingTalkSink, DingTalkSpec
from monitor.notify.discord import DiscordSink, DiscordSpec
from monitor.notify.feishu import FeishuSink, FeishuSpec
from monitor.notify.jsonl import JsonlSink, JsonlSpec
from monitor.notify.slack import SlackSink, SlackSpec
from monitor.notify.sms import TwilioSink, TwilioSpec
from monitor.notify.telegram import TelegramSink, TelegramSpec
from monitor.notify.webhook import WebhookSink, WebhookSpec, sign
from tests.notify.helpers import HOSTILE, Captured, event, notification, receiver

SCHEMA = json.loads(
    (Path(__file__).parents[2] / "monitor" / "notify" / "schema" / "webhook-v1.json").read_text()
)


@pytest.fixture
async def ctx() -> AsyncIterator[SinkContext]:
    async with aiohttp.ClientSession() as session:
        yield SinkContext(session, SystemClock())


def test_standard_webhooks_reference_vector() -> None:
    # The Standard Webhooks specification's published test vector
    # (github.com/standard-webhooks/standard-webhooks, spec/standard-webhooks.md).
    signature = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


async def test_webhook_signed_payload_matches_schema(ctx: SinkContext) -> None:
    secret = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
    async with receiver() as (url, seen):
        spec = WebhookSpec(
            name="ops", url=f"{url}/hook", secret=secret, headers={"Authorization": "Bearer t0ken"}
        )
        await WebhookSink(spec, ctx).send(
            notification(event(), event(rule="CLOCK_DRIFT", severity=Severity.MEDIUM))
        )
        got = seen.get_nowait()
    assert got.method == "POST" and got.path == "/hook"
    assert got.headers["Content-Type"] == "application/json"
    assert got.headers["Authorization"] == "Bearer t0ken"
    msg_id, ts = got.headers["webhook-id"], got.headers["webhook-timestamp"]
    assert msg_id == "k-1"
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(
        hmac.new(key, f"{msg_id}.{ts}.".encode() + got.body, hashlib.sha256).digest()
    ).decode()
    assert got.headers["webhook-signature"] == f"v1,{expected}"
    payload = orjson.loads(got.body)
    jsonschema.validate(payload, SCHEMA)
    assert payload["counts"] == {"critical": 1, "warning": 1, "info": 0, "resolved": 0}


async def test_alertmanager_webhook_payload_v4(ctx: SinkContext) -> None:
    async with receiver() as (url, seen):
        spec = AlertmanagerWebhookSpec(name="am", url=f"{url}/am", external_url="http://mon")
        n = notification(event(endpoint="ticker", kind=AlertKind.RESOLVED))
        await AlertmanagerWebhookSink(spec, ctx).send(n)
        payload = orjson.loads(seen.get_nowait().body)
    assert payload["version"] == "4" and payload["status"] == "resolved"
    assert payload["receiver"] == "am" and payload["externalURL"] == "http://mon"
    assert set(payload) == {
        "version",
        "groupKey",
        "truncatedAlerts",
        "status",
        "receiver",
        "groupLabels",
        "commonLabels",
        "commonAnnotations",
        "externalURL",
        "alerts",
    }
    alert = payload["alerts"][0]
    assert alert["labels"] == {
        "alertname": "EXCHANGE_DOWN",
        "severity": "critical",
        "venue": "okx",
        "endpoint": "ticker",
        "source": "exchange-monitor",
    }
    assert alert["status"] == "resolved" and alert["endsAt"] != "0001-01-01T00:00:00Z"
    assert len(alert["fingerprint"]) == 16
    assert payload["commonLabels"] == alert["labels"]


async def test_slack_block_kit_escaped_and_ok_checked(ctx: SinkContext) -> None:
    replies = iter([b"ok", b"invalid_payload"])

    async def reply(_: Captured) -> web.StreamResponse:
        return web.Response(body=next(replies))

    async with receiver(reply) as (url, seen):
        sink = SlackSink(SlackSpec(name="slack", url=f"{url}/services/T/B/x"), ctx)
        await sink.send(notification(event(summary=HOSTILE)))
        payload = orjson.loads(seen.get_nowait().body)
        with pytest.raises(DeliveryError) as failed:
            await sink.send(notification())
    attachment = payload["attachments"][0]
    assert attachment["color"] == "#d62728"
    text = attachment["blocks"][0]["text"]
    assert text["type"] == "mrkdwn"
    assert "<!channel>" not in text["text"] and "&lt;!channel&gt;" in text["text"]
    assert "<http" not in text["text"]
    assert not failed.value.retryable


async def test_discord_embed_no_mentions_and_429_hint(ctx: SinkContext) -> None:
    async def reply(c: Captured) -> web.StreamResponse:
        if b"RATE" in c.body:
            return web.json_response({"retry_after": 2.5, "global": False}, status=429)
        return web.json_response({"id": "1"})

    async with receiver(reply) as (url, seen):
        sink = DiscordSink(DiscordSpec(name="discord", url=f"{url}/api/webhooks/1/tok"), ctx)
        await sink.send(notification(event(summary=HOSTILE)))
        got = seen.get_nowait()
        with pytest.raises(DeliveryError) as limited:
            await sink.send(notification(event(summary="RATE")))
    assert got.query == {"wait": "true"}
    payload = orjson.loads(got.body)
    assert payload["allowed_mentions"] == {"parse": []}
    embed = payload["embeds"][0]
    assert embed["color"] == 0xD62728
    assert "@everyone" not in embed["description"]
    assert "[click](http" not in embed["description"]
    assert limited.value.retryable and limited.value.retry_after_s == 2.5


async def test_feishu_card_signed(ctx: SinkContext) -> None:
    secret = "feishu-secret"

    async def reply(c: Captured) -> web.StreamResponse:
        body = orjson.loads(c.body)
        # Verify exactly as Feishu documents it: HMAC-SHA256 keyed by "timestamp\nsecret".
        key = f"{body['timestamp']}\n{secret}".encode()
        good = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
        code = 0 if body["sign"] == good else 19021
        return web.json_response({"code": code, "msg": "success" if code == 0 else "sign fail"})

    async with receiver(reply) as (url, seen):
        await FeishuSink(FeishuSpec(name="fs", url=f"{url}/hook/x", secret=secret), ctx).send(
            notification()
        )
        bad = FeishuSink(FeishuSpec(name="fs2", url=f"{url}/hook/x", secret="wrong"), ctx)
        with pytest.raises(DeliveryError, match="code 19021"):
            await bad.send(notification())
        card = orjson.loads(seen.get_nowait().body)
    assert card["msg_type"] == "interactive"
    assert card["card"]["header"]["template"] == "red"
    assert card["card"]["elements"][0]["text"]["tag"] == "lark_md"


async def test_dingtalk_markdown_signed(ctx: SinkContext) -> None:
    secret = "SECdingtalk"

    async def reply(c: Captured) -> web.StreamResponse:
        ts = c.query["timestamp"]
        string_to_sign = f"{ts}\n{secret}".encode()
        good = base64.b64encode(hmac.new(secret.encode(), string_to_sign, hashlib.sha256).digest())
        ok = c.query.get("sign") == good.decode() and c.query.get("access_token") == "tok"
        return web.json_response({"errcode": 0 if ok else 310000, "errmsg": "ok" if ok else "sign"})

    async with receiver(reply) as (url, seen):
        spec = DingTalkSpec(name="ding", url=f"{url}/robot/send?access_token=tok", secret=secret)
        await DingTalkSink(spec, ctx).send(notification(event(summary=HOSTILE)))
        got = seen.get_nowait()
        wrong = DingTalkSpec(name="ding2", url=f"{url}/robot/send?access_token=tok", secret="x")
        with pytest.raises(DeliveryError, match="310000"):
            await DingTalkSink(wrong, ctx).send(notification())
    assert urllib.parse.quote_plus(got.query["sign"]) != ""  # arrived URL-encoded, decoded here
    payload = orjson.loads(got.body)
    assert payload["msgtype"] == "markdown"
    assert payload["markdown"]["text"].startswith("#### ")
    assert "[click](http" not in payload["markdown"]["text"]


async def test_telegram_html_escaped(ctx: SinkContext) -> None:
    async def reply(c: Captured) -> web.StreamResponse:
        if b"LIMIT" in c.body:
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 7",
                    "parameters": {"retry_after": 7},
                },
                status=429,
            )
        return web.json_response({"ok": True, "result": {"message_id": 1}})

    async with receiver(reply) as (url, seen):
        spec = TelegramSpec(name="tg", bot_token="123:ABC", chat_id="-100", api_base=url)
        sink = TelegramSink(spec, ctx)
        await sink.send(notification(event(summary=HOSTILE)))
        got = seen.get_nowait()
        with pytest.raises(DeliveryError) as limited:
            await sink.send(notification(event(summary="LIMIT")))
    assert got.path == "/bot123:ABC/sendMessage"
    payload = orjson.loads(got.body)
    assert payload["parse_mode"] == "HTML" and payload["chat_id"] == "-100"
    assert "<b>x</b>" not in payload["text"] and "&lt;b&gt;x&lt;/b&gt;" in payload["text"]
    assert payload["text"].startswith("<b>")
    assert limited.value.retry_after_s == 7 and "123:ABC" not in str(limited.value)


async def test_twilio_sms_form_and_auth(ctx: SinkContext) -> None:
    async with receiver(lambda c: _created()) as (url, seen):
        spec = TwilioSpec(
            name="sms",
            account_sid="AC" + "0" * 32,
            auth_token="tw-token",
            from_number="+15550001111",
            to=["+15550002222", "+15550003333"],
            api_base=url,
        )
        await TwilioSink(spec, ctx).send(notification(event(summary="x" * 500)))
        first, second = seen.get_nowait(), seen.get_nowait()
    assert first.path == f"/2010-04-01/Accounts/AC{'0' * 32}/Messages.json"
    expected_auth = base64.b64encode(f"AC{'0' * 32}:tw-token".encode()).decode()
    assert first.headers["Authorization"] == f"Basic {expected_auth}"
    form = dict(urllib.parse.parse_qsl(first.body.decode()))
    assert form["To"] == "+15550002222" and form["From"] == "+15550001111"
    assert len(form["Body"]) <= 160 and form["Body"].startswith("CRITICAL EXCHANGE_DOWN okx")
    assert dict(urllib.parse.parse_qsl(second.body.decode()))["To"] == "+15550003333"


async def _created() -> web.StreamResponse:
    return web.json_response({"sid": "SM1", "status": "queued"}, status=201)


async def test_jsonl_appends_schema_valid_lines(ctx: SinkContext, tmp_path: Path) -> None:
    path = tmp_path / "alerts" / "alerts.jsonl"
    sink = JsonlSink(JsonlSpec(name="file", path=path), ctx)
    await sink.send(notification(key="a"))
    await sink.send(notification(key="b"))
    lines = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert [line["id"] for line in lines] == ["a", "b"]
    for line in lines:
        jsonschema.validate(line, SCHEMA)


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(500, True), (503, True), (429, True), (408, True), (400, False), (404, False)],
)
async def test_status_classes(ctx: SinkContext, status: int, retryable: bool) -> None:
    async def reply(_: Captured) -> web.StreamResponse:
        return web.Response(status=status, headers={"Retry-After": "3"} if status == 429 else {})

    async with receiver(reply) as (url, _):
        with pytest.raises(DeliveryError) as failed:
            await WebhookSink(WebhookSpec(name="ops", url=f"{url}/h"), ctx).send(notification())
    assert failed.value.retryable is retryable
    assert failed.value.status == status
    if status == 429:
        assert failed.value.retry_after_s == 3
