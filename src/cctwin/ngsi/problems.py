"""NGSI-LD errors as RFC 7807 problem details (ETSI GS CIM 009 clause 5.5.2)."""

from __future__ import annotations

from enum import StrEnum

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


class Problem(StrEnum):
    """The NGSI-LD error types this broker raises, with their HTTP status."""

    INVALID_REQUEST = "InvalidRequest"
    BAD_REQUEST_DATA = "BadRequestData"
    ALREADY_EXISTS = "AlreadyExists"
    OPERATION_NOT_SUPPORTED = "OperationNotSupported"
    RESOURCE_NOT_FOUND = "ResourceNotFound"
    INTERNAL_ERROR = "InternalError"
    TOO_COMPLEX_QUERY = "TooComplexQuery"
    TOO_MANY_RESULTS = "TooManyResults"
    LD_CONTEXT_NOT_AVAILABLE = "LdContextNotAvailable"
    NOT_ACCEPTABLE = "NotAcceptable"
    UNSUPPORTED_MEDIA_TYPE = "UnsupportedMediaType"
    NONEXISTENT_TENANT = "NonexistentTenant"
    NO_MULTI_TENANT_SUPPORT = "NoMultiTenantSupport"
    # A registration that would overlap an exclusive or redirect one, or local data (5.9.2.4).
    CONFLICT = "Conflict"
    # A request that came back to this broker through its context sources (6.3.18).
    LOOP_DETECTED = "LoopDetected"

    @property
    def uri(self) -> str:
        return ERRORS + self.value

    @property
    def status(self) -> int:
        return _STATUS[self]


_STATUS = {
    Problem.INVALID_REQUEST: 400,
    Problem.BAD_REQUEST_DATA: 400,
    Problem.ALREADY_EXISTS: 409,
    Problem.OPERATION_NOT_SUPPORTED: 422,
    Problem.RESOURCE_NOT_FOUND: 404,
    Problem.INTERNAL_ERROR: 500,
    Problem.TOO_COMPLEX_QUERY: 403,
    Problem.TOO_MANY_RESULTS: 403,
    Problem.LD_CONTEXT_NOT_AVAILABLE: 503,
    Problem.NOT_ACCEPTABLE: 406,
    Problem.UNSUPPORTED_MEDIA_TYPE: 415,
    Problem.NONEXISTENT_TENANT: 404,
    Problem.NO_MULTI_TENANT_SUPPORT: 501,
    Problem.CONFLICT: 409,
    Problem.LOOP_DETECTED: 508,
}


class NgsiError(Exception):
    """A request the broker refuses; the API turns it into problem details."""

    def __init__(self, problem: Problem, detail: str, title: str = "") -> None:
        super().__init__(detail)
        self.problem = problem
        self.detail = detail
        self.title = title or problem.value

    def body(self) -> dict[str, object]:
        return {
            "type": self.problem.uri,
            "title": self.title,
            "status": self.problem.status,
            "detail": self.detail,
        }


def bad_data(detail: str) -> NgsiError:
    return NgsiError(Problem.BAD_REQUEST_DATA, detail)


def not_found(detail: str) -> NgsiError:
    return NgsiError(Problem.RESOURCE_NOT_FOUND, detail)
