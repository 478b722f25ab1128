"""A fake ONVIF camera (SOAP 1.2 over aiohttp) with a device and a media service."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from types import TracebackType
from xml.sax.saxutils import escape

from aiohttp import web

SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
WSSE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DEVICE_NS = "http://www.onvif.org/ver10/device/wsdl"
MEDIA_NS = "http://www.onvif.org/ver10/media/wsdl"
SCHEMA_NS = "http://www.onvif.org/ver10/schema"
ERROR_NS = "http://www.onvif.org/ver10/error"

DEVICE_PATH = "/onvif/device_service"
MEDIA_PATH = "/onvif/media_service"
MANUFACTURER = "cctwin-test"
MODEL = "FakeCam"
RTSP_BASE = "rtsp://127.0.0.1:8554"

# ONVIF's PRE_AUTH access class: a device must answer these without credentials.
PRE_AUTH_OPERATIONS = frozenset({"GetSystemDateAndTime", "GetCapabilities", "GetServices"})
DEVICE_OPERATIONS = PRE_AUTH_OPERATIONS | {"GetDeviceInformation"}
MEDIA_OPERATIONS = frozenset({"GetProfiles", "GetStreamUri"})

# (token, width, height); "sub" comes first so callers must sort rather than trust the order.
PROFILES = (("sub", 640, 360), ("main", 1920, 1080))


class SoapFaultError(Exception):
    """Answered to the client as a SOAP 1.2 Sender fault."""

    def __init__(self, subcode: str, reason: str) -> None:
        super().__init__(reason)
        self.subcode = subcode
        self.reason = reason


class FakeOnvifDevice:
    """Serves ONVIF on 127.0.0.1 from a background thread; use as a context manager.

    Only `username`/`password` are accepted (WS-Security UsernameToken, digest or text);
    anything else gets a `ter:NotAuthorized` fault, except for PRE_AUTH operations.
    """

    def __init__(self, username: str = "admin", password: str = "secret") -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.username = username
        self.password = password
        self.operations: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None

    def __enter__(self) -> FakeOnvifDevice:
        self._thread = threading.Thread(target=self._serve, name="fake-onvif", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=10):
            raise RuntimeError("fake ONVIF device did not start within 10 s")
        if self._startup_error is not None:
            raise RuntimeError("fake ONVIF device failed to start") from self._startup_error
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _serve(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        app = web.Application()
        app.router.add_post("/{path:.*}", self._handle)
        runner = web.AppRunner(app)
        try:
            loop.run_until_complete(runner.setup())
            site = web.TCPSite(runner, self.host, 0)
            loop.run_until_complete(site.start())
            self.port = runner.addresses[0][1]
        except BaseException as error:
            self._startup_error = error
            self._ready.set()
            loop.close()
            return
        self._loop = loop
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(runner.cleanup())
            loop.close()

    async def _handle(self, request: web.Request) -> web.Response:
        envelope = ET.fromstring(await request.read())
        body = envelope.find(f"{{{SOAP_ENV}}}Body")
        if body is None or len(body) == 0:
            return soap_response(fault_xml("ter:InvalidArgs", "no SOAP Body"), status=400)
        operation_element = body[0]
        operation = operation_element.tag.rpartition("}")[2]
        self.operations.append(operation)
        try:
            self._check_service(request.path, operation)
            if operation not in PRE_AUTH_OPERATIONS:
                self._check_credentials(envelope)
            return soap_response(self._answer(operation, operation_element))
        except SoapFaultError as fault:
            return soap_response(fault_xml(fault.subcode, fault.reason), status=400)

    @staticmethod
    def _check_service(path: str, operation: str) -> None:
        services = {DEVICE_PATH: DEVICE_OPERATIONS, MEDIA_PATH: MEDIA_OPERATIONS}
        offered = services.get(path, frozenset())
        if operation not in offered:
            raise SoapFaultError("ter:ActionNotSupported", f"{operation} is not served at {path}")

    def _check_credentials(self, envelope: ET.Element) -> None:
        token = envelope.find(f"{{{SOAP_ENV}}}Header/{{{WSSE}}}Security/{{{WSSE}}}UsernameToken")
        if token is None:
            raise SoapFaultError("ter:NotAuthorized", "Sender not Authorized: no UsernameToken")
        username = token.findtext(f"{{{WSSE}}}Username", default="")
        password_element = token.find(f"{{{WSSE}}}Password")
        if username != self.username or password_element is None:
            raise SoapFaultError("ter:NotAuthorized", "Sender not Authorized")
        sent = password_element.text or ""
        if password_element.get("Type", "").endswith("#PasswordDigest"):
            nonce = base64.b64decode(token.findtext(f"{{{WSSE}}}Nonce", default=""))
            created = token.findtext(f"{{{WSU}}}Created", default="")
            digest = hashlib.sha1(nonce + created.encode() + self.password.encode()).digest()
            expected = base64.b64encode(digest).decode()
        else:
            expected = self.password
        if sent != expected:
            raise SoapFaultError("ter:NotAuthorized", "Sender not Authorized")

    def _answer(self, operation: str, request: ET.Element) -> str:
        base = f"http://{self.host}:{self.port}"
        if operation == "GetSystemDateAndTime":
            return system_date_and_time_xml(datetime.now(UTC))
        if operation == "GetCapabilities":
            return (
                f"<tds:GetCapabilitiesResponse><tds:Capabilities>"
                f"<tt:Device><tt:XAddr>{base}{DEVICE_PATH}</tt:XAddr></tt:Device>"
                f"<tt:Media><tt:XAddr>{base}{MEDIA_PATH}</tt:XAddr></tt:Media>"
                f"</tds:Capabilities></tds:GetCapabilitiesResponse>"
            )
        if operation == "GetServices":
            services = "".join(
                f"<tds:Service><tds:Namespace>{namespace}</tds:Namespace>"
                f"<tds:XAddr>{base}{path}</tds:XAddr>"
                f"<tds:Version><tt:Major>2</tt:Major><tt:Minor>60</tt:Minor></tds:Version>"
                f"</tds:Service>"
                for namespace, path in ((DEVICE_NS, DEVICE_PATH), (MEDIA_NS, MEDIA_PATH))
            )
            return f"<tds:GetServicesResponse>{services}</tds:GetServicesResponse>"
        if operation == "GetDeviceInformation":
            return (
                f"<tds:GetDeviceInformationResponse>"
                f"<tds:Manufacturer>{MANUFACTURER}</tds:Manufacturer><tds:Model>{MODEL}</tds:Model>"
                f"<tds:FirmwareVersion>1.0</tds:FirmwareVersion>"
                f"<tds:SerialNumber>0001</tds:SerialNumber><tds:HardwareId>1</tds:HardwareId>"
                f"</tds:GetDeviceInformationResponse>"
            )
        if operation == "GetProfiles":
            profiles = "".join(profile_xml(*profile) for profile in PROFILES)
            return f"<trt:GetProfilesResponse>{profiles}</trt:GetProfilesResponse>"
        if operation == "GetStreamUri":
            return stream_uri_xml(request)
        raise SoapFaultError("ter:ActionNotSupported", f"{operation} is not supported")


def stream_uri_xml(request: ET.Element) -> str:
    """Answer GetStreamUri, refusing what the fake cannot serve as a real camera would."""
    token = request.findtext(f"{{{MEDIA_NS}}}ProfileToken", default="")
    stream = request.findtext(f"{{{MEDIA_NS}}}StreamSetup/{{{SCHEMA_NS}}}Stream", default="")
    protocol = request.findtext(
        f"{{{MEDIA_NS}}}StreamSetup/{{{SCHEMA_NS}}}Transport/{{{SCHEMA_NS}}}Protocol", default=""
    )
    if token not in {name for name, _, _ in PROFILES}:
        raise SoapFaultError("ter:NoProfile", f"no profile {token!r}")
    if (stream, protocol) != ("RTP-Unicast", "RTSP"):
        raise SoapFaultError(
            "ter:InvalidStreamSetup", f"unsupported stream setup {stream}/{protocol}"
        )
    return (
        f"<trt:GetStreamUriResponse><trt:MediaUri>"
        f"<tt:Uri>{escape(f'{RTSP_BASE}/{token}')}</tt:Uri>"
        f"<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect>"
        f"<tt:InvalidAfterReboot>false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout>"
        f"</trt:MediaUri></trt:GetStreamUriResponse>"
    )


def profile_xml(token: str, width: int, height: int) -> str:
    return (
        f'<trt:Profiles token="{token}" fixed="true"><tt:Name>{token}</tt:Name>'
        f'<tt:VideoSourceConfiguration token="video_source">'
        f"<tt:Name>video_source</tt:Name><tt:UseCount>2</tt:UseCount>"
        f"<tt:SourceToken>sensor</tt:SourceToken>"
        f'<tt:Bounds x="0" y="0" width="1920" height="1080"/></tt:VideoSourceConfiguration>'
        f'<tt:VideoEncoderConfiguration token="encoder_{token}">'
        f"<tt:Name>encoder_{token}</tt:Name><tt:UseCount>1</tt:UseCount>"
        f"<tt:Encoding>H264</tt:Encoding>"
        f"<tt:Resolution><tt:Width>{width}</tt:Width><tt:Height>{height}</tt:Height></tt:Resolution>"
        f"<tt:Quality>5</tt:Quality><tt:SessionTimeout>PT60S</tt:SessionTimeout>"
        f"</tt:VideoEncoderConfiguration></trt:Profiles>"
    )


def system_date_and_time_xml(now: datetime) -> str:
    return (
        f"<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
        f"<tt:DateTimeType>NTP</tt:DateTimeType><tt:DaylightSavings>false</tt:DaylightSavings>"
        f"<tt:TimeZone><tt:TZ>UTC0</tt:TZ></tt:TimeZone><tt:UTCDateTime>"
        f"<tt:Time><tt:Hour>{now.hour}</tt:Hour><tt:Minute>{now.minute}</tt:Minute>"
        f"<tt:Second>{now.second}</tt:Second></tt:Time>"
        f"<tt:Date><tt:Year>{now.year}</tt:Year><tt:Month>{now.month}</tt:Month>"
        f"<tt:Day>{now.day}</tt:Day></tt:Date>"
        f"</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
    )


def fault_xml(subcode: str, reason: str) -> str:
    return (
        f"<env:Fault><env:Code><env:Value>env:Sender</env:Value>"
        f"<env:Subcode><env:Value>{subcode}</env:Value></env:Subcode></env:Code>"
        f'<env:Reason><env:Text xml:lang="en">{escape(reason)}</env:Text></env:Reason>'
        f"</env:Fault>"
    )


def soap_response(body: str, status: int = 200) -> web.Response:
    envelope = (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<env:Envelope xmlns:env="{SOAP_ENV}" xmlns:tds="{DEVICE_NS}" xmlns:trt="{MEDIA_NS}"'
        f' xmlns:tt="{SCHEMA_NS}" xmlns:ter="{ERROR_NS}">'
        f"<env:Body>{body}</env:Body></env:Envelope>"
    )
    return web.Response(
        body=envelope.encode(), status=status, content_type="application/soap+xml", charset="utf-8"
    )
